package dev.alexnet.service.model.network;

import dev.alexnet.service.model.AlexNetArchitecture;
import dev.alexnet.service.model.runtime.NativeBuild;
import dev.alexnet.service.model.weights.AlexNetWeights;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The training network: its forward pass is the serving network's, its backward pass agrees with
 * finite differences of the loss in float64 on every parameter tensor, and the float32 path
 * (where oneDNN's backward helpers run) agrees with the float64 one.
 */
class TrainableAlexNetTest {

    static final AlexNetArchitecture REDUCED = new AlexNetArchitecture(8, 16, 24, 24, 16, 32, 32, 10);
    private static final int N = 2;
    private static final int[] LABELS = {3, 7};

    @BeforeAll
    static void backend() {
        NativeBuild.select(null);
    }

    private static Map<String, double[]> gradients(TrainableAlexNet net, float[] input, long dropoutSeed) {
        Map<String, double[]> grads = new HashMap<>();
        net.step(input, N, LABELS, new SplittableRandom(dropoutSeed), true,
                (name, parameter, gradient) -> grads.put(name, gradient.castTo(DataType.DOUBLE).dup('c').data().asDouble()));
        return grads;
    }

    private static double loss(TrainableAlexNet net, float[] input, long dropoutSeed) {
        return net.step(input, N, LABELS, new SplittableRandom(dropoutSeed), false, (name, parameter, gradient) -> { }).loss();
    }

    @Test
    void forwardPassIsTheServingNetworks() {
        AlexNetWeights weights = AlexNetWeights.random(REDUCED, 11);
        float[] input = AlexNetFullSizeTest.randomInput(N, 5);
        try (AlexNet serving = new AlexNet(weights); TrainableAlexNet training = new TrainableAlexNet(weights, DataType.FLOAT)) {
            Assertions2.assertClose(serving.forward(input, N).probabilities(), training.predict(input, N), 1e-5, "probabilities");
        }
    }

    @Test
    void backwardPassMatchesFiniteDifferencesOnEveryParameter() {
        AlexNetWeights weights = AlexNetWeights.random(REDUCED, 3);
        float[] input = AlexNetFullSizeTest.randomInput(N, 4);
        long dropoutSeed = 99;
        try (TrainableAlexNet net = new TrainableAlexNet(weights, DataType.DOUBLE)) {
            Map<String, double[]> analytic = gradients(net, input, dropoutSeed);
            assertThat(analytic.keySet()).hasSize(net.parameters().size()).containsAll(net.parameters().keySet());
            SplittableRandom pick = new SplittableRandom(1);
            double eps = 1e-6;
            int checked = 0;
            for (Map.Entry<String, INDArray> e : net.parameters().entrySet()) {
                INDArray flat = e.getValue().reshape(e.getValue().length());
                double[] grad = analytic.get(e.getKey());
                double norm = 0;
                for (double g : grad) {
                    norm = Math.max(norm, Math.abs(g));
                }
                assertThat(norm).as("%s has a nonzero gradient", e.getKey()).isGreaterThan(0);
                for (int k = 0; k < 4; k++) {
                    // Two entries at random, and the two with the largest gradients.
                    int index = k < 2 ? pick.nextInt(grad.length) : largest(grad, k - 2);
                    double original = flat.getDouble(index);
                    flat.putScalar(index, original + eps);
                    double plus = loss(net, input, dropoutSeed);
                    flat.putScalar(index, original - eps);
                    double minus = loss(net, input, dropoutSeed);
                    flat.putScalar(index, original);
                    double numeric = (plus - minus) / (2 * eps);
                    assertThat(grad[index]).as("d loss / d %s[%d]", e.getKey(), index)
                            .isCloseTo(numeric, org.assertj.core.data.Offset.offset(1e-5 * norm + 1e-5 * Math.abs(numeric)));
                    checked++;
                }
            }
            assertThat(checked).isEqualTo(4 * net.parameters().size());
        }
    }

    private static int largest(double[] values, int rank) {
        int first = 0;
        for (int i = 1; i < values.length; i++) {
            if (Math.abs(values[i]) > Math.abs(values[first])) {
                first = i;
            }
        }
        if (rank == 0) {
            return first;
        }
        int second = first == 0 ? 1 : 0;
        for (int i = 0; i < values.length; i++) {
            if (i != first && Math.abs(values[i]) > Math.abs(values[second])) {
                second = i;
            }
        }
        return second;
    }

    @Test
    void float32GradientsAgreeWithFloat64() {
        AlexNetWeights weights = AlexNetWeights.random(REDUCED, 8);
        float[] input = AlexNetFullSizeTest.randomInput(N, 9);
        Map<String, double[]> single;
        Map<String, double[]> dbl;
        try (TrainableAlexNet net = new TrainableAlexNet(weights, DataType.FLOAT)) {
            single = gradients(net, input, 5);
        }
        try (TrainableAlexNet net = new TrainableAlexNet(weights, DataType.DOUBLE)) {
            dbl = gradients(net, input, 5);
        }
        for (String name : dbl.keySet()) {
            double diff = 0;
            double norm = 0;
            for (int i = 0; i < dbl.get(name).length; i++) {
                diff += Math.pow(single.get(name)[i] - dbl.get(name)[i], 2);
                norm += Math.pow(dbl.get(name)[i], 2);
            }
            assertThat(Math.sqrt(diff / norm)).as("relative error of %s's float32 gradient", name).isLessThan(1e-3);
        }
    }

    @Test
    void dropoutIsActiveInTrainingAndTheIdentityAtInference() {
        AlexNetWeights weights = AlexNetWeights.random(REDUCED, 2);
        float[] input = AlexNetFullSizeTest.randomInput(1, 6);
        try (AlexNet net = new AlexNet(weights)) {
            Map<String, float[]> inference = trace(net, input, null);
            Map<String, float[]> again = trace(net, input, null);
            Map<String, float[]> training = trace(net, input, new SplittableRandom(4));
            assertThat(again.get("fc6")).containsExactly(inference.get("fc6"));
            int positive = 0;
            int dropped = 0;
            for (String layer : List.of("fc6")) {
                float[] plain = inference.get(layer);
                float[] masked = training.get(layer);
                for (int i = 0; i < plain.length; i++) {
                    if (plain[i] > 0) {
                        positive++;
                        if (masked[i] == 0) {
                            dropped++;
                        } else {
                            assertThat(masked[i]).isEqualTo(plain[i] * 2f);
                        }
                    } else {
                        assertThat(masked[i]).isZero();
                    }
                }
            }
            assertThat(positive).isGreaterThan(8);
            assertThat((double) dropped / positive).isBetween(0.15, 0.85);
        }
        // A larger layer pins the rate: 0.5 within 1% over 4096 units x 8 draws.
        SplittableRandom random = new SplittableRandom(12);
        int zeros = 0;
        int total = 0;
        for (int draw = 0; draw < 8; draw++) {
            float[] mask = Layers.dropoutMask(new long[] {1, 4096}, DataType.FLOAT, random).data().asFloat();
            for (float m : mask) {
                assertThat(m).isIn(0f, 2f);
                zeros += m == 0 ? 1 : 0;
                total++;
            }
        }
        assertThat((double) zeros / total).isCloseTo(0.5, org.assertj.core.data.Offset.offset(0.01));
    }

    private static Map<String, float[]> trace(AlexNet net, float[] input, SplittableRandom dropout) {
        Map<String, float[]> layers = new HashMap<>();
        net.forward(input, 1, dropout, (name, activation) -> layers.put(name, activation.dup().data().asFloat()));
        return layers;
    }
}
