package dev.alexnet.service.model.network;

import dev.alexnet.service.model.LayerTable;
import dev.alexnet.service.model.AlexNetArchitecture;
import dev.alexnet.service.model.weights.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import org.nd4j.enums.WeightsFormat;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.conf.WorkspaceConfiguration;
import org.nd4j.linalg.api.memory.enums.AllocationPolicy;
import org.nd4j.linalg.api.memory.enums.LearningPolicy;
import org.nd4j.linalg.api.memory.enums.ResetPolicy;
import org.nd4j.linalg.api.memory.enums.SpillPolicy;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.api.ops.impl.layers.convolution.Conv2D;
import org.nd4j.linalg.api.ops.impl.layers.convolution.LocalResponseNormalization;
import org.nd4j.linalg.api.ops.impl.layers.convolution.MaxPooling2D;
import org.nd4j.linalg.api.ops.impl.layers.convolution.Pooling2D;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.Conv2DConfig;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.LocalResponseNormalizationConfig;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.PaddingMode;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.Pooling2DConfig;
import org.nd4j.linalg.api.ops.impl.reduce.Mmul;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * AlexNet's layer operations on ND4J, in NHWC. Each is checked against plain-loop references in
 * the tests, since several ND4J defaults are silently wrong for these weights (docs/architecture.md).
 */
final class Layers {

    /** AlexNet's LRN (docs/architecture.md): k=1, alpha=2e-5 per element (not divided by n), beta=0.75, n=5 (radius 2). */
    static final double LRN_BIAS = 1.0;
    static final double LRN_ALPHA = 2e-5;
    static final double LRN_BETA = 0.75;
    static final int LRN_DEPTH_RADIUS = 2;

    private static final LocalResponseNormalizationConfig LRN = LocalResponseNormalizationConfig.builder()
            .bias(LRN_BIAS).alpha(LRN_ALPHA).beta(LRN_BETA).depth(LRN_DEPTH_RADIUS).build();
    private static final Pooling2DConfig POOL = Pooling2DConfig.builder()
            .kH(3).kW(3).sH(2).sW(2).pH(0).pW(0).dH(1).dW(1)
            .type(Pooling2D.Pooling2DType.MAX).paddingMode(PaddingMode.VALID).isNHWC(true).build();

    /**
     * The workspace a pass allocates its activations in: sized by the first pass, reused by the
     * next ones, reallocated when a larger batch needs more.
     */
    static final WorkspaceConfiguration PASS_WORKSPACE = WorkspaceConfiguration.builder()
            .initialSize(0)
            .policyAllocation(AllocationPolicy.OVERALLOCATE)
            .overallocationLimit(0.1)
            .policyLearning(LearningPolicy.FIRST_LOOP)
            .policyReset(ResetPolicy.BLOCK_LEFT)
            .policySpill(SpillPolicy.REALLOCATE)
            .build();

    private Layers() {
    }

    /** A square convolution over NHWC input with HWIO (YXIO) kernels and explicit zero padding. */
    /** A convolution of the layer table: its kernel, stride and padding. */
    static Conv2DConfig convConfig(LayerTable.Layer layer) {
        return convConfig(layer.kernel(), layer.stride(), layer.pad());
    }

    /** Refuses an input that is not n whole images; both networks take the same input. */
    static void checkInput(float[] input, int n) {
        if (n < 1 || input.length != (long) n * AlexNetArchitecture.INPUT_FLOATS) {
            throw new IllegalArgumentException("input holds " + input.length + " values, expected " + n + " x 3 x "
                    + AlexNetArchitecture.INPUT_SIZE + " x " + AlexNetArchitecture.INPUT_SIZE);
        }
    }

    static Conv2DConfig convConfig(int kernel, int stride, int pad) {
        return Conv2DConfig.builder()
                .kH(kernel).kW(kernel).sH(stride).sW(stride).pH(pad).pW(pad).dH(1).dW(1)
                .paddingMode(PaddingMode.VALID).dataFormat(Conv2DConfig.NHWC).weightsFormat(WeightsFormat.YXIO)
                .build();
    }

