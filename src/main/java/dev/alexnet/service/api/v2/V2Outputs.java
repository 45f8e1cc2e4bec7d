package dev.alexnet.service.api.v2;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import dev.alexnet.service.classify.Classified;
import dev.alexnet.service.classify.Classifier;
import dev.alexnet.service.classify.Prediction;

/** A request's outputs, the same for REST and gRPC: a raw FP32 tensor, or the classification extension's strings. */
final class V2Outputs {

    private V2Outputs() {
    }

    /** {@code "score:index:label"} for {@code prob}, {@code "score:index"} for {@code fc7} (no labels); [N, k] BYTES. */
    static V2Models.OutputTensor classification(Classifier classifier, V2RequestValidator.Output out, List<Classified> results) {
        int k = out.classification();
        List<String> strings = new ArrayList<>(results.size() * k);
        for (Classified c : results) {
            for (Prediction p : classifier.top(out.isProb() ? c.probabilities() : c.features(), k, out.isProb())) {
                strings.add(p.label() == null ? String.format(Locale.ROOT, "%f:%d", p.probability(), p.index())
                        : String.format(Locale.ROOT, "%f:%d:%s", p.probability(), p.index(), p.label()));
            }
        }
        return new V2Models.OutputTensor(out.name(), "BYTES", List.of((long) results.size(), (long) k), null, strings);
    }

    /** The output's values for every image, row-major [N, width] FP32. */
    static V2Models.OutputTensor tensor(V2RequestValidator validator, V2RequestValidator.Output out, List<Classified> results) {
        int width = validator.width(out.name());
        float[] flat = new float[results.size() * width];
        for (int i = 0; i < results.size(); i++) {
            System.arraycopy(out.isProb() ? results.get(i).probabilities() : results.get(i).features(), 0, flat, i * width, width);
        }
        return new V2Models.OutputTensor(out.name(), "FP32", List.of((long) results.size(), (long) width), null, flat);
    }
}
