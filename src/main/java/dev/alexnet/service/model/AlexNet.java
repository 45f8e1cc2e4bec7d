package dev.alexnet.service.model;

import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.Conv2DConfig;
import org.nd4j.linalg.factory.Nd4j;

/**
 * AlexNet as the BVLC Caffe model defines it (docs/architecture.md), on ND4J. Activations run in NHWC, the layout in which oneDNN's
 * pooling and libnd4j's LRN (which normalises over the last axis) are both correct and fast, and
 * in which the bvlc file's HWIO kernels and (h, w, c)-ordered fc6 rows are already the engine's
 * layout. Weights live off-heap and are read-only; a forward pass allocates its activations in a
 * workspace of the calling thread, so one instance may serve several threads, but a thread's
 * workspace lives as long as the thread: feed it from a small, fixed set of threads.
 */
public final class AlexNet implements AutoCloseable {

    /** Dropout rate on fc6 and fc7 in training passes. */
    public static final double DROPOUT = 0.5;

    private static final String WORKSPACE_ID = "alexnet-forward";

    private final AlexNetArchitecture architecture;
    private final WeightsSource source;
    private final Map<String, ConvLayer> convs;
    private final DenseLayer fc6;
    private final DenseLayer fc7;
    private final DenseLayer fc8;
    private volatile boolean oneRowSgemv;

    private record ConvLayer(List<INDArray> groupWeights, List<INDArray> groupBiases, Conv2DConfig config) {
    }

    private record DenseLayer(INDArray weights, INDArray bias) {
    }

    /**
     * Copies the weights off-heap in the engine's layout. Batch-1 dense layers start on the
     * {@code Mmul} op; which path is faster depends on the machine (see
     * {@link #useOneRowSgemv(boolean)}), so the engine measures both at start-up and picks one.
     */
    public AlexNet(AlexNetWeights weights) {
        this(weights, false);
    }

    /** As {@link #AlexNet(AlexNetWeights)}, choosing the batch-1 dense path explicitly. */
    public AlexNet(AlexNetWeights weights, boolean oneRowSgemv) {
        this.oneRowSgemv = oneRowSgemv;
        this.architecture = weights.architecture();
        this.source = weights.source();
        this.convs = Map.of(
                "conv1", conv(weights.layer("conv1"), 4, 0),
                "conv2", conv(weights.layer("conv2"), 1, 2),
                "conv3", conv(weights.layer("conv3"), 1, 1),
                "conv4", conv(weights.layer("conv4"), 1, 1),
                "conv5", conv(weights.layer("conv5"), 1, 1));
        this.fc6 = dense(weights.layer("fc6"));
        this.fc7 = dense(weights.layer("fc7"));
        this.fc8 = dense(weights.layer("fc8"));
    }

    private static ConvLayer conv(LayerWeights layer, int stride, int pad) {
        long[] shape = layer.weights().shape();
        List<INDArray[]> groups = Layers.splitGroups(layer.weights(), layer.bias(), AlexNetArchitecture.groups(layer.name()));
        return new ConvLayer(groups.stream().map(g -> g[0]).toList(), groups.stream().map(g -> g[1]).toList(),
                Layers.convConfig((int) shape[0], stride, pad));
    }

    private static DenseLayer dense(LayerWeights layer) {
        return new DenseLayer(Layers.copyOf(layer.weights().data(), layer.weights().shape()),
                Layers.copyOf(layer.bias().data(), 1, layer.bias().size()));
    }

    public AlexNetArchitecture architecture() {
        return architecture;
    }

    public WeightsSource source() {
        return source;
    }

    /** Whether batch-1 passes run the dense layers on OpenBLAS's sgemv rather than the {@code Mmul} op. */
    public boolean oneRowSgemv() {
        return oneRowSgemv;
    }

    /**
     * Chooses the batch-1 dense path: OpenBLAS's sgemv on its own threads ({@link RowTimesMatrix}),
     * or the {@code Mmul} op on libgomp's. sgemv streams the weights faster alone, but shares a
     * core with libgomp's worker while that one still spins after the previous op; how long it
     * spins ({@link OpenMpSpin}) and how the two kinds of thread share this CPU decide which path
     * wins, so the engine times both (at start-up, then on served passes) and sets the faster here
     * between passes.
     * Passes already running keep the path they started with for the layer they are in.
     */
    public void useOneRowSgemv(boolean sgemv) {
        this.oneRowSgemv = sgemv;
    }

    /**
     * Runs inference on a batch.
     *
     * @param input row-major [n, 3, 227, 227]: BGR, minus the ImageNet mean, 0-255 scale
     */
    public ForwardResult forward(float[] input, int n) {
        return forward(input, n, null);
    }

