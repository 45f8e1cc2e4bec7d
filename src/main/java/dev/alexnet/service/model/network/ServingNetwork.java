package dev.alexnet.service.model.network;

import dev.alexnet.service.model.AlexNetArchitecture;
import dev.alexnet.service.model.Precision;
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

    /** The two batch-1 dense paths this network can take, or null if it has one. */
    default DensePaths densePaths() {
        return null;
    }

    /** Runs batch-1 dense layers on the matrix-vector path ({@code true}) or the batched one. */
    default void useGemvAtBatchOne(boolean gemv) {
        throw new UnsupportedOperationException("one batch-1 dense path only");
    }

    /** The batch-1 dense path in use: {@code true} for the matrix-vector one. */
    default boolean gemvAtBatchOne() {
        return false;
    }

    /** Uses {@code gemv}'s path from now on and frees what only the other one held. */
    default void keepBatchOnePath(boolean gemv) {
        useGemvAtBatchOne(gemv);
    }

    /** The number format the pass computes in; only the oneDNN pass has another than fp32. */
    default Precision precision() {
        return Precision.FP32;
    }

    /** What runs the pass, for the log and {@code GET /model}: {@code onednn} or {@code nd4j}. */
    String passName();

    @Override
    void close();
}
