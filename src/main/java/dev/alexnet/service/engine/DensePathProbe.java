package dev.alexnet.service.engine;

import java.util.Arrays;
import java.util.Locale;

/**
 * Chooses the batch-1 dense path on the machine the service runs on, by timing both (at start-up
 * here; {@link DensePathChooser} checks again once the JIT is warm). Batch-1 dense
 * layers are memory-bound (234 MB of weights per image): OpenBLAS's sgemv streams them faster than
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
        AUTO, SGEMV, MMUL;

        public static Setting parse(String value) {
            return switch (value == null ? "auto" : value.trim().toLowerCase(Locale.ROOT)) {
                case "", "auto" -> AUTO;
                case "sgemv" -> SGEMV;
                case "mmul" -> MMUL;
                default -> throw new IllegalArgumentException(
                        "alexnet.backend.batch-one-dense is '" + value + "': use auto, sgemv or mmul");
            };
        }
    }

    /**
     * What was chosen and why.
     *
     * @param sgemv   whether batch-1 dense layers run on sgemv
     * @param sgemvMs median batch-1 pass on sgemv, NaN when not measured
     * @param mmulMs  median batch-1 pass on {@code Mmul}, NaN when not measured
     * @param passes  timed passes per path
     * @param live    measured on served passes ({@link DensePathChooser}) rather than at start-up
     */
    public record Choice(boolean sgemv, double sgemvMs, double mmulMs, int passes, boolean live) {

        static Choice forced(boolean sgemv) {
            return new Choice(sgemv, Double.NaN, Double.NaN, 0, false);
        }

        public boolean measured() {
            return passes > 0;
        }

        public String path() {
            return sgemv ? "sgemv" : "Mmul";
        }

        @Override
        public String toString() {
            if (!measured()) {
                return path() + " (set by alexnet.backend.batch-one-dense)";
            }
            return String.format(Locale.ROOT, "%s (batch-1 pass: sgemv %.2f ms, Mmul %.2f ms; median of %d interleaved passes each%s)",
                    path(), sgemvMs, mmulMs, passes, live ? ", on served passes" : "");
        }
    }

    /** Times one batch-1 pass on the given path, in nanoseconds. */
    @FunctionalInterface
    public interface TimedPass {
        long nanos(boolean sgemv);
    }

    /** Untimed passes per path before timing: oneDNN's JIT and the workspace's growth. */
    static final int WARM_UP = 3;
    /** Timed passes per path: 2 x 15 batch-1 passes took 0.4 to 1.2 s on the machines measured. */
    static final int PASSES = 15;

    private DensePathProbe() {
    }

    /** Measures both paths (or takes the forced one) and returns the choice; the caller applies it. */
    public static Choice choose(Setting setting, TimedPass pass) {
        return switch (setting) {
            case SGEMV -> Choice.forced(true);
            case MMUL -> Choice.forced(false);
            case AUTO -> measure(pass, WARM_UP, PASSES);
        };
    }

    static Choice measure(TimedPass pass, int warmUp, int passes) {
        for (int i = 0; i < warmUp; i++) {
            pass.nanos(true);
            pass.nanos(false);
        }
        long[] sgemv = new long[passes];
        long[] mmul = new long[passes];
        for (int k = 0; k < 2 * passes; k++) {
            boolean path = sgemvAt(k);
            long nanos = pass.nanos(path);
            if (path) {
                sgemv[k / 2] = nanos;
            } else {
                mmul[k / 2] = nanos;
            }
        }
        return decide(sgemv, mmul, false);
    }

    /**
     * The path of the k-th timed pass (from 0) in ABBA order: sgemv, Mmul, Mmul, sgemv, sgemv, ...
     * so that a pass that follows the other path's pass gets no systematic edge.
     */
    static boolean sgemvAt(int k) {
        return (k / 2 % 2 == 0) == (k % 2 == 0);
    }

    /** The path with the lower median pass time. */
    static Choice decide(long[] sgemvNanos, long[] mmulNanos, boolean live) {
        double s = median(sgemvNanos) / 1e6;
        double m = median(mmulNanos) / 1e6;
        return new Choice(s < m, s, m, sgemvNanos.length, live);
    }

    static double median(long[] values) {
        long[] sorted = values.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0;
    }
}
