package dev.alexnet.service.model.network;

import dev.alexnet.service.model.AlexNetArchitecture;
import dev.alexnet.service.model.Precision;
import dev.alexnet.service.model.ForwardResult;
import dev.alexnet.service.model.runtime.NativeBuild;
import dev.alexnet.service.model.weights.AlexNetWeights;
import dev.alexnet.service.model.weights.NpyArrays;
import dev.alexnet.service.model.weights.NpyWeightsReader;
import static dev.alexnet.service.model.network.Assertions2.assertClose;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.SplittableRandom;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The pass on oneDNN's primitives: against PyTorch's float64 outputs (the reduced network of
 * tools/make_reference_fixtures.py), and against the ND4J pass on full-size weights, at several
 * batch sizes in an order that makes it grow and reuse its activation buffers.
 */
class DnnlAlexNetTest {

    @BeforeAll
    static void backend() {
        NativeBuild.select(null);
    }

    @Test
    void reducedNetworkMatchesPyTorchAtBatchTwoAndOne() throws Exception {
        AlexNetWeights weights = new NpyWeightsReader().read(NpyArrays.fixture("reduced.npy"));
        NpyArrays.Array input = NpyArrays.read("/fixtures/reduced-input.npy");
        NpyArrays.Array prob = NpyArrays.read("/fixtures/reduced-prob.npy");
        NpyArrays.Array fc7 = NpyArrays.read("/fixtures/reduced-fc7.npy");
        int classes = weights.architecture().classes();
        int features = weights.architecture().fc7();
        try (DnnlAlexNet net = new DnnlAlexNet(weights)) {
            ForwardResult both = net.forward(input.data(), 2);
            assertClose(prob.data(), both.probabilities(), 1e-5, "probabilities");
            assertClose(fc7.data(), both.features(), 1e-5, "fc7");
            float[] second = Arrays.copyOfRange(input.data(), input.data().length / 2, input.data().length);
            ForwardResult single = net.forward(second, 1);
            assertClose(Arrays.copyOfRange(prob.data(), classes, 2 * classes), single.probabilities(0), 1e-5, "batch of 1");
            assertClose(Arrays.copyOfRange(fc7.data(), features, 2 * features), single.features(0), 1e-5, "fc7, batch of 1");
            net.useGemvAtBatchOne(true);
            ForwardResult gemv = net.forward(second, 1);
            assertClose(Arrays.copyOfRange(prob.data(), classes, 2 * classes), gemv.probabilities(0), 1e-5, "batch of 1, inner product");
            assertClose(Arrays.copyOfRange(fc7.data(), features, 2 * features), gemv.features(0), 1e-5, "fc7, inner product");
            assertThat(net.layouts(1)).as("the gemv plan's dense layers").doesNotContain("1x1");
            assertThat(net.passName()).isEqualTo("onednn");
        }
    }

    @Test
    void fullSizeMatchesTheNd4jPassAtEveryBatchSizeInAnyOrder() {
        AlexNetWeights weights = AlexNetWeights.random(AlexNetArchitecture.FULL, 42);
        float[] input = randomInput(5, 3);
        try (AlexNet nd4j = new AlexNet(weights); DnnlAlexNet net = new DnnlAlexNet(weights)) {
            ForwardResult expected = nd4j.forward(input, 5);
            // 1, then 5 (the buffers grow and the first plan is rebuilt onto them), then 1 and 2 again.
            for (int n : new int[] {1, 5, 1, 2}) {
                ForwardResult got = net.forward(Arrays.copyOf(input, n * AlexNetArchitecture.INPUT_FLOATS), n);
                for (int i = 0; i < n; i++) {
                    assertClose(expected.probabilities(i), got.probabilities(i), 1e-5, "probabilities, image " + i + " of " + n);
                    assertCloseRelative(expected.features(i), got.features(i), 1e-4, "fc7, image " + i + " of " + n);
                    assertThat(argmax(got.probabilities(i))).as("top-1, image %d of %d", i, n)
                            .isEqualTo(argmax(expected.probabilities(i)));
                }
            }
            assertThat(net.layouts(1)).contains("conv1", "conv5", "fc8");
        }
    }

