package dev.alexnet.service.engine;

import dev.alexnet.service.model.ForwardResult;

/** Something that runs AlexNet over a batch: the engine, or in batching tests a controllable stand-in. */
@FunctionalInterface
public interface ForwardPass {

    /**
     * @param input row-major [n, 3, 227, 227]
     */
    ForwardResult infer(float[] input, int n);
}
