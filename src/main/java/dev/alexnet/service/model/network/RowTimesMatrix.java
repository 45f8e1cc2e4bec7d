package dev.alexnet.service.model.network;

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.openblas.global.openblas;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * One row times a row-major matrix, plus a bias, by OpenBLAS's {@code cblas_sgemv} on ND4J's own
 * off-heap buffers: the BLAS library (and thread pool) that ND4J's CPU backend already loaded
 * ({@code org.bytedeco.openblas.global.openblas}, not its {@code _nolapack} twin), called without the
 * {@code Mmul} op's detour through sgemm. At batch 1 the dense layers are memory-bound (234 MB of
 * weights per image) and sgemv streams each matrix once at 45 GB/s here. Measured alone, 2 threads:
 * fc6 3.3 against the {@code Mmul} op's 4.3 ms, fc7 1.45 against 2.25 ms, fc8 0.35 against 0.5 ms
 * (docs/benchmarks.md). OpenBLAS runs on threads of its own, see {@link OpenMpSpin}.
 */
final class RowTimesMatrix {

    private RowTimesMatrix() {
    }

    /**
     * Whether {@link #plusBias} can take these arrays: float host buffers (the CPU backend),
     * C-order and contiguous, x [1, in], weights [in, out], bias with out elements.
     */
    static boolean applies(INDArray x, INDArray weights, INDArray bias) {
        return Nd4j.getEnvironment().isCPU()
                && x.dataType() == DataType.FLOAT && weights.dataType() == DataType.FLOAT && bias.dataType() == DataType.FLOAT
                && x.rank() == 2 && x.size(0) == 1 && weights.rank() == 2 && x.size(1) == weights.size(0)
                && bias.length() == weights.size(1)
                && contiguous(x) && contiguous(weights) && contiguous(bias);
    }

    private static boolean contiguous(INDArray a) {
        return a.ordering() == 'c' && a.elementWiseStride() == 1;
    }

    /** x · weights + bias as a new [1, out] array (in the open workspace if there is one). */
    static INDArray plusBias(INDArray x, INDArray weights, INDArray bias) {
        int in = Math.toIntExact(weights.size(0));
        int out = Math.toIntExact(weights.size(1));
        INDArray y = bias.reshape(1, out).dup('c');
        // Row-major A [in, out], transposed: y = A^T x + 1 * y.
        openblas.cblas_sgemv(openblas.CblasRowMajor, openblas.CblasTrans, in, out,
                1f, pointer(weights), out, pointer(x), 1, 1f, pointer(y), 1);
        return y;
    }

    /** The array's first element: a view's buffer already starts at the view's offset. */
    private static FloatPointer pointer(INDArray a) {
        return new FloatPointer(a.data().addressPointer());
    }
}