    /**
     * A plan reads and writes only the shared buffers: the 32 batch sizes of a service hold the
     * input, activations and outputs of one batch of 32, not of each size. When each plan held its
     * own input (0.6 MB an image, whatever the network's widths), passes at the 32 sizes took 327 MB
     * of physical memory; now 18 to 24 MB, the primitives and what the JVM moves. A network whose
     * passes at every size ran first, on inputs made before the readings, brings the heap to the
     * same state, so that only native memory counts. A prepared network computes what one that
     * builds its plans as passes come does.
     */
    @Test
    void plansShareTheirBuffersAndPreparedOnesComputeWhatUnpreparedOnesDo() {
        AlexNetWeights weights = AlexNetWeights.random(new AlexNetArchitecture(8, 16, 24, 24, 16, 32, 32, 10), 3);
        float[] input = randomInput(32, 9);
        // Every batch's input made before the readings: copied inside the loop they were 326 MB of garbage,
        // and the heap growing under it moved RSS by 120 to 180 MB (a 202 MB reading failed CI).
        float[][] batches = new float[33][];
        for (int n = 1; n <= 32; n++) {
            batches[n] = Arrays.copyOf(input, n * AlexNetArchitecture.INPUT_FLOATS);
        }
        try (DnnlAlexNet unprepared = new DnnlAlexNet(weights); DnnlAlexNet prepared = new DnnlAlexNet(weights)) {
            for (int n = 1; n <= 32; n++) {
                unprepared.forward(batches[n], n);
            }
            prepared.prepare(32);
            long before = org.bytedeco.javacpp.Pointer.physicalBytes();
            for (int n = 1; n <= 32; n++) {
                prepared.forward(batches[n], n);
            }
            long grown = org.bytedeco.javacpp.Pointer.physicalBytes() - before;
            // About 20 MB of buffers and primitives; the bound leaves room for the JVM's own movement and sits
            // far below the 327 MB the per-plan inputs took.
            assertThat(grown).as("physical bytes taken by passes at 32 prepared sizes").isLessThan(128L << 20);
            for (int n : new int[] {3, 32, 1}) {
                assertClose(unprepared.forward(batches[n], n).probabilities(), prepared.forward(batches[n], n).probabilities(),
                        1e-6, "batch of " + n);
            }
        }
    }

    /**
     * Choosing the 1x1 convolution at batch 1 frees the inner product's plan and its copy of the
     * dense weights: what is left is what a network that never built the inner product holds, and
     * it still computes. Choosing the inner product keeps both (batches take the convolution).
     */
    @Test
    void keepingTheBatchedPathFreesTheInnerProductsWeights() {
        AlexNetWeights weights = AlexNetWeights.random(new AlexNetArchitecture(8, 16, 24, 24, 16, 64, 64, 10), 4);
        float[] input = randomInput(2, 11);
        float[] one = Arrays.copyOf(input, AlexNetArchitecture.INPUT_FLOATS);
        try (DnnlAlexNet both = new DnnlAlexNet(weights); DnnlAlexNet convOnly = new DnnlAlexNet(weights);
             DnnlAlexNet gemvKept = new DnnlAlexNet(weights)) {
            both.prepare(2);
            gemvKept.prepare(2);
            assertThat(both.plansBuilt()).as("batches 1 and 2, and the inner product at 1").isEqualTo(3);
            convOnly.forward(input, 2);
            convOnly.forward(one, 1);
            long bothBytes = both.weightBytes();
            assertThat(bothBytes).as("two layouts of the dense weights").isGreaterThan(convOnly.weightBytes());
            float[] expected = convOnly.forward(one, 1).probabilities(0);

            both.keepBatchOnePath(false);
            assertThat(both.weightBytes()).isEqualTo(convOnly.weightBytes());
            assertThat(both.gemvAtBatchOne()).isFalse();
            assertClose(expected, both.forward(one, 1).probabilities(0), 1e-6, "batch of 1 after the inner product was freed");
            assertThatThrownBy(() -> both.useGemvAtBatchOne(true)).isInstanceOf(IllegalStateException.class);
            both.prepare(2);
            assertThat(both.weightBytes()).as("prepare builds no inner product again").isEqualTo(convOnly.weightBytes());
            assertThat(both.plansBuilt()).isEqualTo(2);

            // The inner product's plan built first, then dropped by a batch of 2 growing the arena:
            // choosing the 1x1 convolution still frees its copy.
            try (DnnlAlexNet grownAfter = new DnnlAlexNet(weights)) {
                grownAfter.useGemvAtBatchOne(true);
                grownAfter.forward(one, 1);
                grownAfter.forward(input, 2);
                grownAfter.keepBatchOnePath(false);
                assertThat(grownAfter.weightBytes()).isEqualTo(convOnly.weightBytes());
                assertClose(expected, grownAfter.forward(one, 1).probabilities(0), 1e-6, "batch of 1 after the grown arena");
            }

            gemvKept.keepBatchOnePath(true);
            assertThat(gemvKept.weightBytes()).isEqualTo(bothBytes);
            assertThat(gemvKept.gemvAtBatchOne()).isTrue();
            assertClose(expected, gemvKept.forward(one, 1).probabilities(0), 1e-5, "batch of 1 on the inner product");
            assertClose(convOnly.forward(input, 2).probabilities(), gemvKept.forward(input, 2).probabilities(), 1e-6,
                    "a batch of 2 still on the 1x1 convolution");
        }
    }

