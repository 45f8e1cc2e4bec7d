package dev.alexnet.service.model.network;

import dev.alexnet.service.model.LayerTable;
import dev.alexnet.service.model.AlexNetArchitecture;
import dev.alexnet.service.model.weights.AlexNetWeights;
import dev.alexnet.service.model.weights.LayerWeights;
import dev.alexnet.service.model.weights.Tensor;
import dev.alexnet.service.model.weights.WeightsSource;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.Conv2DConfig;
import org.nd4j.linalg.factory.Nd4j;

/**
 * AlexNet with mutable parameters and a backward pass, for training. Its forward pass runs the
 * same {@link Layers} operations in the same order as {@link AlexNet} (a test holds the two to
 * the same outputs); the backward pass uses libnd4j's {@code conv2d_bp} and {@code maxpool2d_bp} per
 * group, its own LRN gradient ({@link Layers#lrnBackward}: libnd4j's {@code lrn_bp} disagrees with
 * finite differences), and plain matrix products for the dense layers. The loss is
 * the mean softmax cross-entropy over the batch. Parameters are named {@code conv2/w/0} (layer,
 * weights or bias, group) for convolutions and {@code fc6/w} for dense layers. Not thread-safe:
 * one training thread owns it.
 * <p>
 * Over 300 lines on purpose: the forward walk, its reverse and the parameter bookkeeping (split and
 * join in the bvlc layout) share the activation record and the parameter names, and read as one.
 */
public final class TrainableAlexNet implements AutoCloseable {

    private static final String WORKSPACE_ID = "alexnet-train";


    /** Receives each parameter with its gradient, inside the step: copy or apply, don't keep. */
    @FunctionalInterface
    public interface Update {
        void apply(String name, INDArray parameter, INDArray gradient);
    }

    /**
     * What a training step measured.
     *
     * @param loss    mean cross-entropy of the batch
     * @param correct how many argmax predictions matched the labels
     */
    public record StepResult(double loss, int correct) {
    }

    private final AlexNetArchitecture architecture;
    private final DataType dataType;
    private final Map<String, INDArray> parameters = new LinkedHashMap<>();
    private final Map<String, Conv2DConfig> convConfigs = new LinkedHashMap<>();

    /** Copies {@code weights} off-heap in {@code dataType} (FLOAT to train, DOUBLE for gradient checks). */
    public TrainableAlexNet(AlexNetWeights weights, DataType dataType) {
        this.architecture = weights.architecture();
        this.dataType = dataType;
        for (LayerTable.Layer layer : LayerTable.CONVOLUTIONS) {
            convConfigs.put(layer.name(), Layers.convConfig(layer));
        }
        parameters.putAll(split(weights));
    }

    /**
     * Tensors in the bvlc layout (weights, or anything shaped like them, such as momentum) as
     * new off-heap arrays named like {@link #parameters()}.
     */
    public Map<String, INDArray> split(AlexNetWeights weights) {
        if (!weights.architecture().equals(architecture)) {
            throw new IllegalArgumentException("expected " + architecture + ", got " + weights.architecture());
        }
        Map<String, INDArray> arrays = new LinkedHashMap<>();
        for (LayerTable.Layer spec : LayerTable.CONVOLUTIONS) {
            String name = spec.name();
            LayerWeights layer = weights.layer(name);
            List<INDArray[]> groups = Layers.splitGroups(layer.weights(), layer.bias(), spec.groups());
            for (int g = 0; g < groups.size(); g++) {
                arrays.put(name + "/w/" + g, cast(groups.get(g)[0]));
                arrays.put(name + "/b/" + g, cast(groups.get(g)[1]));
            }
        }
        for (LayerTable.Layer spec : LayerTable.DENSES) {
            String name = spec.name();
            LayerWeights layer = weights.layer(name);
            arrays.put(name + "/w", cast(Layers.copyOf(layer.weights().data(), layer.weights().shape())));
            arrays.put(name + "/b", cast(Layers.copyOf(layer.bias().data(), 1, layer.bias().size())));
        }
        return arrays;
    }

    private INDArray cast(INDArray array) {
        if (array.dataType() == dataType) {
            return array;
        }
        INDArray cast = array.castTo(dataType);
        array.close();
        return cast;
    }

    public AlexNetArchitecture architecture() {
        return architecture;
    }

    /** The live parameters by name, in forward order. */
    public Map<String, INDArray> parameters() {
        return Collections.unmodifiableMap(parameters);
    }

    /** Whether a parameter is a bias (no weight decay on biases). */
    public static boolean isBias(String parameter) {
        return parameter.contains("/b");
    }

