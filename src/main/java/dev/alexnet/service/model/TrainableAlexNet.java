package dev.alexnet.service.model;

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
 */
public final class TrainableAlexNet implements AutoCloseable {

    private static final String WORKSPACE_ID = "alexnet-train";

    private static final List<String> CONVS = List.of("conv1", "conv2", "conv3", "conv4", "conv5");
    private static final List<String> DENSES = List.of("fc6", "fc7", "fc8");

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
        int[][] strideAndPad = {{4, 0}, {1, 2}, {1, 1}, {1, 1}, {1, 1}};
        for (int i = 0; i < CONVS.size(); i++) {
            int kernel = (int) weights.layer(CONVS.get(i)).weights().shape()[0];
            convConfigs.put(CONVS.get(i), Layers.convConfig(kernel, strideAndPad[i][0], strideAndPad[i][1]));
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
        for (String name : CONVS) {
            LayerWeights layer = weights.layer(name);
            List<INDArray[]> groups = Layers.splitGroups(layer.weights(), layer.bias(), AlexNetArchitecture.groups(name));
            for (int g = 0; g < groups.size(); g++) {
                arrays.put(name + "/w/" + g, cast(groups.get(g)[0]));
                arrays.put(name + "/b/" + g, cast(groups.get(g)[1]));
            }
        }
        for (String name : DENSES) {
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

    /** The forward activations the backward pass needs, NHWC for the convolutional part. */
    private static final class Activations {
        INDArray input;
        final Map<String, INDArray> convOut = new LinkedHashMap<>();
        final Map<String, INDArray[]> convGroupInputs = new LinkedHashMap<>();
        INDArray norm1;
        INDArray norm2;
        INDArray flat;
        final INDArray[] denseOut = new INDArray[2];
        final INDArray[] masks = new INDArray[2];
        final INDArray[] denseIn = new INDArray[3];
        INDArray logits;
    }

    private Activations forward(float[] input, int n, SplittableRandom dropout) {
        int side = AlexNetArchitecture.INPUT_SIZE;
        if (n < 1 || input.length != n * 3 * side * side) {
            throw new IllegalArgumentException("input holds " + input.length + " values, expected " + n + " x 3 x 227 x 227");
        }
        Activations a = new Activations();
        INDArray nchw = Layers.copyOf(input, n, 3, side, side);
        a.input = nchw.permute(0, 2, 3, 1).castTo(dataType).dup('c');
        INDArray x = conv("conv1", a.input, a);
        a.norm1 = Layers.lrn(x);
        x = conv("conv2", Layers.maxPool(a.norm1), a);
        a.norm2 = Layers.lrn(x);
        x = conv("conv3", Layers.maxPool(a.norm2), a);
        x = conv("conv4", x, a);
        x = conv("conv5", x, a);
        a.flat = Layers.maxPool(x).reshape('c', n, architecture.fc6Inputs());
        INDArray h = a.flat;
        for (int i = 0; i < 2; i++) {
            String layer = DENSES.get(i);
            a.denseIn[i] = h;
            a.denseOut[i] = Layers.relu(Layers.dense(h, parameters.get(layer + "/w"), parameters.get(layer + "/b")));
            a.masks[i] = dropout == null ? null : Layers.dropoutMask(a.denseOut[i].shape(), dataType, dropout);
            h = a.masks[i] == null ? a.denseOut[i] : a.denseOut[i].mul(a.masks[i]);
        }
        a.denseIn[2] = h;
        a.logits = Layers.dense(h, parameters.get("fc8/w"), parameters.get("fc8/b"));
        return a;
    }

    private INDArray conv(String layer, INDArray x, Activations a) {
        int groups = AlexNetArchitecture.groups(layer);
        INDArray[] inputs = Layers.channelGroups(x, groups).toArray(INDArray[]::new);
        List<INDArray> outputs = new ArrayList<>(groups);
        for (int g = 0; g < groups; g++) {
            outputs.add(Layers.conv2d(inputs[g], parameters.get(layer + "/w/" + g), parameters.get(layer + "/b/" + g),
                    convConfigs.get(layer)));
        }
        INDArray out = Layers.relu(Layers.concatChannels(outputs));
        a.convGroupInputs.put(layer, inputs);
        a.convOut.put(layer, out);
        return out;
    }

    private void backward(Activations a, INDArray dLogits, boolean trainConvolutions, Update update) {
        INDArray grad = dense("fc8", a.denseIn[2], dLogits, update);
        for (int i = 1; i >= 0; i--) {
            if (a.masks[i] != null) {
                grad = grad.mul(a.masks[i]);
            }
            grad = grad.muli(a.denseOut[i].gt(0).castTo(dataType));
            grad = dense(DENSES.get(i), a.denseIn[i], grad, update);
        }
        if (!trainConvolutions) {
            return;
        }
        INDArray conv5 = a.convOut.get("conv5");
        grad = Layers.maxPoolBackward(conv5, grad.reshape('c', conv5.size(0), AlexNetArchitecture.POOL5_SIZE,
                AlexNetArchitecture.POOL5_SIZE, architecture.conv5()));
        grad = convBackward("conv5", a, grad, update);
        grad = convBackward("conv4", a, grad, update);
        grad = convBackward("conv3", a, grad, update);
        grad = Layers.lrnBackward(a.convOut.get("conv2"), Layers.maxPoolBackward(a.norm2, grad));
        grad = convBackward("conv2", a, grad, update);
        grad = Layers.lrnBackward(a.convOut.get("conv1"), Layers.maxPoolBackward(a.norm1, grad));
        convBackward("conv1", a, grad, update);
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
        INDArray[] inputs = a.convGroupInputs.get(layer);
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
        for (String name : AlexNetArchitecture.LAYERS) {
            long[][] shape = shapes.get(name);
            boolean conv = CONVS.contains(name);
            int groups = conv ? AlexNetArchitecture.groups(name) : 1;
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
