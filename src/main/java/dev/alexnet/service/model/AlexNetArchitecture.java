package dev.alexnet.service.model;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The widths of an AlexNet with the BVLC topology (docs/architecture.md): five convolutions (conv2, conv4 and conv5
 * grouped in two), three pools, three dense layers. The full network is {@link #FULL}; tests use a
 * reduced width with the same geometry, and fine-tuned models change only {@code classes}.
 */
public record AlexNetArchitecture(int conv1, int conv2, int conv3, int conv4, int conv5,
                                  int fc6, int fc7, int classes) {

    /** The network of {@code bvlc_alexnet.npy}. */
    public static final AlexNetArchitecture FULL = new AlexNetArchitecture(96, 256, 384, 384, 256, 4096, 4096, 1000);

    /** Side of the input image. */
    public static final int INPUT_SIZE = 227;

    /** Values in one input image: 3 x 227 x 227, BGR planes. */
    public static final int INPUT_FLOATS = 3 * INPUT_SIZE * INPUT_SIZE;

    /** Side of pool5's output, whose 6x6xC cells feed fc6. */
    public static final int POOL5_SIZE = 6;

    /** Layer names in file and forward order ({@link LayerTable}). */
    public static final List<String> LAYERS = LayerTable.NAMES;

    /** The number of groups of a layer ({@link LayerTable}). */
    public static int groups(String layer) {
        return LayerTable.layer(layer).groups();
    }

    public AlexNetArchitecture {
        for (int width : new int[] {conv1, conv2, conv3, conv4, conv5, fc6, fc7, classes}) {
            if (width <= 0) {
                throw new IllegalArgumentException("layer widths must be positive: " + width);
            }
        }
        if (conv1 % 2 != 0 || conv2 % 2 != 0 || conv3 % 2 != 0 || conv4 % 2 != 0 || conv5 % 2 != 0) {
            throw new IllegalArgumentException("grouped convolutions need even channel counts");
        }
    }

    /** The same network with another number of output classes (fc8's width). */
    public AlexNetArchitecture withClasses(int newClasses) {
        return new AlexNetArchitecture(conv1, conv2, conv3, conv4, conv5, fc6, fc7, newClasses);
    }

    /** Flattened size of pool5's output, the input width of fc6. */
    public int fc6Inputs() {
        return conv5 * POOL5_SIZE * POOL5_SIZE;
    }

    /** The output width (channels, or units) of a layer. */
    public int width(String layer) {
        return switch (layer) {
            case "conv1" -> conv1;
            case "conv2" -> conv2;
            case "conv3" -> conv3;
            case "conv4" -> conv4;
            case "conv5" -> conv5;
            case "fc6" -> fc6;
            case "fc7" -> fc7;
            case "fc8" -> classes;
            default -> throw new IllegalArgumentException("no layer named " + layer);
        };
    }

    /**
     * Expected [weights, bias] shapes per layer, in the bvlc layout (HWIO per group, fc as [in, out]),
     * from {@link LayerTable}: a grouped convolution's kernels see the previous width over its groups,
     * fc6 sees pool5 flattened.
     */
    public Map<String, long[][]> bvlcShapes() {
        Map<String, long[][]> shapes = new LinkedHashMap<>();
        long previous = 3;
        boolean afterConvolution = true;
        for (LayerTable.Layer layer : LayerTable.LAYERS) {
            long out = width(layer.name());
            if (layer.isConvolution()) {
                shapes.put(layer.name(), shapes(new long[] {layer.kernel(), layer.kernel(), previous / layer.groups(), out}));
            } else {
                shapes.put(layer.name(), shapes(new long[] {afterConvolution ? fc6Inputs() : previous, out}));
            }
            afterConvolution = layer.isConvolution();
            previous = out;
        }
        return shapes;
    }

    private static long[][] shapes(long[] weights) {
        return new long[][] {weights, new long[] {weights[weights.length - 1]}};
    }

    /** Number of trainable parameters; 60,965,224 for {@link #FULL}. */
    public long parameterCount() {
        long count = 0;
        for (long[][] layer : bvlcShapes().values()) {
            count += product(layer[0]) + product(layer[1]);
        }
        return count;
    }

    /** Multiply-accumulate operations for one image. */
    public long macsPerImage() {
        long macs = 0;
        macs += 55L * 55 * conv1 * 11 * 11 * 3;
        macs += 27L * 27 * conv2 * 5 * 5 * (conv1 / 2);
        macs += 13L * 13 * conv3 * 3 * 3 * conv2;
        macs += 13L * 13 * conv4 * 3 * 3 * (conv3 / 2);
        macs += 13L * 13 * conv5 * 3 * 3 * (conv4 / 2);
        macs += (long) fc6Inputs() * fc6 + (long) fc6 * fc7 + (long) fc7 * classes;
        return macs;
    }

    /**
     * Reads the widths from the output dimension of each layer's weights, keyed by layer name,
     * so that the input dimensions can then be checked against {@link #bvlcShapes()}.
     */
    public static AlexNetArchitecture fromOutputWidths(Map<String, Integer> outputs) {
        return new AlexNetArchitecture(outputs.get("conv1"), outputs.get("conv2"), outputs.get("conv3"),
                outputs.get("conv4"), outputs.get("conv5"), outputs.get("fc6"), outputs.get("fc7"), outputs.get("fc8"));
    }

    public static long product(long[] shape) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return n;
    }
}