    /**
     * A C-order float array holding a copy of {@code data}, in the open workspace if there is one,
     * filled by one bulk copy. ({@code Nd4j.create(float[], ...)} stores element by element: JFR
     * found it taking most of the inference thread's Java time, 4.9 M calls for a batch of 32.)
     */
    static INDArray copyOf(float[] data, long... shape) {
        if (data.length != AlexNetArchitecture.product(shape)) {
            throw new IllegalArgumentException(data.length + " values do not fill the shape " + java.util.Arrays.toString(shape));
        }
        INDArray array = Nd4j.createUninitialized(DataType.FLOAT, shape, 'c');
        array.data().asNioFloat().put(data);
        return array;
    }

    /**
     * Splits HWIO weights and their bias into {@code groups} contiguous off-heap [weights, bias]
     * pairs; group g owns output channels [g*O/groups, (g+1)*O/groups).
     */
    static List<INDArray[]> splitGroups(Tensor weights, Tensor bias, int groups) {
        long[] shape = weights.shape();
        long perGroup = shape[3] / groups;
        List<INDArray[]> result = new ArrayList<>();
        try (INDArray all = copyOf(weights.data(), shape);
             INDArray b = copyOf(bias.data(), bias.shape())) {
            for (int g = 0; g < groups; g++) {
                result.add(new INDArray[] {
                        all.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.all(),
                                NDArrayIndex.interval(g * perGroup, (g + 1) * perGroup)).dup('c'),
                        b.get(NDArrayIndex.interval(g * perGroup, (g + 1) * perGroup)).dup('c')});
            }
        }
        return result;
    }

    /**
     * Grouped convolution: input channel block g is convolved with group g's kernels and the
     * outputs are concatenated in group order. Neither ND4J's config nor oneDNN's helper in
     * libnd4j takes a groups option.
     */
    static INDArray conv2d(INDArray nhwc, List<INDArray> groupWeights, List<INDArray> groupBiases, Conv2DConfig config) {
        int groups = groupWeights.size();
        List<INDArray> inputs = channelGroups(nhwc, groups);
        INDArray[] parts = new INDArray[groups];
        for (int g = 0; g < groups; g++) {
            parts[g] = conv2d(inputs.get(g), groupWeights.get(g), groupBiases.get(g), config);
        }
        return concatChannels(List.of(parts));
    }

    /** One group's convolution: NHWC input with exactly the kernels' input channels. */
    static INDArray conv2d(INDArray nhwc, INDArray weights, INDArray bias, Conv2DConfig config) {
        return Nd4j.exec(new Conv2D(nhwc, weights, bias, config))[0];
    }

    /** NHWC input split into {@code groups} equal, contiguous (copied) channel blocks; the input itself for one group. */
    static List<INDArray> channelGroups(INDArray nhwc, int groups) {
        if (groups == 1) {
            return List.of(nhwc);
        }
        long c = nhwc.size(3) / groups;
        List<INDArray> parts = new ArrayList<>(groups);
        for (int g = 0; g < groups; g++) {
            parts.add(nhwc.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.all(),
                    NDArrayIndex.interval(g * c, (g + 1) * c)).dup('c'));
        }
        return parts;
    }

    /** NHWC arrays joined along the channel axis, in order; the array itself if there is one. */
    static INDArray concatChannels(List<INDArray> parts) {
        return parts.size() == 1 ? parts.get(0) : Nd4j.concat(3, parts.toArray(INDArray[]::new));
    }

    static INDArray relu(INDArray x) {
        return Transforms.relu(x, false);
    }

    /** Cross-channel LRN over NHWC's last axis; libnd4j normalises over the last axis whatever the layout. */
    static INDArray lrn(INDArray nhwc) {
        // The (input, config) constructor of 1.0.0-M2.1 throws an NPE: it reads its config before assigning it.
        return Nd4j.exec(new LocalResponseNormalization(nhwc, null, LRN))[0];
    }

    /** 3x3 max pooling with stride 2 and no padding (overlapping pooling). */
    static INDArray maxPool(INDArray nhwc) {
        return Nd4j.exec(new MaxPooling2D(nhwc, POOL))[0];
    }

    /** x [n, in] times weights [in, out] plus bias [1, out], by the {@code Mmul} op (oneDNN's matmul on libgomp's threads). */
    static INDArray dense(INDArray x, INDArray weights, INDArray bias) {
        INDArray out = Nd4j.create(x.dataType(), x.size(0), weights.size(1));
        Nd4j.exec(new Mmul(x, weights, out, null));
        return out.addiRowVector(bias);
    }

    /**
     * {@link #dense}, except that a single row goes to OpenBLAS's sgemv ({@link RowTimesMatrix})
     * when {@code oneRowSgemv} is set and the arrays allow it; {@link AlexNet#useGemvAtBatchOne} says
     * when that is worth it.
     */
    static INDArray dense(INDArray x, INDArray weights, INDArray bias, boolean oneRowSgemv) {
        if (oneRowSgemv && RowTimesMatrix.applies(x, weights, bias)) {
            return RowTimesMatrix.plusBias(x, weights, bias);
        }
        return dense(x, weights, bias);
    }

    /**
     * An inverted-dropout mask: each element 0 with probability {@link AlexNet#DROPOUT}, else
     * 1 / (1 - rate), so that the expected activation is unchanged and inference needs no scaling.
     */
    static INDArray dropoutMask(long[] shape, DataType dataType, SplittableRandom random) {
        float[] mask = new float[Math.toIntExact(AlexNetArchitecture.product(shape))];
        float keep = (float) (1.0 / (1.0 - AlexNet.DROPOUT));
        for (int i = 0; i < mask.length; i++) {
            mask[i] = random.nextDouble() < AlexNet.DROPOUT ? 0f : keep;
        }
        return copyOf(mask, shape).castTo(dataType);
    }

    /** Row-wise softmax of [n, classes] logits. */
    static INDArray softmax(INDArray logits) {
        return Nd4j.nn().softmax(logits, 1);
    }

    /**
     * conv2d_bp of one group: given its input, kernels, bias and the gradient of its output
     * (after the ReLU's mask), returns [dInput, dKernels, dBias].
     */
    static INDArray[] conv2dBackward(INDArray nhwc, INDArray weights, INDArray bias, INDArray gradOut, Conv2DConfig config) {
        return Nd4j.exec(customOp("conv2d_bp", new INDArray[] {nhwc, weights, bias, gradOut},
                new Conv2D(nhwc, weights, bias, config).iArgs(), new double[0]));
    }

    /**
     * The gradient of {@link #lrn} with respect to its input. With s_c = k + alpha * sum over the
     * window of c of x_j^2 and y_c = x_c * s_c^-beta:
     * dx_j = dy_j * s_j^-beta - 2 alpha beta x_j * sum over the window of j of dy_c x_c s_c^(-beta-1).
     * Window sums are products with a C x C band matrix. libnd4j's own {@code lrn_bp} disagrees
     * with finite differences of this forward pass (TrainableAlexNetTest), so it is not used.
     */
    static INDArray lrnBackward(INDArray nhwc, INDArray gradOut) {
        long channels = nhwc.size(3);
        INDArray x = nhwc.reshape('c', nhwc.length() / channels, channels);
        INDArray dy = gradOut.dup('c').reshape('c', x.size(0), channels);
        INDArray band = Nd4j.create(x.dataType(), channels, channels);
        for (long i = 0; i < channels; i++) {
            for (long j = Math.max(0, i - LRN_DEPTH_RADIUS); j <= Math.min(channels - 1, i + LRN_DEPTH_RADIUS); j++) {
                band.putScalar(i, j, 1.0);
            }
        }
        INDArray s = x.mul(x).mmul(band).muli(LRN_ALPHA).addi(LRN_BIAS);
        INDArray sPowBeta = Transforms.pow(s, -LRN_BETA, true);
        INDArray inner = dy.mul(x).muli(Transforms.pow(s, -LRN_BETA - 1, true)).mmul(band);
        INDArray dx = dy.mul(sPowBeta).subi(x.mul(inner).muli(2 * LRN_ALPHA * LRN_BETA));
        return dx.reshape('c', nhwc.shape());
    }

    /** maxpool2d_bp with the same window as {@link #maxPool}: routes each gradient to its window's maximum. */
    static INDArray maxPoolBackward(INDArray nhwc, INDArray gradOut) {
        return Nd4j.exec(customOp("maxpool2d_bp", new INDArray[] {nhwc, gradOut},
                new MaxPooling2D(nhwc, POOL).iArgs(), new double[0]))[0];
    }

    private static DynamicCustomOp customOp(String name, INDArray[] inputs, long[] intArgs, double[] floatArgs) {
        DynamicCustomOp op = new DynamicCustomOp(name, inputs, new INDArray[0]);
        op.addIArgument(intArgs);
        if (floatArgs.length > 0) {
            op.addTArgument(floatArgs);
        }
        return op;
    }
}
