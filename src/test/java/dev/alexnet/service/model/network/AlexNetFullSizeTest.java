package dev.alexnet.service.model.network;

import dev.alexnet.service.model.AlexNetArchitecture;
import dev.alexnet.service.model.ForwardResult;
import dev.alexnet.service.model.runtime.NativeBuild;
import dev.alexnet.service.model.weights.AlexNetWeights;
import dev.alexnet.service.model.weights.NpyWeightsReader;
import dev.alexnet.service.model.weights.NpyWeightsWriter;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The full-size network: geometry, parameter count, a full-size weights file, and its outputs. */
class AlexNetFullSizeTest {

    private static AlexNetWeights weights;

    @BeforeAll
    static void setUp() {
        NativeBuild.select(null);
        weights = AlexNetWeights.random(AlexNetArchitecture.FULL, 42);
    }

    @Test
    void parameterCountIsTheSpecs() {
        assertThat(AlexNetArchitecture.FULL.parameterCount()).isEqualTo(60_965_224L);
        assertThat(weights.parameterCount()).isEqualTo(60_965_224L);
        // 1.45 GFLOP per image (724 M multiply-adds).
        assertThat(AlexNetArchitecture.FULL.macsPerImage()).isBetween(723_000_000L, 725_000_000L);
    }

    @Test
    void shapeAfterEveryLayer() {
        Map<String, long[]> shapes = new LinkedHashMap<>();
        float[] input = randomInput(2, 1);
        try (AlexNet net = new AlexNet(weights)) {
            net.forward(input, 2, null, (name, activation) -> shapes.put(name, activation.shape()));
        }
        assertThat(shapes.keySet()).containsExactly("conv1", "norm1", "pool1", "conv2", "norm2", "pool2",
                "conv3", "conv4", "conv5", "pool5", "fc6", "fc7", "fc8", "prob");
        assertThat(shapes.get("conv1")).containsExactly(2, 55, 55, 96);
        assertThat(shapes.get("norm1")).containsExactly(2, 55, 55, 96);
        assertThat(shapes.get("pool1")).containsExactly(2, 27, 27, 96);
        assertThat(shapes.get("conv2")).containsExactly(2, 27, 27, 256);
        assertThat(shapes.get("norm2")).containsExactly(2, 27, 27, 256);
        assertThat(shapes.get("pool2")).containsExactly(2, 13, 13, 256);
        assertThat(shapes.get("conv3")).containsExactly(2, 13, 13, 384);
        assertThat(shapes.get("conv4")).containsExactly(2, 13, 13, 384);
        assertThat(shapes.get("conv5")).containsExactly(2, 13, 13, 256);
        assertThat(shapes.get("pool5")).containsExactly(2, 6, 6, 256);
        assertThat(shapes.get("fc6")).containsExactly(2, 4096);
        assertThat(shapes.get("fc7")).containsExactly(2, 4096);
        assertThat(shapes.get("fc8")).containsExactly(2, 1000);
        assertThat(shapes.get("prob")).containsExactly(2, 1000);
    }

    /**
     * A batch of one at full size, where OpenBLAS threads its sgemv: each dense layer on both
     * paths against a float64 product of the same layer's input, within 1e-5 of the layer's
     * largest output (float32 sums of 9,216 signed terms are exact to about 1e-6 of that).
     */
    @Test
    void batchOfOneDenseLayersMatchFloat64OnSgemvAndOnMmul() {
        float[] input = randomInput(1, 3);
        float[][] probabilities = new float[2][];
        for (int path = 0; path < 2; path++) {
            boolean sgemv = path == 0;
            Map<String, float[]> out = new LinkedHashMap<>();
            try (AlexNet net = new AlexNet(weights, sgemv)) {
                assertThat(net.gemvAtBatchOne()).isEqualTo(sgemv);
                probabilities[path] = net.forward(input, 1, null, (name, a) -> out.put(name, a.dup('c').data().asFloat()))
                        .probabilities();
            }
            Assertions2.assertClose(denseFloat64(out.get("pool5"), "fc6", true), out.get("fc6"), 1e-5, 1, "fc6, sgemv " + sgemv);
            Assertions2.assertClose(denseFloat64(out.get("fc6"), "fc7", true), out.get("fc7"), 1e-5, 1, "fc7, sgemv " + sgemv);
            Assertions2.assertClose(denseFloat64(out.get("fc7"), "fc8", false), out.get("fc8"), 1e-5, 1, "fc8, sgemv " + sgemv);
        }
        Assertions2.assertClose(probabilities[1], probabilities[0], 1e-4, 1, "probabilities, sgemv vs Mmul");
    }