    /**
     * The engine builds a pass on one thread and runs it on its inference thread. With oneDNN's
     * per-thread scratchpad this reduced network's gemm convolutions (what oneDNN takes for them on
     * AVX2; on AVX-512 it takes its jit and brgconv kernels) crashed the JVM; the network's own
     * scratchpad makes it safe.
     */
    @Test
    void runsOnAThreadOtherThanTheOneThatBuiltIt() throws Exception {
        AlexNetWeights weights = new NpyWeightsReader().read(NpyArrays.fixture("reduced.npy"));
        float[] input = randomInput(32, 5);
        java.util.concurrent.ExecutorService other = java.util.concurrent.Executors.newSingleThreadExecutor();
        try (AlexNet nd4j = new AlexNet(weights); DnnlAlexNet net = new DnnlAlexNet(weights)) {
            assertThat(net.layouts(1)).contains("conv1", "fc8");
            net.layouts(32);
            ForwardResult expected = nd4j.forward(input, 32);
            ForwardResult got = other.submit(() -> net.forward(input, 32)).get();
            ForwardResult one = other.submit(() -> net.forward(Arrays.copyOf(input, AlexNetArchitecture.INPUT_FLOATS), 1)).get();
            assertClose(expected.probabilities(), got.probabilities(), 1e-5, "batch of 32 on another thread");
            assertClose(expected.probabilities(0), one.probabilities(0), 1e-5, "batch of 1 on another thread");
        } finally {
            other.shutdown();
        }
    }

    @Test
    void refusesInputThatIsNotWholeImagesAndPassesAfterClose() {
        AlexNetWeights weights = AlexNetWeights.random(new AlexNetArchitecture(8, 16, 24, 24, 16, 32, 32, 10), 1);
        DnnlAlexNet net = new DnnlAlexNet(weights);
        assertThatThrownBy(() -> net.forward(new float[10], 1)).isInstanceOf(IllegalArgumentException.class);
        assertThat(net.forward(randomInput(1, 2), 1).probabilities(0)).hasSize(10);
        net.close();
        assertThatThrownBy(() -> net.forward(randomInput(1, 2), 1)).isInstanceOf(IllegalStateException.class);
        net.close();
    }

    @Test
    void softmaxRowsSumToOneAndKeepOrder() {
        float[] logits = {1f, 2f, 3f, 1000f, 1000f, -1000f};
        DnnlAlexNet.softmaxRows(logits, 2, 3);
        assertThat(logits[0] + logits[1] + logits[2]).isCloseTo(1f, org.assertj.core.data.Offset.offset(1e-6f));
        assertThat(logits[0]).isLessThan(logits[1]);
        assertThat(logits[1]).isLessThan(logits[2]);
        assertThat(logits[3]).isEqualTo(0.5f);
        assertThat(logits[5]).isEqualTo(0f);
    }

