package dev.alexnet.service.model;

import java.util.List;

/**
 * AlexNet's layers in forward order as the BVLC Caffe model defines them (docs/architecture.md),
 * written once: the serving pass ({@code AlexNet}), the training passes ({@code TrainableAlexNet},
 * forward and backward) and the weights file's expected shapes ({@link AlexNetArchitecture}) all
 * walk this list, so a change here changes all of them together.
 */
public final class LayerTable {

    /** What a layer computes. */
    public enum Kind {
        /** A (possibly grouped) 2-D convolution over NHWC activations. */
        CONVOLUTION,
        /** A fully connected layer over the flattened activations. */
        DENSE
    }

    /**
     * One layer and what follows it.
     *
     * @param name    the layer's name in the weights file
     * @param kernel  the kernel's side (convolutions; 0 for dense layers)
     * @param stride  the convolution's stride
     * @param pad     zero padding on every side
     * @param groups  channel groups: group g sees only input channel block g (Caffe's {@code group: 2})
     * @param relu    whether a ReLU follows
     * @param lrn     whether cross-channel LRN follows (norm1, norm2: size 5, alpha 1e-4, beta 0.75, k 1)
     * @param pool    whether 3x3 max pooling with stride 2 follows (pool1, pool2, pool5)
     * @param dropout whether training passes apply dropout ({@link #DROPOUT}) after it
     */
    public record Layer(String name, Kind kind, int kernel, int stride, int pad, int groups, boolean relu, boolean lrn,
                        boolean pool, boolean dropout) {

        public boolean isConvolution() {
            return kind == Kind.CONVOLUTION;
        }

        /** The name Caffe gives the LRN after this convolution: norm1 after conv1. */
        public String lrnName() {
            return name.replace("conv", "norm");
        }

        /** The name Caffe gives the pooling after this convolution: pool5 after conv5. */
        public String poolName() {
            return name.replace("conv", "pool");
        }
    }

    /** Dropout rate on fc6 and fc7 in training passes. */
    public static final double DROPOUT = 0.5;

    private static final boolean RELU = true;
    private static final boolean LRN = true;
    private static final boolean POOL = true;
    private static final boolean DROP = true;

    /** Every layer, in forward order (which is also the order of the weights file's keys). */
    public static final List<Layer> LAYERS = List.of(
            new Layer("conv1", Kind.CONVOLUTION, 11, 4, 0, 1, RELU, LRN, POOL, false),
            new Layer("conv2", Kind.CONVOLUTION, 5, 1, 2, 2, RELU, LRN, POOL, false),
            new Layer("conv3", Kind.CONVOLUTION, 3, 1, 1, 1, RELU, false, false, false),
            new Layer("conv4", Kind.CONVOLUTION, 3, 1, 1, 2, RELU, false, false, false),
            new Layer("conv5", Kind.CONVOLUTION, 3, 1, 1, 2, RELU, false, POOL, false),
            new Layer("fc6", Kind.DENSE, 0, 0, 0, 1, RELU, false, false, DROP),
            new Layer("fc7", Kind.DENSE, 0, 0, 0, 1, RELU, false, false, DROP),
            new Layer("fc8", Kind.DENSE, 0, 0, 0, 1, false, false, false, false));

    /** The convolutions, in forward order. */
    public static final List<Layer> CONVOLUTIONS = LAYERS.stream().filter(Layer::isConvolution).toList();

    /** The dense layers, in forward order. */
    public static final List<Layer> DENSES = LAYERS.stream().filter(l -> !l.isConvolution()).toList();

    /** Layer names in forward order. */
    public static final List<String> NAMES = LAYERS.stream().map(Layer::name).toList();

    private LayerTable() {
    }

    /** The layer of this name. */
    public static Layer layer(String name) {
        for (Layer layer : LAYERS) {
            if (layer.name().equals(name)) {
                return layer;
            }
        }
        throw new IllegalArgumentException("no layer named " + name + "; the layers are " + NAMES);
    }
}