    /**
     * One forward and backward pass over a labelled batch. With {@code dropout} the pass is a
     * training pass (inverted dropout on fc6 and fc7); {@code update} then receives every
     * trainable parameter's gradient, the convolutions' only if {@code trainConvolutions}.
     *
     * @param input row-major [n, 3, 227, 227], as {@link AlexNet#forward(float[], int)} takes it
     */
    public StepResult step(float[] input, int n, int[] labels, SplittableRandom dropout, boolean trainConvolutions,
                           Update update) {
        if (labels.length != n) {
            throw new IllegalArgumentException(labels.length + " labels for " + n + " images");
        }
        try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().getAndActivateWorkspace(Layers.PASS_WORKSPACE, WORKSPACE_ID)) {
            Activations a = forward(input, n, dropout);
            INDArray prob = Layers.softmax(a.logits);
            double[] p = prob.castTo(DataType.DOUBLE).data().asDouble();
            int classes = architecture.classes();
            double loss = 0;
            int correct = 0;
            INDArray dLogits = prob.dup('c');
            for (int i = 0; i < n; i++) {
                if (labels[i] < 0 || labels[i] >= classes) {
                    throw new IllegalArgumentException("label " + labels[i] + " outside 0.." + (classes - 1));
                }
                loss -= Math.log(Math.max(p[i * classes + labels[i]], 1e-30));
                if (argmax(p, i * classes, classes) == labels[i]) {
                    correct++;
                }
                dLogits.putScalar(i, labels[i], dLogits.getDouble(i, labels[i]) - 1.0);
            }
            dLogits.divi(n);
            backward(a, dLogits, trainConvolutions, update);
            return new StepResult(loss / n, correct);
        }
    }

    private static int argmax(double[] values, int from, int count) {
        int best = 0;
        for (int j = 1; j < count; j++) {
            if (values[from + j] > values[from + best]) {
                best = j;
            }
        }
        return best;
    }

    /** Class probabilities [n * classes] of an inference pass (no dropout). */
    public float[] predict(float[] input, int n) {
        try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().getAndActivateWorkspace(Layers.PASS_WORKSPACE, WORKSPACE_ID)) {
            return Layers.softmax(forward(input, n, null).logits).castTo(DataType.FLOAT).data().asFloat();
        }
    }

    /** The forward activations the backward pass needs, NHWC for the convolutional part, by layer name. */
    private static final class Activations {
        /** Each convolution's input, split in its groups. */
        final Map<String, INDArray[]> convInputs = new LinkedHashMap<>();
        /** Each convolution's output after its ReLU. */
        final Map<String, INDArray> convOut = new LinkedHashMap<>();
        /** Each pooling's input (the LRN's output where there is one), by convolution name. */
        final Map<String, INDArray> poolIn = new LinkedHashMap<>();
        /** The last pooling's output shape, which the dense part's input gradient is folded back into. */
        long[] pooledShape;
        /** Each dense layer's input, output after its ReLU, and dropout mask (or null). */
        final Map<String, INDArray> denseIn = new LinkedHashMap<>();
        final Map<String, INDArray> denseOut = new LinkedHashMap<>();
        final Map<String, INDArray> masks = new LinkedHashMap<>();
        INDArray logits;
    }

    /** The training forward pass: the same walk of {@link LayerTable} as {@link AlexNet}'s, keeping what backward needs. */
    private Activations forward(float[] input, int n, SplittableRandom dropout) {
        Layers.checkInput(input, n);
        int side = AlexNetArchitecture.INPUT_SIZE;
        Activations a = new Activations();
        INDArray x = Layers.copyOf(input, n, 3, side, side).permute(0, 2, 3, 1).castTo(dataType).dup('c');
        for (LayerTable.Layer layer : LayerTable.CONVOLUTIONS) {
            x = conv(layer, x, a);
            if (layer.lrn()) {
                x = Layers.lrn(x);
            }
            if (layer.pool()) {
                a.poolIn.put(layer.name(), x);
                x = Layers.maxPool(x);
                a.pooledShape = x.shape();
            }
        }
        INDArray h = x.reshape('c', n, architecture.fc6Inputs());
        for (LayerTable.Layer layer : LayerTable.DENSES) {
            String name = layer.name();
            a.denseIn.put(name, h);
            h = Layers.dense(h, parameters.get(name + "/w"), parameters.get(name + "/b"));
            if (layer.relu()) {
                h = Layers.relu(h);
            }
            a.denseOut.put(name, h);
            if (layer.dropout() && dropout != null) {
                INDArray mask = Layers.dropoutMask(h.shape(), dataType, dropout);
                a.masks.put(name, mask);
                h = h.mul(mask);
            }
        }
        a.logits = h;
        return a;
    }

    private INDArray conv(LayerTable.Layer layer, INDArray x, Activations a) {
        int groups = layer.groups();
        INDArray[] inputs = Layers.channelGroups(x, groups).toArray(INDArray[]::new);
        List<INDArray> outputs = new ArrayList<>(groups);
        for (int g = 0; g < groups; g++) {
            outputs.add(Layers.conv2d(inputs[g], parameters.get(layer.name() + "/w/" + g), parameters.get(layer.name() + "/b/" + g),
                    convConfigs.get(layer.name())));
        }
        INDArray out = Layers.relu(Layers.concatChannels(outputs));
        a.convInputs.put(layer.name(), inputs);
        a.convOut.put(layer.name(), out);
        return out;
    }

    /** The forward walk reversed: dense layers (dropout mask, ReLU, product), then each convolution's pooling, LRN and itself. */
    private void backward(Activations a, INDArray dLogits, boolean trainConvolutions, Update update) {
        INDArray grad = dLogits;
        for (int i = LayerTable.DENSES.size() - 1; i >= 0; i--) {
            LayerTable.Layer layer = LayerTable.DENSES.get(i);
            INDArray mask = a.masks.get(layer.name());
            if (mask != null) {
                grad = grad.mul(mask);
            }
            if (layer.relu()) {
                grad = grad.muli(a.denseOut.get(layer.name()).gt(0).castTo(dataType));
            }
            grad = dense(layer.name(), a.denseIn.get(layer.name()), grad, update);
        }
        if (!trainConvolutions) {
            return;
        }
        grad = grad.reshape('c', a.pooledShape);
        for (int i = LayerTable.CONVOLUTIONS.size() - 1; i >= 0; i--) {
            LayerTable.Layer layer = LayerTable.CONVOLUTIONS.get(i);
            if (layer.pool()) {
                grad = Layers.maxPoolBackward(a.poolIn.get(layer.name()), grad);
            }
            if (layer.lrn()) {
                grad = Layers.lrnBackward(a.convOut.get(layer.name()), grad);
            }
            grad = convBackward(layer.name(), a, grad, update);
        }
    }

    /** Dense layer backward: reports dW = x^T dz and db, returns dx = dz W^T. */
    private INDArray dense(String layer, INDArray x, INDArray dz, Update update) {
        INDArray w = parameters.get(layer + "/w");
        INDArray dx = dz.mmul(w.transpose());
        update.apply(layer + "/w", w, x.transpose().mmul(dz));
        update.apply(layer + "/b", parameters.get(layer + "/b"), dz.sum(true, 0));
        return dx;
    }

    /** Convolution + ReLU backward per group; returns the gradient of the layer's input. */
    private INDArray convBackward(String layer, Activations a, INDArray dOut, Update update) {
        INDArray dz = dOut.mul(a.convOut.get(layer).gt(0).castTo(dataType));
        INDArray[] inputs = a.convInputs.get(layer);
        List<INDArray> dzGroups = Layers.channelGroups(dz, inputs.length);
        List<INDArray> dInputs = new ArrayList<>(inputs.length);
        for (int g = 0; g < inputs.length; g++) {
            String w = layer + "/w/" + g;
            String b = layer + "/b/" + g;
            INDArray[] grads = Layers.conv2dBackward(inputs[g], parameters.get(w), parameters.get(b), dzGroups.get(g),
                    convConfigs.get(layer));
            dInputs.add(grads[0]);
            update.apply(w, parameters.get(w), grads[1]);
            update.apply(b, parameters.get(b), grads[2]);
        }
        return Layers.concatChannels(dInputs);
    }

    /** The current parameters in the bvlc layout (groups concatenated along the output axis), on the heap. */
    public AlexNetWeights toWeights(WeightsSource source) {
        return join(parameters, source);
    }

    /**
     * Arrays named like {@link #parameters()} in the bvlc layout, on the heap; a missing name
     * (e.g. momentum of a frozen layer) is zeros.
     */
    public AlexNetWeights join(Map<String, INDArray> arrays, WeightsSource source) {
        Map<String, LayerWeights> layers = new LinkedHashMap<>();
        Map<String, long[][]> shapes = architecture.bvlcShapes();
        for (LayerTable.Layer spec : LayerTable.LAYERS) {
            String name = spec.name();
            long[][] shape = shapes.get(name);
            boolean conv = spec.isConvolution();
            int groups = spec.groups();
            float[] w = new float[Math.toIntExact(AlexNetArchitecture.product(shape[0]))];
            float[] b = new float[Math.toIntExact(shape[1][0])];
            INDArray[] ws = new INDArray[groups];
            INDArray[] bs = new INDArray[groups];
            boolean present = true;
            for (int g = 0; g < groups; g++) {
                ws[g] = arrays.get(conv ? name + "/w/" + g : name + "/w");
                bs[g] = arrays.get(conv ? name + "/b/" + g : name + "/b");
                present &= ws[g] != null && bs[g] != null;
            }
            if (present) {
                INDArray wAll = groups == 1 ? ws[0] : Nd4j.concat(3, ws);
                INDArray bAll = groups == 1 ? bs[0] : Nd4j.concat(0, bs);
                w = wAll.castTo(DataType.FLOAT).dup('c').data().asFloat();
                b = bAll.castTo(DataType.FLOAT).dup('c').data().asFloat();
            }
            layers.put(name, new LayerWeights(name, new Tensor(shape[0], w), new Tensor(shape[1], b)));
        }
        return new AlexNetWeights(architecture, layers, source);
    }

    @Override
    public void close() {
        parameters.values().forEach(INDArray::close);
    }
}
