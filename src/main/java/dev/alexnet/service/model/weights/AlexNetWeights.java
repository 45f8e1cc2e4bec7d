package dev.alexnet.service.model.weights;

import dev.alexnet.service.model.AlexNetArchitecture;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * All eight layers of an AlexNet in the bvlc layout, with the architecture they imply and where
 * they came from. Immutable once built.
 */
public final class AlexNetWeights {

    private final AlexNetArchitecture architecture;
    private final Map<String, LayerWeights> layers;
    private final WeightsSource source;

    public AlexNetWeights(AlexNetArchitecture architecture, Map<String, LayerWeights> layers, WeightsSource source) {
        Map<String, long[][]> expected = architecture.bvlcShapes();
        for (Map.Entry<String, long[][]> e : expected.entrySet()) {
            LayerWeights layer = layers.get(e.getKey());
            if (layer == null) {
                throw new IllegalArgumentException("layer " + e.getKey() + " is missing");
            }
            requireShape(e.getKey(), "weights", e.getValue()[0], layer.weights().shape());
            requireShape(e.getKey(), "bias", e.getValue()[1], layer.bias().shape());
        }
        Map<String, LayerWeights> ordered = new LinkedHashMap<>();
        for (String name : AlexNetArchitecture.LAYERS) {
            ordered.put(name, layers.get(name));
        }
        this.architecture = architecture;
        this.layers = Collections.unmodifiableMap(ordered);
        this.source = source;
    }

    private static void requireShape(String layer, String part, long[] expected, long[] actual) {
        if (!Arrays.equals(expected, actual)) {
            throw new IllegalArgumentException("layer " + layer + " " + part + " have shape " + Arrays.toString(actual)
                    + "; expected " + Arrays.toString(expected));
        }
    }

    public AlexNetArchitecture architecture() {
        return architecture;
    }

    /** The layers in forward order, conv1 to fc8. */
    public Map<String, LayerWeights> layers() {
        return layers;
    }

    public LayerWeights layer(String name) {
        LayerWeights layer = layers.get(name);
        if (layer == null) {
            throw new IllegalArgumentException("no layer " + name);
        }
        return layer;
    }

    public WeightsSource source() {
        return source;
    }

    public long parameterCount() {
        return layers.values().stream().mapToLong(l -> l.weights().size() + (long) l.bias().size()).sum();
    }

    /** The paper's initial standard deviation of weights, used for a new classifier layer. */
    static final double PAPER_INIT_STD = 0.01;

    /**
     * Keeps conv1 to fc7 and puts a new fc8 with {@code classes} outputs, initialised as the paper
     * does: weights N(0, 0.01) from {@code seed}, biases 0. This is how transfer learning starts.
     */
    public AlexNetWeights withNewClassifier(int classes, long seed) {
        AlexNetArchitecture target = architecture.withClasses(classes);
        long[] shape = target.bvlcShapes().get("fc8")[0];
        float[] w = new float[Math.toIntExact(AlexNetArchitecture.product(shape))];
        SplittableRandom random = new SplittableRandom(seed);
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) (Gaussian.next(random) * PAPER_INIT_STD);
        }
        Map<String, LayerWeights> replaced = new LinkedHashMap<>(layers);
        replaced.put("fc8", new LayerWeights("fc8", new Tensor(shape, w), new Tensor(new long[] {classes}, new float[classes])));
        return new AlexNetWeights(target, replaced, source);
    }

    /** fc8's weights are scaled down so that random-init logits on 0-255 inputs stay near unit scale. */
    static final double FC8_SCALE = 0.002;

    /**
     * He-normal weights (std sqrt(2 / fan-in)) and small positive biases from a fixed seed: the
     * same seed gives bit-identical weights on every machine. Without {@link #FC8_SCALE} the
     * logits would be in the hundreds and every softmax a one-hot vector, which tells nothing.
     */
    public static AlexNetWeights random(AlexNetArchitecture architecture, long seed) {
        return heNormal(architecture, seed, layer -> layer.equals("fc8") ? FC8_SCALE : 1.0);
    }

    /**
     * The paper's initialisation, the starting point for training from scratch: weights
     * N(0, 0.01); biases 1 in conv2, conv4, conv5, fc6 and fc7 (so that their ReLUs start with
     * positive inputs), 0 elsewhere. The serving {@link #random} initialisation is not this: it
     * must keep giving the same numbers.
     */
    public static AlexNetWeights forTraining(AlexNetArchitecture architecture, long seed) {
        SplittableRandom root = new SplittableRandom(seed);
        Map<String, LayerWeights> layers = new LinkedHashMap<>();
        for (Map.Entry<String, long[][]> e : architecture.bvlcShapes().entrySet()) {
            SplittableRandom random = root.split();
            float[] w = new float[Math.toIntExact(AlexNetArchitecture.product(e.getValue()[0]))];
            for (int i = 0; i < w.length; i++) {
                w[i] = (float) (Gaussian.next(random) * PAPER_INIT_STD);
            }
            float[] b = new float[Math.toIntExact(e.getValue()[1][0])];
            java.util.Arrays.fill(b, PAPER_UNIT_BIAS.contains(e.getKey()) ? 1f : 0f);
            layers.put(e.getKey(), new LayerWeights(e.getKey(), new Tensor(e.getValue()[0], w), new Tensor(e.getValue()[1], b)));
        }
        return new AlexNetWeights(architecture, layers, WeightsSource.random(seed));
    }

    /** Roughly the standard deviation of mean-subtracted 0-255 pixels. */
    static final double INPUT_STD = 64;

    /**
     * He-normal weights scaled for this network's 0-255 inputs: conv1's divided by
     * {@link #INPUT_STD}, so that every layer starts near unit scale (He's derivation assumes
     * unit-scale inputs). Narrow networks learn from this where the paper's N(0, 0.01) leaves
     * their signals vanishing.
     */
    public static AlexNetWeights heForTraining(AlexNetArchitecture architecture, long seed) {
        return heNormal(architecture, seed, layer -> layer.equals("conv1") ? 1 / INPUT_STD : 1.0);
    }

    private static final java.util.Set<String> PAPER_UNIT_BIAS = java.util.Set.of("conv2", "conv4", "conv5", "fc6", "fc7");

    private static AlexNetWeights heNormal(AlexNetArchitecture architecture, long seed,
                                           java.util.function.ToDoubleFunction<String> scale) {
        SplittableRandom root = new SplittableRandom(seed);
        Map<String, LayerWeights> layers = new LinkedHashMap<>();
        for (Map.Entry<String, long[][]> e : architecture.bvlcShapes().entrySet()) {
            long[] wShape = e.getValue()[0];
            long[] bShape = e.getValue()[1];
            long fanIn = AlexNetArchitecture.product(wShape) / wShape[wShape.length - 1];
            SplittableRandom random = root.split();
            float[] w = new float[Math.toIntExact(AlexNetArchitecture.product(wShape))];
            double std = Math.sqrt(2.0 / fanIn) * scale.applyAsDouble(e.getKey());
            Gaussian.fill(w, random, std);
            float[] b = new float[Math.toIntExact(bShape[0])];
            for (int i = 0; i < b.length; i++) {
                b[i] = (float) (0.01 * random.nextDouble());
            }
            layers.put(e.getKey(), new LayerWeights(e.getKey(), new Tensor(wShape, w), new Tensor(bShape, b)));
        }
        return new AlexNetWeights(architecture, layers, WeightsSource.random(seed));
    }
}
