package dev.alexnet.service.model.network;

import dev.alexnet.service.model.LayerTable;
import dev.alexnet.service.model.AlexNetArchitecture;
import dev.alexnet.service.model.ForwardResult;
import dev.alexnet.service.model.weights.AlexNetWeights;
import dev.alexnet.service.model.weights.LayerWeights;
import dev.alexnet.service.model.weights.WeightsSource;
import java.util.LinkedHashMap;
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
public final class AlexNet implements ServingNetwork {

    /** Dropout rate on fc6 and fc7 in training passes. */
    public static final double DROPOUT = LayerTable.DROPOUT;

    private static final String WORKSPACE_ID = "alexnet-forward";

    private final AlexNetArchitecture architecture;
    private final WeightsSource source;
    private final Map<String, ConvLayer> convs = new LinkedHashMap<>();
    private final Map<String, DenseLayer> denses = new LinkedHashMap<>();
    private volatile boolean oneRowSgemv;

    private record ConvLayer(List<INDArray> groupWeights, List<INDArray> groupBiases, Conv2DConfig config) {
    }

    private record DenseLayer(INDArray weights, INDArray bias) {
    }

    /**
     * Copies the weights off-heap in the engine's layout. Batch-1 dense layers start on the
     * {@code Mmul} op; which path is faster depends on the machine (see
     * {@link #useGemvAtBatchOne(boolean)}), so the engine measures both at start-up and picks one.
     */
    public AlexNet(AlexNetWeights weights) {
        this(weights, false);
    }

    /** As {@link #AlexNet(AlexNetWeights)}, choosing the batch-1 dense path explicitly. */
    public AlexNet(AlexNetWeights weights, boolean oneRowSgemv) {
        this.oneRowSgemv = oneRowSgemv;
        this.architecture = weights.architecture();
        this.source = weights.source();
        for (LayerTable.Layer layer : LayerTable.CONVOLUTIONS) {
            convs.put(layer.name(), conv(layer, weights.layer(layer.name())));
        }
        for (LayerTable.Layer layer : LayerTable.DENSES) {
            denses.put(layer.name(), dense(weights.layer(layer.name())));
        }
    }

    private static ConvLayer conv(LayerTable.Layer spec, LayerWeights layer) {
        List<INDArray[]> groups = Layers.splitGroups(layer.weights(), layer.bias(), spec.groups());
        return new ConvLayer(groups.stream().map(g -> g[0]).toList(), groups.stream().map(g -> g[1]).toList(),
                Layers.convConfig(spec));
    }

    private static DenseLayer dense(LayerWeights layer) {
        return new DenseLayer(Layers.copyOf(layer.weights().data(), layer.weights().shape()),
                Layers.copyOf(layer.bias().data(), 1, layer.bias().size()));
    }

    @Override
    public AlexNetArchitecture architecture() {
        return architecture;
    }

    @Override
    public String passName() {
        return "nd4j";
    }

    @Override
    public WeightsSource source() {
        return source;
    }

    /** OpenBLAS's sgemv or the {@code Mmul} op, measured again once the JIT is warm. */
    @Override
    public DensePaths densePaths() {
        return DENSE_PATHS;
    }

    private static final DensePaths DENSE_PATHS = new DensePaths("sgemv", "Mmul", true);

    /** Whether batch-1 passes run the dense layers on OpenBLAS's sgemv rather than the {@code Mmul} op. */
    @Override
    public boolean gemvAtBatchOne() {
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
    @Override
    public void useGemvAtBatchOne(boolean sgemv) {
        this.oneRowSgemv = sgemv;
    }

    /**
     * Runs inference on a batch.
     *
     * @param input row-major [n, 3, 227, 227]: BGR, minus the ImageNet mean, 0-255 scale
     */
    @Override
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

    /**
     * A forward pass that reports each layer's output (NHWC for the convolutional part) to {@code trace}.
     * It walks {@link LayerTable}: each convolution with its ReLU, LRN and pooling, then the dense layers.
     */
    public ForwardResult forward(float[] input, int n, SplittableRandom dropout, Trace trace) {
        Layers.checkInput(input, n);
        int side = AlexNetArchitecture.INPUT_SIZE;
        try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().getAndActivateWorkspace(Layers.PASS_WORKSPACE, WORKSPACE_ID)) {
            INDArray nchw = Layers.copyOf(input, n, 3, side, side);
            // The activations as channel groups: a grouped layer's output stays split until a layer
            // needs all channels at once (LRN, or a layer with other groups), so conv5 reads conv4's
            // groups and pool5 pools conv5's without a concat and re-slice in between (pooling is per channel).
            List<INDArray> parts = List.of(nchw.permute(0, 2, 3, 1).dup('c'));
            for (LayerTable.Layer layer : LayerTable.CONVOLUTIONS) {
                if (parts.size() != layer.groups()) {
                    parts = Layers.channelGroups(Layers.concatChannels(parts), layer.groups());
                }
                parts = convGroups(layer.name(), parts);
                tracedGroups(trace, layer.name(), parts);
                if (layer.lrn()) {
                    parts = List.of(traced(trace, layer.lrnName(), Layers.lrn(Layers.concatChannels(parts))));
                }
                if (layer.pool()) {
                    parts = parts.stream().map(Layers::maxPool).toList();
                    tracedGroups(trace, layer.poolName(), parts);
                }
            }
            INDArray h = Layers.concatChannels(parts).reshape('c', n, architecture.fc6Inputs());
            boolean oneRowSgemv = this.oneRowSgemv;
            INDArray fc7 = null;
            for (LayerTable.Layer layer : LayerTable.DENSES) {
                DenseLayer dense = denses.get(layer.name());
                h = Layers.dense(h, dense.weights(), dense.bias(), oneRowSgemv);
                if (layer.relu()) {
                    h = Layers.relu(h);
                }
                if (layer.dropout()) {
                    h = dropout(h, dropout);
                }
                traced(trace, layer.name(), h);
                if (layer.name().equals("fc7")) {
                    fc7 = h;
                }
            }
            INDArray prob = traced(trace, "prob", Layers.softmax(h));
            return new ForwardResult(n, architecture.classes(), architecture.fc7(), prob.data().asFloat(), fc7.data().asFloat());
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

    private static INDArray dropout(INDArray x, SplittableRandom random) {
        return random == null ? x : x.muli(Layers.dropoutMask(x.shape(), x.dataType(), random));
    }

    @Override
    public void close() {
        for (ConvLayer layer : convs.values()) {
            layer.groupWeights().forEach(INDArray::close);
            layer.groupBiases().forEach(INDArray::close);
        }
        for (DenseLayer layer : denses.values()) {
            layer.weights().close();
            layer.bias().close();
        }
    }
}
