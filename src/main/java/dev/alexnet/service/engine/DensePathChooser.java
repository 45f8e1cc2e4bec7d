package dev.alexnet.service.engine;

import java.util.Locale;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the batch-1 dense path ({@link DensePathProbe}) right while the service runs. The start-up
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
    private boolean sgemv;
    private volatile DensePathProbe.Choice last;
    private long passesSeen;
    private long batchOneSinceCheck;
    private long[] sgemvTimes;
    private long[] mmulTimes;
    private int sgemvCount;
    private int mmulCount;

    /**
     * @param initial         the start-up probe's choice, checked again on live passes; a path
     *                        forced by the setting ({@code !initial.measured()}) is never checked
     * @param firstCheckAfter passes of any size before the first live check
     * @param recheckEvery    batch-1 passes between live checks
     * @param passesPerPath   timed batch-1 passes per path in a check
     */
    DensePathChooser(DensePathProbe.Choice initial, long firstCheckAfter, long recheckEvery, int passesPerPath) {
        this.sgemv = initial.sgemv();
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
        return sgemvTimes != null;
    }

    /** The path for the next pass of {@code n} images. */
    boolean pathFor(int n) {
        if (n != 1 || !last.measured()) {
            return sgemv;
        }
        if (!checking() && passesSeen >= firstCheckAfter && (!last.live() || batchOneSinceCheck >= recheckEvery)) {
            sgemvTimes = new long[passesPerPath];
            mmulTimes = new long[passesPerPath];
            sgemvCount = 0;
            mmulCount = 0;
        }
        return checking() ? DensePathProbe.sgemvAt(sgemvCount + mmulCount) : sgemv;
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
        if (path && sgemvCount < passesPerPath) {
            sgemvTimes[sgemvCount++] = nanos;
        } else if (!path && mmulCount < passesPerPath) {
            mmulTimes[mmulCount++] = nanos;
        }
        if (sgemvCount == passesPerPath && mmulCount == passesPerPath) {
            DensePathProbe.Choice choice = DensePathProbe.decide(sgemvTimes, mmulTimes, true);
            if (choice.sgemv() != sgemv || !last.live()) {
                log.info("Batch-1 dense layers, measured on live passes: {}{}", choice,
                        choice.sgemv() != sgemv ? String.format(Locale.ROOT, " (was %s)", sgemv ? "sgemv" : "Mmul") : "");
            }
            sgemv = choice.sgemv();
            last = choice;
            sgemvTimes = null;
            mmulTimes = null;
            batchOneSinceCheck = 0;
        }
    }

    /** The latest decision and what it rests on. */
    DensePathProbe.Choice current() {
        return last;
    }
}
