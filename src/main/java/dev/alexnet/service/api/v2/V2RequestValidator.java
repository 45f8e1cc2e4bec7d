package dev.alexnet.service.api.v2;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.IntConsumer;

import dev.alexnet.service.api.problem.ProblemType;
import dev.alexnet.service.classify.Classifier;
import dev.alexnet.service.classify.ModelRegistry;
import dev.alexnet.service.classify.TopK;
import dev.alexnet.service.model.AlexNetArchitecture;

/**
 * The rules of a v2 inference request for this model, apart from the controller that runs it: one
 * FP32 input {@code data} of shape [N, 3, 227, 227] holding N x 154,587 values, outputs {@code prob}
 * and {@code fc7} each at most once, and the classification extension's k bounded by the output's width.
 */
final class V2RequestValidator {

    static final String INPUT = "data";
    static final String PROB = "prob";
    static final String FC7 = "fc7";
    static final int IMAGE = AlexNetArchitecture.INPUT_FLOATS;

    private final AlexNetArchitecture architecture;

    V2RequestValidator(AlexNetArchitecture architecture) {
        this.architecture = architecture;
    }

    /**
     * One requested output: its name, the classification extension's k (null for the raw tensor),
     * and whether it goes back as raw bytes after the JSON (the binary tensor data extension).
     */
    record Output(String name, Integer classification, boolean binary) {

        boolean isProb() {
            return PROB.equals(name);
        }
    }

    /** A request that passed every rule: N images in one flat row-major array, and the outputs wanted. */
    record Valid(int images, float[] data, List<Output> outputs) {
    }

    /**
     * The model version a request names, held until the request is answered. Without a repository
     * the one model keeps the protocol's messages for a wrong name or version; with one, the
     * registry's say what is served and why not.
     */
    static ModelRegistry.Lease lease(ModelRegistry models, String model, String version) {
        if (models.repository() == null) {
            checkModel(model, version);
        }
        return models.resolve(model, version);
    }

    /** Refuses (404) a model or version this server does not serve; an empty or absent version means the current one. */
    static void checkModel(String model, String version) {
        if (!Classifier.MODEL.equals(model)) {
            throw new V2Exception(ProblemType.NOT_FOUND, "unknown model '" + model + "'; this server serves '" + Classifier.MODEL + "'");
        }
        if (version != null && !version.isEmpty() && !V2Controller.VERSION.equals(version)) {
            throw new V2Exception(ProblemType.NOT_FOUND,
                    "unknown version '" + version + "' of model '" + Classifier.MODEL + "'; the version is " + V2Controller.VERSION);
        }
    }