    /**
     * bf16 computes what fp32 does to bfloat16's precision: the features and the logits (centred
     * log-probabilities) within 3% RMS of fp32's, but not within 0.01% (which would mean the pass
     * still ran in fp32), at batch 1 on both dense paths and at batch 5; the weights held take half
     * the bytes. 0.55% to 0.67% over 1,000 photo inputs on a Zen 5 EPYC (tools/bf16-agreement.sh).
     */
    @Test
    void bf16ComputesWhatFp32DoesToBfloat16sPrecisionOnCpusThatHaveIt() {
        org.junit.jupiter.api.Assumptions.assumeTrue(DnnlAlexNet.hasBf16Instructions(), "no AVX512_BF16 or AMX on this CPU");
        AlexNetWeights weights = AlexNetWeights.random(AlexNetArchitecture.FULL, 42);
        float[] input = randomInput(5, 4);
        try (DnnlAlexNet fp32 = new DnnlAlexNet(weights); DnnlAlexNet bf16 = new DnnlAlexNet(weights, Precision.BF16)) {
            assertThat(bf16.precision()).isEqualTo(Precision.BF16);
            ForwardResult expected = fp32.forward(input, 5);
            float[] first = Arrays.copyOf(input, AlexNetArchitecture.INPUT_FLOATS);
            for (boolean gemv : new boolean[] {false, true}) {
                bf16.useGemvAtBatchOne(gemv);
                ForwardResult one = bf16.forward(first, 1);
                assertBfloat16Close(expected.features(0), one.features(0), "fc7, batch 1, gemv " + gemv);
                assertBfloat16Close(centredLog(expected.probabilities(0)), centredLog(one.probabilities(0)),
                        "logits, batch 1, gemv " + gemv);
            }
            ForwardResult five = bf16.forward(input, 5);
            for (int i = 0; i < 5; i++) {
                assertBfloat16Close(expected.features(i), five.features(i), "fc7, image " + i + " of 5");
                assertBfloat16Close(centredLog(expected.probabilities(i)), centredLog(five.probabilities(i)),
                        "logits, image " + i + " of 5");
                float sum = 0;
                for (float p : five.probabilities(i)) {
                    sum += p;
                }
                assertThat(sum).as("probabilities sum, image %d", i).isCloseTo(1f, org.assertj.core.data.Offset.offset(1e-4f));
            }
            bf16.keepBatchOnePath(false);
            assertThat(bf16.weightBytes()).as("bf16 weights held, one layout each").isLessThan(fp32.weightBytes() * 55 / 100);
        }
    }

    @Test
    void bf16IsRefusedWhereTheCpuHasNoBfloat16Instructions() {
        org.junit.jupiter.api.Assumptions.assumeFalse(DnnlAlexNet.hasBf16Instructions(), "this CPU has bfloat16 instructions");
        AlexNetWeights weights = AlexNetWeights.random(new AlexNetArchitecture(8, 16, 24, 24, 16, 32, 32, 10), 3);
        assertThatThrownBy(() -> new DnnlAlexNet(weights, Precision.BF16))
                .isInstanceOf(UnsupportedOperationException.class)
                .hasMessageContaining("AVX512_BF16 or AMX");
    }

    /** RMS of the difference over RMS of {@code expected}: between 1e-4 (not fp32) and 3%. */
    private static void assertBfloat16Close(float[] expected, float[] actual, String what) {
        double diff = 0;
        double norm = 0;
        for (int i = 0; i < expected.length; i++) {
            diff += (double) (expected[i] - actual[i]) * (expected[i] - actual[i]);
            norm += (double) expected[i] * expected[i];
        }
        assertThat(norm).as(what + ": scale").isGreaterThan(0);
        assertThat(Math.sqrt(diff / norm)).as(what + ": relative RMS error").isBetween(1e-4, 0.03);
    }

    /** log p minus its mean: the logits minus theirs (softmax only shifts them by a constant). */
    private static float[] centredLog(float[] p) {
        float[] l = new float[p.length];
        double mean = 0;
        for (int i = 0; i < p.length; i++) {
            l[i] = (float) Math.log(p[i]);
            mean += l[i];
        }
        mean /= p.length;
        for (int i = 0; i < p.length; i++) {
            l[i] -= (float) mean;
        }
        return l;
    }

    private static float[] randomInput(int n, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] input = new float[n * AlexNetArchitecture.INPUT_FLOATS];
        for (int i = 0; i < input.length; i++) {
            input[i] = (float) (random.nextDouble() * 255 - 128);
        }
        return input;
    }

    private static int argmax(float[] values) {
        int best = 0;
        for (int i = 1; i < values.length; i++) {
            if (values[i] > values[best]) {
                best = i;
            }
        }
        return best;
    }

    /** Each value within {@code tolerance} of the largest magnitude in {@code expected}. */
    private static void assertCloseRelative(float[] expected, float[] actual, double tolerance, String what) {
        double scale = 0;
        for (float v : expected) {
            scale = Math.max(scale, Math.abs(v));
        }
        assertThat(scale).as(what + ": scale").isGreaterThan(0);
        assertClose(expected, actual, tolerance * scale, what);
    }
}
