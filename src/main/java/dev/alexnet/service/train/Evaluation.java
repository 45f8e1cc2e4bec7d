package dev.alexnet.service.train;

import java.io.IOException;
import java.nio.file.Files;
import java.util.Arrays;
import java.util.List;

import dev.alexnet.service.classify.TopK;
import dev.alexnet.service.model.network.TrainableAlexNet;
import dev.alexnet.service.preprocess.DecodedImage;
import dev.alexnet.service.preprocess.ImageDecoder;

/** A held-out set's mean cross-entropy, top-1 and top-5 accuracy, on center crops (no augmentation). */
final class Evaluation {

    private Evaluation() {
    }

    /** [mean cross-entropy, top-1 accuracy, top-5 accuracy], in chunks of at most 64 images. */
    static double[] evaluate(TrainableAlexNet net, ImageFolder set, ImageDecoder decoder, int batch) throws IOException {
        int size = Augmentation.CROP * Augmentation.CROP * 3;
        int classes = set.classes().size();
        int chunk = Math.min(64, batch);
        double loss = 0;
        int top1 = 0;
        int top5 = 0;
        int count = 0;
        List<ImageFolder.Sample> samples = set.samples();
        for (int from = 0; from < samples.size(); from += chunk) {
            int n = Math.min(chunk, samples.size() - from);
            float[] input = new float[n * size];
            for (int i = 0; i < n; i++) {
                DecodedImage image = decoder.decode(Files.readAllBytes(samples.get(from + i).file()));
                System.arraycopy(Augmentation.evaluationTensor(image), 0, input, i * size, size);
            }
            float[] prob = net.predict(input, n);
            for (int i = 0; i < n; i++) {
                int label = samples.get(from + i).label();
                float[] row = Arrays.copyOfRange(prob, i * classes, (i + 1) * classes);
                loss -= Math.log(Math.max(row[label], 1e-30));
                int[] top = TopK.indices(row, 5);
                top1 += top[0] == label ? 1 : 0;
                for (int t : top) {
                    top5 += t == label ? 1 : 0;
                }
                count++;
            }
        }
        return new double[] {loss / count, (double) top1 / count, (double) top5 / count};
    }
}