    /**
     * Runs a forward pass; with a random source it is a training pass (inverted dropout 0.5 on
     * fc6 and fc7), without one an inference pass.
     */
    public ForwardResult forward(float[] input, int n, SplittableRandom dropout) {
        return forward(input, n, dropout, NO_TRACE);
    }

    /** Observes each layer's output during a forward pass, for tests and diagnostics. */
    @FunctionalInterface
    public interface Trace {
        void layer(String name, INDArray activation);
    }

    private static final Trace NO_TRACE = (name, activation) -> { };

    /** A forward pass that reports each layer's output (NHWC for the convolutional part) to {@code trace}. */
    public ForwardResult forward(float[] input, int n, SplittableRandom dropout, Trace trace) {
        int side = AlexNetArchitecture.INPUT_SIZE;
        if (n < 1 || input.length != n * 3 * side * side) {
            throw new IllegalArgumentException("input holds " + input.length + " values, expected " + n + " x 3 x 227 x 227");
        }
        try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().getAndActivateWorkspace(Layers.PASS_WORKSPACE, WORKSPACE_ID)) {
            INDArray nchw = Layers.copyOf(input, n, 3, side, side);
            INDArray x = nchw.permute(0, 2, 3, 1).dup('c');
            x = traced(trace, "conv1", conv("conv1", x));
            x = traced(trace, "norm1", Layers.lrn(x));
            x = traced(trace, "pool1", Layers.maxPool(x));
            x = traced(trace, "conv2", conv("conv2", x));
            x = traced(trace, "norm2", Layers.lrn(x));
            x = traced(trace, "pool2", Layers.maxPool(x));
            x = traced(trace, "conv3", conv("conv3", x));
            // conv5's groups read exactly conv4's groups, and pooling is per channel: the groups
            // stay apart from conv4's input to pool5's output (no concat and re-slice in between).
            List<INDArray> groups = convGroups("conv4", Layers.channelGroups(x, convs.get("conv4").groupWeights().size()));
            tracedGroups(trace, "conv4", groups);
            groups = convGroups("conv5", groups);
            tracedGroups(trace, "conv5", groups);
            x = traced(trace, "pool5", Layers.concatChannels(groups.stream().map(Layers::maxPool).toList()));
            INDArray flat = x.reshape('c', n, architecture.fc6Inputs());
            boolean oneRowSgemv = this.oneRowSgemv;
            INDArray h6 = traced(trace, "fc6", dropout(Layers.relu(Layers.dense(flat, fc6.weights(), fc6.bias(), oneRowSgemv)), dropout));
            INDArray h7 = traced(trace, "fc7", dropout(Layers.relu(Layers.dense(h6, fc7.weights(), fc7.bias(), oneRowSgemv)), dropout));
            INDArray logits = traced(trace, "fc8", Layers.dense(h7, fc8.weights(), fc8.bias(), oneRowSgemv));
            INDArray prob = traced(trace, "prob", Layers.softmax(logits));
            return new ForwardResult(n, architecture.classes(), architecture.fc7(),
                    prob.data().asFloat(), h7.data().asFloat());
        }
    }

    private static INDArray traced(Trace trace, String name, INDArray activation) {
        trace.layer(name, activation);
        return activation;
    }

    private static void tracedGroups(Trace trace, String name, List<INDArray> groups) {
        if (trace != NO_TRACE) {
            trace.layer(name, Layers.concatChannels(groups));
        }
    }

    /** Group g's convolution (and ReLU) of {@code inputs[g]}. */
    private List<INDArray> convGroups(String name, List<INDArray> inputs) {
        ConvLayer layer = convs.get(name);
        List<INDArray> outputs = new java.util.ArrayList<>(inputs.size());
        for (int g = 0; g < inputs.size(); g++) {
            outputs.add(Layers.relu(Layers.conv2d(inputs.get(g), layer.groupWeights().get(g), layer.groupBiases().get(g),
                    layer.config())));
        }
        return outputs;
    }

    private INDArray conv(String name, INDArray x) {
        ConvLayer layer = convs.get(name);
        return Layers.relu(Layers.conv2d(x, layer.groupWeights(), layer.groupBiases(), layer.config()));
    }

    private static INDArray dropout(INDArray x, SplittableRandom random) {
        return random == null ? x : x.muli(Layers.dropoutMask(x.shape(), x.dataType(), random));
    }

    @Override
    public void close() {
        for (ConvLayer layer : convs.values()) {
            layer.groupWeights().forEach(INDArray::close);
            layer.groupBiases().forEach(INDArray::close);
        }
        for (DenseLayer layer : List.of(fc6, fc7, fc8)) {
            layer.weights().close();
            layer.bias().close();
        }
    }
}
