package dev.alexnet.service.model.network;

import dev.alexnet.service.model.AlexNetArchitecture;
import dev.alexnet.service.model.ForwardResult;
import dev.alexnet.service.model.weights.WeightsSource;

/**
 * An AlexNet that serves inference passes: on oneDNN's primitives directly ({@link DnnlAlexNet},
 * the CPU default) or on ND4J's ops ({@link AlexNet}, the CUDA path and the fallback). Both compute
 * the same numbers from the same weights.
 */
public interface ServingNetwork extends AutoCloseable {

    AlexNetArchitecture architecture();

    WeightsSource source();

    /**
     * Runs inference on a batch.
     *
     * @param input row-major [n, 3, 227, 227]: BGR, minus the ImageNet mean, 0-255 scale
     */
    ForwardResult forward(float[] input, int n);

    /**
     * Does ahead of time, for every batch size from 1 to {@code maxBatch}, what the first pass at that
     * size would otherwise do on a request's time: for {@link DnnlAlexNet}, building its plan
     * (primitives and their JIT code, about 0.7 MB each). Passes are not run. Nothing by default.
     */
    default void prepare(int maxBatch) {
    }

    /** What runs the pass, for the log and {@code GET /model}: {@code onednn} or {@code nd4j}. */
    String passName();

    @Override
    void close();
}
