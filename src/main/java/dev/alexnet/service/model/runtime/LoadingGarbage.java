package dev.alexnet.service.model.runtime;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.management.MemoryUsage;

/**
 * What reading the weights leaves in the heap, freed in one full collection before the service
 * takes traffic.
 * <p>
 * Why: the {@code .npy} reader's arrays and the layouts built from them (about 320 MB for AlexNet)
 * are dead once the pass holds its weights off the heap, but they reached G1's old generation
 * during the load, and with no old-generation pressure G1 never collects them: a plain
 * {@code java -jar} served with an 816 MB heap, 340 MB of it that garbage, and young pauses of 9 to
 * 15 ms (each one carried the remembered sets of those regions) every 3 s at 1 client. Collected
 * once after start-up, G1 gives the space back (a full collection shrinks the heap to what is
 * live) and the young pauses are 1.5 to 2.7 ms. Measured on an AMD EPYC Zen 5 (docs/benchmarks.md,
 * section 00000000): after a 10 s warm-up and 1,500 requests from one client, RSS 739 and 815 MiB
 * against 1,688 and 1,500 without it; latency within the noise.
 * <p>
 * Only at start-up: a model repository's later loads happen while it serves, where a full
 * collection would pause every request (the 512 MB heap the repository runs with collects them).
 * Under {@code -XX:+DisableExplicitGC} this does nothing and says so through its numbers.
 */
public final class LoadingGarbage {

    /**
     * The heap around the collection.
     *
     * @param usedBefore      bytes in use before
     * @param usedAfter       bytes in use after
     * @param committedBefore bytes the heap held from the OS before
     * @param committedAfter  after
     * @param nanos           the collection's time
     */
    public record Released(long usedBefore, long usedAfter, long committedBefore, long committedAfter, long nanos) {

        /** Bytes freed (0 when nothing was, or the collection was disabled). */
        public long freed() {
            return Math.max(0, usedBefore - usedAfter);
        }

        @Override
        public String toString() {
            return String.format(java.util.Locale.ROOT, "heap in use %d -> %d MB, held %d -> %d MB, in %d ms", usedBefore >> 20,
                    usedAfter >> 20, committedBefore >> 20, committedAfter >> 20, nanos / 1_000_000);
        }
    }

    private LoadingGarbage() {
    }

    /** Runs one full collection and reports the heap before and after it. */
    public static Released release() {
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        MemoryUsage before = memory.getHeapMemoryUsage();
        long start = System.nanoTime();
        System.gc();
        long nanos = System.nanoTime() - start;
        MemoryUsage after = memory.getHeapMemoryUsage();
        return new Released(before.getUsed(), after.getUsed(), before.getCommitted(), after.getCommitted(), nanos);
    }
}