    private float[] denseFloat64(float[] x, String layer, boolean relu) {
        float[] w = weights.layer(layer).weights().data();
        float[] b = weights.layer(layer).bias().data();
        double[] y = new double[b.length];
        for (int j = 0; j < b.length; j++) {
            y[j] = b[j];
        }
        for (int i = 0; i < x.length; i++) {
            for (int j = 0; j < b.length; j++) {
                y[j] += (double) x[i] * w[i * b.length + j];
            }
        }
        float[] result = new float[b.length];
        for (int j = 0; j < b.length; j++) {
            result[j] = (float) (relu ? Math.max(0, y[j]) : y[j]);
        }
        return result;
    }

    @Test
    void probabilitiesSumToOneAndFeaturesAreReluOutputs() {
        int n = 3;
        try (AlexNet net = new AlexNet(weights)) {
            ForwardResult result = net.forward(randomInput(n, 2), n);
            assertThat(result.probabilities()).hasSize(n * 1000);
            assertThat(result.features()).hasSize(n * 4096);
            for (int i = 0; i < n; i++) {
                double sum = 0;
                for (float p : result.probabilities(i)) {
                    assertThat(p).isBetween(0f, 1f);
                    sum += p;
                }
                assertThat(sum).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-4));
                float min = Float.MAX_VALUE;
                float max = -Float.MAX_VALUE;
                for (float v : result.features(i)) {
                    min = Math.min(min, v);
                    max = Math.max(max, v);
                }
                assertThat(min).isZero();
                assertThat(max).isPositive();
            }
        }
    }

    @Test
    void randomInitIsDeterministic() {
        AlexNetWeights again = AlexNetWeights.random(AlexNetArchitecture.FULL, 42);
        assertThat(again.layer("fc6").weights()).isEqualTo(weights.layer("fc6").weights());
        assertThat(again.source().name()).isEqualTo("random-init");
        assertThat(again.source().sha256()).isNull();
        assertThat(AlexNetWeights.random(AlexNetArchitecture.FULL, 43).layer("conv1").weights())
                .isNotEqualTo(weights.layer("conv1").weights());
    }

    @Test
    void fullSizeFileRoundTripsBitIdentical(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("bvlc_alexnet.npy");
        new NpyWeightsWriter().write(weights, file);
        // The bvlc file is 243,861,814 bytes; ours differs only in the pickle's memo opcodes.
        assertThat(Files.size(file)).isBetween(243_800_000L, 243_900_000L);
        AlexNetWeights read = new NpyWeightsReader().read(file);
        assertThat(read.architecture()).isEqualTo(AlexNetArchitecture.FULL);
        for (String layer : AlexNetArchitecture.LAYERS) {
            assertThat(read.layer(layer)).as(layer).isEqualTo(weights.layer(layer));
        }
        assertThat(read.source().name()).isEqualTo("bvlc_alexnet.npy");
    }

    /**
     * Loading holds the 233 MiB of parameters at most twice: a JVM whose whole heap is 2 x 233 MiB
     * plus 40 MiB for the JVM itself loads the full file, and one with 1.1 x 233 MiB cannot, so the
     * bound is real.
     */
    @Test
    void loadingPeaksBelowTwiceTheWeights(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("bvlc_alexnet.npy");
        new NpyWeightsWriter().write(weights, file);
        assertThat(loadInChildJvm(file, 2 * 233 + 40)).as("load within 2 x 233 MiB + 40 MiB").isZero();
        assertThat(loadInChildJvm(file, 256)).as("load within 256 MiB").isNotZero();
    }

    private static int loadInChildJvm(Path file, int heapMiB) throws Exception {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process process = new ProcessBuilder(List.of(java.toString(), "-Xmx" + heapMiB + "m", "-XX:+UseSerialGC",
                "-cp", System.getProperty("java.class.path"), LoadProbe.class.getName(), file.toString()))
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        assertThat(process.waitFor(120, TimeUnit.SECONDS)).isTrue();
        return process.exitValue();
    }

    /** Loads a weights file and exits 0, or 1 on OutOfMemoryError. */
    public static final class LoadProbe {
        public static void main(String[] args) {
            try {
                AlexNetWeights w = new NpyWeightsReader().read(Path.of(args[0]));
                System.exit(w.parameterCount() == 60_965_224L ? 0 : 3);
            } catch (OutOfMemoryError e) {
                System.exit(1);
            }
        }
    }

    static float[] randomInput(int n, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] input = new float[n * 3 * 227 * 227];
        for (int i = 0; i < input.length; i++) {
            input[i] = (float) (random.nextDouble() * 255 - 120);
        }
        return input;
    }
}
