package dev.alexnet.service.engine;

import java.util.Locale;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the batch-1 dense path ({@link DensePathProbe}) right while the service runs, on the ND4J
 * pass (the one whose {@code DensePaths} are {@code liveChecked}). The start-up
 * probe runs before the JIT has compiled ND4J's Java side: a cold pass spends so long in Java
 * between ops that libgomp's idle workers have stopped spinning, which favours sgemv. Measured on an
 * AVX2 AMD EPYC: cold, sgemv 61.0 against Mmul 70.3 ms; warm, the same network's dense layers take
 * 25.7 ms on sgemv and 15.4 ms on Mmul. So the choice is measured again on live batch-1 passes:
 * after {@link #firstCheckAfter} passes of any size (the JIT's warm-up), then every
 * {@link #recheckEvery} batch-1 passes, {@link DensePathProbe#PASSES} batch-1 passes on each path
 * are interleaved and the lower median wins. A check costs at most half its passes on the slower
 * path, 0.4% of batch-1 passes at the defaults. Used by the inference thread only.
 */
final class DensePathChooser {

    private static final Logger log = LoggerFactory.getLogger(DensePathChooser.class);

    private final long firstCheckAfter;
    private final long recheckEvery;
    private final int passesPerPath;
    private boolean gemv;
    private volatile DensePathProbe.Choice last;
    private long passesSeen;
    private long batchOneSinceCheck;
    private long[] gemvTimes;
    private long[] batchedTimes;
    private int gemvCount;
    private int batchedCount;

    /**
     * @param initial         the start-up probe's choice, checked again on live passes; a path
     *                        forced by the setting ({@code !initial.measured()}) is never checked
     * @param firstCheckAfter passes of any size before the first live check
     * @param recheckEvery    batch-1 passes between live checks
     * @param passesPerPath   timed batch-1 passes per path in a check
     */
    DensePathChooser(DensePathProbe.Choice initial, long firstCheckAfter, long recheckEvery, int passesPerPath) {
        this.gemv = initial.gemv();
        this.last = initial;
        this.firstCheckAfter = firstCheckAfter;
        this.recheckEvery = recheckEvery;
        this.passesPerPath = passesPerPath;
    }

    /** The defaults: first check after 300 passes, then every 4,000 batch-1 passes, 15 passes per path. */
    static DensePathChooser of(DensePathProbe.Choice initial) {
        return new DensePathChooser(initial, 300, 4_000, DensePathProbe.PASSES);
    }

    private boolean checking() {
        return gemvTimes != null;
    }

    /** The path for the next pass of {@code n} images. */
    boolean pathFor(int n) {
        if (n != 1 || !last.measured()) {
            return gemv;
        }
        if (!checking() && passesSeen >= firstCheckAfter && (!last.live() || batchOneSinceCheck >= recheckEvery)) {
            gemvTimes = new long[passesPerPath];
            batchedTimes = new long[passesPerPath];
            gemvCount = 0;
            batchedCount = 0;
        }
        return checking() ? DensePathProbe.gemvAt(gemvCount + batchedCount) : gemv;
    }

    /** Records a finished pass of {@code n} images that ran on {@code path}. */
    void record(int n, boolean path, long nanos) {
        passesSeen++;
        if (n != 1) {
            return;
        }
        batchOneSinceCheck++;
        if (!checking()) {
            return;
        }
        if (path && gemvCount < passesPerPath) {
            gemvTimes[gemvCount++] = nanos;
        } else if (!path && batchedCount < passesPerPath) {
            batchedTimes[batchedCount++] = nanos;
        }
        if (gemvCount == passesPerPath && batchedCount == passesPerPath) {
            DensePathProbe.Choice choice = DensePathProbe.decide(last.paths(), gemvTimes, batchedTimes, true);
            if (choice.gemv() != gemv || !last.live()) {
                log.info("Batch-1 dense layers, measured on live passes: {}{}", choice,
                        choice.gemv() != gemv ? String.format(Locale.ROOT, " (was %s)", last.paths().name(gemv)) : "");
            }
            gemv = choice.gemv();
            last = choice;
            gemvTimes = null;
            batchedTimes = null;
            batchOneSinceCheck = 0;
        }
    }

    /** The latest decision and what it rests on. */
    DensePathProbe.Choice current() {
        return last;
    }
}
