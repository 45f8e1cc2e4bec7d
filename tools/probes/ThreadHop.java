import java.util.concurrent.*;

/**
 * What the hand-over from the batcher thread to the inference thread costs: the round trip of an
 * empty task to a single-thread executor after the caller idled 0.2 ms, as the batcher does between
 * passes. Run: java tools/probes/ThreadHop.java
 */

public class ThreadHop {
    public static void main(String[] a) throws Exception {
        ExecutorService ex = Executors.newSingleThreadExecutor();
        // warm
        for (int i = 0; i < 20000; i++) CompletableFuture.supplyAsync(() -> 1, ex).get();
        int n = 2000; long[] t = new long[n];
        for (int i = 0; i < n; i++) {
            Thread.sleep(0, 200000); // the batcher thread idles between passes
            long s = System.nanoTime();
            CompletableFuture.supplyAsync(() -> 1, ex).get();
            t[i] = System.nanoTime() - s;
        }
        java.util.Arrays.sort(t);
        System.out.printf("hop round trip after idling: p50 %.1f us, p90 %.1f us, p99 %.1f us%n", t[n/2]/1e3, t[n*9/10]/1e3, t[n*99/100]/1e3);
        ex.shutdown();
    }
}
