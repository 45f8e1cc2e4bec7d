package dev.alexnet.service.model.network;

/**
 * The two ways a network can run its dense layers on a single image, named for the log and
 * {@code GET /model}: a matrix-vector product ({@code gemv}, which streams the 234 MB of dense
 * weights once and does nothing else) or the path batches take ({@code batched}). Which is faster
 * depends on the machine, so the engine times both at start-up ({@code DensePathProbe}).
 *
 * @param gemv        the matrix-vector path's name
 * @param batched     the batched path's name
 * @param liveChecked whether the choice can turn on a warm JIT, so that it is measured again on
 *                    served passes (the ND4J pass, whose ops are driven from Java between kernels);
 *                    otherwise it is made once and the path not chosen is freed
 */
public record DensePaths(String gemv, String batched, boolean liveChecked) {

    /** The name of the path {@code gemv} selects. */
    public String name(boolean gemv) {
        return gemv ? this.gemv : batched;
    }
}
