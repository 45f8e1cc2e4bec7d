package dev.alexnet.service.model;

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

    /** The same parameters with another provenance, e.g. after they were written to a file. */
    public AlexNetWeights withSource(WeightsSource newSource) {
        return new AlexNetWeights(architecture, layers, newSource);
    }

    /** fc8's weights are scaled down so that random-init logits on 0-255 inputs stay near unit scale. */
    static final double FC8_SCALE = 0.002;

    /**
     * He-normal weights (std sqrt(2 / fan-in)) and small positive biases from a fixed seed: the
     * same seed gives bit-identical weights on every machine. Without {@link #FC8_SCALE} the
     * logits would be in the hundreds and every softmax a one-hot vector, which tells nothing.
     */
    public static AlexNetWeights random(AlexNetArchitecture architecture, long seed) {
        SplittableRandom root = new SplittableRandom(seed);
        Map<String, LayerWeights> layers = new LinkedHashMap<>();
        for (Map.Entry<String, long[][]> e : architecture.bvlcShapes().entrySet()) {
            long[] wShape = e.getValue()[0];
            long[] bShape = e.getValue()[1];
            long fanIn = AlexNetArchitecture.product(wShape) / wShape[wShape.length - 1];
            SplittableRandom random = root.split();
            float[] w = new float[Math.toIntExact(AlexNetArchitecture.product(wShape))];
            double std = Math.sqrt(2.0 / fanIn) * (e.getKey().equals("fc8") ? FC8_SCALE : 1.0);
            for (int i = 0; i < w.length; i += 2) {
                // Box-Muller: two normals per pair of uniforms, cheaper than Random.nextGaussian's rejection loop.
                double u1 = 1.0 - random.nextDouble();
                double u2 = random.nextDouble();
                double r = Math.sqrt(-2.0 * Math.log(u1)) * std;
                w[i] = (float) (r * Math.cos(2 * Math.PI * u2));
                if (i + 1 < w.length) {
                    w[i + 1] = (float) (r * Math.sin(2 * Math.PI * u2));
                }
            }
            float[] b = new float[Math.toIntExact(bShape[0])];
            for (int i = 0; i < b.length; i++) {
                b[i] = (float) (0.01 * random.nextDouble());
            }
            layers.put(e.getKey(), new LayerWeights(e.getKey(), new Tensor(wShape, w), new Tensor(bShape, b)));
        }
        return new AlexNetWeights(architecture, layers, WeightsSource.random(seed));
    }
}
