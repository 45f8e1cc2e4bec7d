package dev.alexnet.service.engine;

import java.util.Arrays;
import java.util.Locale;

import dev.alexnet.service.model.network.DensePaths;

/**
 * Chooses the batch-1 dense path on the machine the service runs on, by timing both at start-up
 * ({@link DensePathChooser} checks again once the JIT is warm, on a network whose {@link DensePaths}
 * ask for it). Batch-1 dense layers are memory-bound (234 MB of weights per image), so a
 * matrix-vector product ({@code gemv}) can beat the path batches take. On the oneDNN pass the inner
 * product's gemv streamed fc6 in 6.4 ms against the batches' 1x1 convolution's 10 on an AVX2 EPYC,
 * at the price of a second copy of the dense weights in the gemv's layout, which is freed when the
 * 1x1 convolution wins. On the ND4J pass OpenBLAS's sgemv streams them faster than
 * the {@code Mmul} op when it has the cores to itself, but it runs on OpenBLAS's threads, and
 * libgomp's worker keeps spinning on one of the two cores after each op. Which wins depends on the
 * CPU and on libgomp's spin: on an AMD EPYC with AVX-512 sgemv with a bounded spin made a pass 25%
 * faster; on an Intel Xeon with AMX the bounded spin made a pass 1.6x to 2.5x slower; on an AVX2
 * EPYC the dense layers took 15.4 ms on Mmul against 25.7 on sgemv once warm (docs/benchmarks.md). So nothing is assumed: the probe runs batch-1
 * passes on each path, interleaved so that noise from other tenants falls on both, and keeps the
 * one with the lower median.
 */
public final class DensePathProbe {

    /** {@code alexnet.backend.batch-one-dense}: measure, or force one path. */
    public enum Setting {
        AUTO, GEMV, BATCHED;

        /** {@code auto}, {@code gemv} or {@code batched}; {@code sgemv} and {@code mmul}, the ND4J pass's names, still read. */
        public static Setting parse(String value) {
            return switch (value == null ? "auto" : value.trim().toLowerCase(Locale.ROOT)) {
                case "", "auto" -> AUTO;
                case "gemv", "sgemv" -> GEMV;
                case "batched", "mmul" -> BATCHED;
                default -> throw new IllegalArgumentException(
                        "alexnet.backend.batch-one-dense is '" + value + "': use auto, gemv or batched");
            };
        }
    }

    /**
     * What was chosen and why.
     *
     * @param paths     the network's two paths, for their names
     * @param gemv      whether batch-1 dense layers run on the matrix-vector path
     * @param gemvMs    median batch-1 pass on it, NaN when not measured
     * @param batchedMs median batch-1 pass on the batched path, NaN when not measured
     * @param passes    timed passes per path
     * @param live      measured on served passes ({@link DensePathChooser}) rather than at start-up
     */
    public record Choice(DensePaths paths, boolean gemv, double gemvMs, double batchedMs, int passes, boolean live) {

        static Choice forced(DensePaths paths, boolean gemv) {
            return new Choice(paths, gemv, Double.NaN, Double.NaN, 0, false);
        }

        public boolean measured() {
            return passes > 0;
        }

        public String path() {
            return paths.name(gemv);
        }

        @Override
        public String toString() {
            if (!measured()) {
                return path() + " (set by alexnet.backend.batch-one-dense)";
            }
            return String.format(Locale.ROOT, "%s (batch-1 pass: %s %.2f ms, %s %.2f ms; median of %d interleaved passes each%s)",
                    path(), paths.gemv(), gemvMs, paths.batched(), batchedMs, passes, live ? ", on served passes" : "");
        }
    }

    /** Times one batch-1 pass on the given path, in nanoseconds. */
    @FunctionalInterface
    public interface TimedPass {
        long nanos(boolean gemv);
    }

    /** Untimed passes per path before timing: oneDNN's JIT and the workspace's growth. */
    static final int WARM_UP = 3;
    /** Timed passes per path: 2 x 15 batch-1 passes took 0.4 to 1.2 s on the machines measured. */
    static final int PASSES = 15;

    private DensePathProbe() {
    }

    /** Measures both paths (or takes the forced one) and returns the choice; the caller applies it. */
    public static Choice choose(Setting setting, DensePaths paths, TimedPass pass) {
        return switch (setting) {
            case GEMV -> Choice.forced(paths, true);
            case BATCHED -> Choice.forced(paths, false);
            case AUTO -> measure(paths, pass, WARM_UP, PASSES);
        };
    }

    static Choice measure(DensePaths paths, TimedPass pass, int warmUp, int passes) {
        for (int i = 0; i < warmUp; i++) {
            pass.nanos(true);
            pass.nanos(false);
        }
        long[] gemv = new long[passes];
        long[] batched = new long[passes];
        for (int k = 0; k < 2 * passes; k++) {
            boolean path = gemvAt(k);
            long nanos = pass.nanos(path);
            if (path) {
                gemv[k / 2] = nanos;
            } else {
                batched[k / 2] = nanos;
            }
        }
        return decide(paths, gemv, batched, false);
    }

    /**
     * The path of the k-th timed pass (from 0) in ABBA order: gemv, batched, batched, gemv, gemv, ...
     * so that a pass that follows the other path's pass gets no systematic edge.
     */
    static boolean gemvAt(int k) {
        return (k / 2 % 2 == 0) == (k % 2 == 0);
    }

    /** The path with the lower median pass time. */
    static Choice decide(DensePaths paths, long[] gemvNanos, long[] batchedNanos, boolean live) {
        double g = median(gemvNanos) / 1e6;
        double b = median(batchedNanos) / 1e6;
        return new Choice(paths, g < b, g, b, gemvNanos.length, live);
    }

    static double median(long[] values) {
        long[] sorted = values.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0;
    }
}