    /** The request when it follows every rule; {@code checkCount} (the use case's request limit) sees N once the shape is known. */
    Valid validate(V2Models.InferRequest request, IntConsumer checkCount) {
        if (request.inputs() == null || request.inputs().size() != 1) {
            throw new V2Exception("expected exactly one input, 'data'");
        }
        V2Models.InferInput input = request.inputs().get(0);
        if (!INPUT.equals(input.name())) {
            throw new V2Exception("unexpected input '" + input.name() + "'; the model's input is 'data'");
        }
        if (!"FP32".equals(input.datatype())) {
            throw new V2Exception("input 'data' has datatype " + input.datatype() + "; expected FP32");
        }
        List<Long> shape = input.shape();
        int size = AlexNetArchitecture.INPUT_SIZE;
        if (shape == null || shape.size() != 4 || shape.get(1) != 3 || shape.get(2) != size || shape.get(3) != size || shape.get(0) < 1) {
            throw new V2Exception("input 'data' has shape " + shape + "; expected [N, 3, " + size + ", " + size + "]");
        }
        if (shape.get(0) > Integer.MAX_VALUE / IMAGE) {
            throw new V2Exception("input 'data' has shape " + shape + "; N is far over the request limit");
        }
        int n = Math.toIntExact(shape.get(0));
        checkCount.accept(n);
        long expected = (long) n * IMAGE;
        TensorData data = input.data();
        if (data == null) {
            throw new V2Exception("input 'data' has no data: send it as JSON \"data\", or as raw bytes after the JSON with "
                    + "parameters.binary_data_size and the Inference-Header-Content-Length header");
        }
        if (data.problem() != null) {
            throw new V2Exception("input 'data': " + data.problem());
        }
        if (data.lengths().size() > 1 && !data.lengths().equals(shape.stream().map(Long::intValue).toList())) {
            throw new V2Exception("input 'data' is nested as " + data.lengths() + "; shape " + shape
                    + " needs the same nesting, or flat data");
        }
        float[] values = data.values();
        if (values.length != expected) {
            throw new V2Exception("input 'data' holds " + values.length + " values; shape " + shape + " needs " + expected
                    + " (flat or nested, row-major)");
        }
        int bad = firstNonFinite(values);
        if (bad >= 0) {
            int size3 = size * size;
            throw new V2Exception(String.format(Locale.ROOT,
                    "input 'data' holds a value outside FP32's finite range at index %d ([%d, %d, %d, %d]): %s",
                    bad, bad / IMAGE, bad % IMAGE / size3, bad % size3 / size, bad % size, values[bad]));
        }
        List<V2Models.RequestedOutput> wanted = request.outputs() == null || request.outputs().isEmpty()
                ? List.of(new V2Models.RequestedOutput(PROB, null)) : request.outputs();
        Set<String> seen = new HashSet<>();
        List<Output> outputs = new ArrayList<>(wanted.size());
        for (V2Models.RequestedOutput out : wanted) {
            if (!PROB.equals(out.name()) && !FC7.equals(out.name())) {
                throw new V2Exception("unknown output '" + out.name() + "'; the model's outputs are 'prob' and 'fc7'");
            }
            if (!seen.add(out.name())) {
                throw new V2Exception("output '" + out.name() + "' is requested twice");
            }
            outputs.add(new Output(out.name(), classification(out), binary(out, request)));
        }
        return new Valid(n, values, outputs);
    }

    /**
     * The first value that is not a finite float, or -1. A JSON number beyond FP32's range (1e39)
     * arrives as infinity and would come out of the network as NaN in a 200.
     */
    private static int firstNonFinite(float[] data) {
        for (int i = 0; i < data.length; i++) {
            if (!Float.isFinite(data[i])) {
                return i;
            }
        }
        return -1;
    }

    /** The width of an output: the class count for {@code prob}, 4,096 for {@code fc7}. */
    int width(String output) {
        return PROB.equals(output) ? architecture.classes() : architecture.fc7();
    }

    /** {@code binary_data} on the output, else the request's {@code binary_data_output}, else JSON. */
    private static boolean binary(V2Models.RequestedOutput out, V2Models.InferRequest request) {
        Object own = out.parameters() == null ? null : out.parameters().get("binary_data");
        Object all = request.parameters() == null ? null : request.parameters().get("binary_data_output");
        for (Object flag : new Object[] {own, all}) {
            if (flag != null && !(flag instanceof Boolean)) {
                throw new V2Exception("binary_data and binary_data_output must be true or false; got " + flag);
            }
        }
        return own != null ? (Boolean) own : Boolean.TRUE.equals(all);
    }

    private Integer classification(V2Models.RequestedOutput out) {
        if (out.parameters() == null) {
            return null;
        }
        Object value = out.parameters().get("classification");
        if (value == null) {
            return null;
        }
        String parameter = "parameters.classification on '" + out.name() + "'";
        if (!(value instanceof Number number) || number.doubleValue() != Math.rint(number.doubleValue())) {
            throw new V2Exception(parameter + " must be an integer from 1 to " + width(out.name()) + "; got " + value);
        }
        return TopK.check(parameter, number.longValue(), width(out.name()));
    }
}
