package dev.alexnet.service.model.weights;

/** One layer's parameters in the bvlc layout: conv weights HWIO per group, dense weights [in, out]. */
public record LayerWeights(String name, Tensor weights, Tensor bias) {
}
