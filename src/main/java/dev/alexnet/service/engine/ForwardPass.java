package dev.alexnet.service.engine;

import dev.alexnet.service.model.AlexNetArchitecture;
import dev.alexnet.service.model.ForwardResult;

/** Something that runs AlexNet over a batch: the engine, or in batching tests a controllable stand-in. */
@FunctionalInterface
public interface ForwardPass {

    /**
     * @param input row-major [n, 3, 227, 227]
     */
    ForwardResult infer(float[] input, int n);

    /**
     * {@link #infer}, calling {@code started} when the pass itself begins: on a thread shared with
     * other work (a version's warm-up), that can be after a wait in line, which the admission
     * estimate must not read as the pass being slow.
     */
    default ForwardResult infer(float[] input, int n, Runnable started) {
        started.run();
        return infer(input, n);
    }

    /** Lays [3, 227, 227] image tensors one after another: the input of {@link #infer} for a batch. */
    static float[] stack(java.util.List<float[]> images) {
        int size = AlexNetArchitecture.INPUT_FLOATS;
        float[] input = new float[images.size() * size];
        for (int i = 0; i < images.size(); i++) {
            System.arraycopy(images.get(i), 0, input, i * size, size);
        }
        return input;
    }
}
