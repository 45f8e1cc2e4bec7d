package dev.alexnet.service.model.network;

import dev.alexnet.service.model.runtime.NativeBuild;
import dev.alexnet.service.model.weights.Tensor;
import static dev.alexnet.service.model.network.Assertions2.assertClose;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.SplittableRandom;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/** Each ND4J layer against the plain-loop definition, on small random tensors. */
class LayersTest {

    private static final double TOLERANCE = 1e-5;
    private final SplittableRandom random = new SplittableRandom(11);

    @BeforeAll
    static void backend() {
        NativeBuild.select(null);
    }

    private float[] randoms(int n, double scale) {
        float[] x = new float[n];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) ((random.nextDouble() * 2 - 1) * scale);
        }
        return x;
    }

    @Test
    void copyOfHoldsTheValuesInCOrderInsideAWorkspaceAndRefusesAShortArray() {
        float[] values = randoms(2 * 3 * 4 * 5, 100);
        try (org.nd4j.linalg.api.memory.MemoryWorkspace ws = Nd4j.getWorkspaceManager()
                .getAndActivateWorkspace(Layers.PASS_WORKSPACE, "copy-test")) {
            INDArray array = Layers.copyOf(values, 2, 3, 4, 5);
            assertThat(array.isAttached()).isTrue();
            assertThat(array.shape()).containsExactly(2, 3, 4, 5);
            assertThat(array.ordering()).isEqualTo('c');
            assertThat(array.getFloat(1, 2, 3, 4)).isEqualTo(values[((1 * 3 + 2) * 4 + 3) * 5 + 4]);
            assertThat(array.data().asFloat()).containsExactly(values);
        }
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Layers.copyOf(new float[5], 2, 3))
                .isInstanceOf(IllegalArgumentException.class);
    }

    private void checkConv(int n, int c, int h, int w, int k, int o, int stride, int pad, int groups) {
        float[] x = randoms(n * c * h * w, 50);
        float[] weights = randoms(k * k * (c / groups) * o, 0.2);
        float[] bias = randoms(o, 1);
        int oh = (h + 2 * pad - k) / stride + 1;
        int ow = (w + 2 * pad - k) / stride + 1;
        float[] expected = ReferenceOps.conv(x, n, c, h, w, weights, bias, k, o, stride, pad, groups);
        List<INDArray[]> split = Layers.splitGroups(new Tensor(new long[] {k, k, c / groups, o}, weights),
                new Tensor(new long[] {o}, bias), groups);
        INDArray input = Nd4j.create(ReferenceOps.toNhwc(x, n, c, h, w), new long[] {n, h, w, c}, 'c');
        INDArray out = Layers.conv2d(input, split.stream().map(p -> p[0]).toList(), split.stream().map(p -> p[1]).toList(),
                Layers.convConfig(k, stride, pad));
        assertThat(out.shape()).containsExactly(n, oh, ow, o);
        assertClose(expected, ReferenceOps.toNchw(out.dup('c').data().asFloat(), n, o, oh, ow), TOLERANCE, 0.05,
                "conv k" + k + " s" + stride + " p" + pad + " g" + groups);
    }

    @Test
    void groupedConvolutionWithPaddingMatchesReference() {
        checkConv(2, 6, 9, 9, 5, 4, 1, 2, 2);
        checkConv(2, 8, 7, 7, 3, 6, 1, 1, 2);
    }

    @Test
    void stridedUnpaddedConvolutionMatchesReference() {
        // conv1's geometry on a small image: 11x11 kernel, stride 4, VALID -> (23 - 11) / 4 + 1 = 4
        checkConv(2, 3, 23, 23, 11, 4, 4, 0, 1);
    }

    @Test
    void groupsSeeOnlyTheirHalfOfTheInput() {
        int n = 1;
        int c = 4;
        int h = 5;
        int o = 2;
        float[] x = randoms(n * c * h * h, 10);
        float[] weights = randoms(3 * 3 * 2 * o, 1);
        float[] bias = {0, 0};
        List<INDArray[]> split = Layers.splitGroups(new Tensor(new long[] {3, 3, 2, o}, weights), new Tensor(new long[] {o}, bias), 2);
        INDArray input = Nd4j.create(ReferenceOps.toNhwc(x, n, c, h, h), new long[] {n, h, h, c}, 'c');
        float[] before = Layers.conv2d(input, split.stream().map(p -> p[0]).toList(), split.stream().map(p -> p[1]).toList(),
                Layers.convConfig(3, 1, 1)).dup('c').data().asFloat();
        // Change only input channels 2 and 3 (group 1's half): group 0's output channel must not move.
        for (int i = 0; i < h * h; i++) {
            x[2 * h * h + i] += 100;
            x[3 * h * h + i] -= 100;
        }
        INDArray changed = Nd4j.create(ReferenceOps.toNhwc(x, n, c, h, h), new long[] {n, h, h, c}, 'c');
        float[] after = Layers.conv2d(changed, split.stream().map(p -> p[0]).toList(), split.stream().map(p -> p[1]).toList(),
                Layers.convConfig(3, 1, 1)).dup('c').data().asFloat();
        for (int p = 0; p < h * h; p++) {
            assertThat(after[p * o]).isEqualTo(before[p * o]);
            assertThat(after[p * o + 1]).isNotEqualTo(before[p * o + 1]);
        }
    }

    @Test
    void lrnMatchesReferenceIncludingFirstAndLastChannels() {
        int n = 2;
        int c = 7;
        int h = 4;
        int w = 5;
        // Large activations, so that the 2e-5 term matters (it scales with the sum of squares).
        float[] x = randoms(n * c * h * w, 300);
        float[] expected = ReferenceOps.lrn(x, n, c, h, w);
        INDArray out = Layers.lrn(Nd4j.create(ReferenceOps.toNhwc(x, n, c, h, w), new long[] {n, h, w, c}, 'c'));
        float[] actual = ReferenceOps.toNchw(out.dup('c').data().asFloat(), n, c, h, w);
        assertClose(expected, actual, TOLERANCE, "lrn");
        // The normalisation is not a no-op at these magnitudes, at the border channels too.
        int plane = h * w;
        for (int ch : new int[] {0, c - 1}) {
            int i = ch * plane;
            assertThat(Math.abs(actual[i] - x[i])).isGreaterThan(1e-3f * Math.abs(x[i]));
        }
    }

    @Test
    void overlappingMaxPoolMatchesReferenceAtTheBorders() {
        int n = 2;
        int c = 3;
        int h = 13;
        int w = 13;
        float[] x = randoms(n * c * h * w, 10);
        // Put the maxima in the last row and column, which only the last window covers.
        for (int b = 0; b < n; b++) {
            for (int ch = 0; ch < c; ch++) {
                x[((b * c + ch) * h + h - 1) * w + w - 1] = 1000 + ch;
                x[((b * c + ch) * h) * w] = 900 + ch;
            }
        }
        float[] expected = ReferenceOps.maxPool(x, n, c, h, w);
        INDArray out = Layers.maxPool(Nd4j.create(ReferenceOps.toNhwc(x, n, c, h, w), new long[] {n, h, w, c}, 'c'));
        assertThat(out.shape()).containsExactly(n, 6, 6, c);
        float[] actual = ReferenceOps.toNchw(out.dup('c').data().asFloat(), n, c, 6, 6);
        assertClose(expected, actual, 0, "max pool");
        assertThat(actual[35]).isEqualTo(1000f);
        assertThat(actual[0]).isEqualTo(900f);
    }

    @Test
    void denseMatchesReference() {
        int n = 3;
        int in = 37;
        int out = 11;
        float[] x = randoms(n * in, 5);
        float[] weights = randoms(in * out, 0.3);
        float[] bias = randoms(out, 1);
        float[] expected = ReferenceOps.dense(x, n, in, weights, bias, out);
        INDArray actual = Layers.dense(Nd4j.create(x, new long[] {n, in}, 'c'), Nd4j.create(weights, new long[] {in, out}, 'c'),
                Nd4j.create(bias, new long[] {1, out}, 'c'));
        assertClose(expected, actual.dup('c').data().asFloat(), TOLERANCE, "dense");
    }

    private static float[] x0(float[] rows, int in) {
        return java.util.Arrays.copyOfRange(rows, 0, in);
    }

    /**
     * One row on sgemv, read from a view part-way into its buffer (the offset must reach OpenBLAS).
     * 300 signed terms per output: the tolerance is relative to 5% of the largest output.
     */
    @Test
    void denseOfOneRowOnSgemvMatchesReference() {
        int in = 300;
        int out = 70;
        float[] rows = randoms(3 * in, 5);
        float[] weights = randoms(in * out, 0.3);
        float[] bias = randoms(out, 1);
        INDArray w = Nd4j.create(weights, new long[] {in, out}, 'c');
        INDArray b = Nd4j.create(bias, new long[] {1, out}, 'c');
        for (int row = 0; row < 3; row++) {
            float[] x = java.util.Arrays.copyOfRange(rows, row * in, (row + 1) * in);
            INDArray view = Nd4j.create(rows, new long[] {3, in}, 'c').get(NDArrayIndex.interval(row, row + 1), NDArrayIndex.all());
            assertThat(view.offset()).isEqualTo((long) row * in);
            assertThat(RowTimesMatrix.applies(view, w, b)).isTrue();
            INDArray actual = Layers.dense(view, w, b, true);
            assertThat(actual.shape()).containsExactly(1, out);
            assertClose(ReferenceOps.dense(x, 1, in, weights, bias, out), actual.data().asFloat(), TOLERANCE, 0.05,
                    "sgemv row " + row);
        }
        assertThat(b.data().asFloat()).containsExactly(bias);
        // Not one contiguous float row: the Mmul op takes these.
        INDArray strided = Nd4j.create(rows, new long[] {1, 3 * in}, 'c').get(NDArrayIndex.all(), NDArrayIndex.interval(0, 3, 3 * in));
        assertThat(strided.shape()).containsExactly(1, in);
        assertThat(RowTimesMatrix.applies(strided, w, b)).isFalse();
        assertThat(RowTimesMatrix.applies(Nd4j.create(rows, new long[] {3, in}, 'c'), w, b)).isFalse();
        assertThat(RowTimesMatrix.applies(Nd4j.create(x0(rows, in), new long[] {1, in}, 'c').castTo(DataType.DOUBLE), w, b)).isFalse();
    }

    @Test
    void softmaxMatchesReferenceAndSumsToOne() {
        int n = 3;
        int classes = 9;
        float[] logits = randoms(n * classes, 20);
        float[] expected = ReferenceOps.softmax(logits, n, classes);
        float[] actual = Layers.softmax(Nd4j.create(logits, new long[] {n, classes}, 'c')).dup('c').data().asFloat();
        assertClose(expected, actual, TOLERANCE, "softmax");
        for (int b = 0; b < n; b++) {
            double sum = 0;
            for (int i = 0; i < classes; i++) {
                sum += actual[b * classes + i];
            }
            assertThat(sum).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-6));
        }
    }
}
