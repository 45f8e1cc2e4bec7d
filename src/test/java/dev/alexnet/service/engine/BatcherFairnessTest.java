package dev.alexnet.service.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import dev.alexnet.service.model.ForwardResult;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Several networks (model versions) behind one batcher: one pass at a time for all, batches of one
 * network each, turns taken so a flooded model delays another by about one pass, and one queue
 * bound for every model's images.
 */
class BatcherFairnessTest {

    private static final int IMAGE = 3 * 227 * 227;

    /** Which network ran each pass, and with which images (their first value). */
    private final List<String> passes = new CopyOnWriteArrayList<>();
    private final CountDownLatch gate = new CountDownLatch(1);
    private final CountDownLatch entered = new CountDownLatch(1);
    private Batcher batcher;

    private ForwardPass network(String name, long millis, boolean gated) {
        return (input, n) -> {
            if (gated) {
                entered.countDown();
                try {
                    gate.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            StringBuilder ids = new StringBuilder(name).append(':');
            for (int i = 0; i < n; i++) {
                ids.append(i == 0 ? "" : ",").append((int) input[i * IMAGE]);
            }
            passes.add(ids.toString());
            try {
                Thread.sleep(millis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            float[] out = new float[n];
            for (int i = 0; i < n; i++) {
                out[i] = input[i * IMAGE] + (name.equals("b") ? 1000 : 0);
            }
            return new ForwardResult(n, 1, 1, out, out.clone());
        };
    }

    private static float[] image(int id) {
        float[] t = new float[IMAGE];
        t[0] = id;
        return t;
    }

    /** The count falls as each answer completes, alongside the callers' own callbacks: wait a moment for it. */
    private boolean drained(ForwardPass target) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (batcher.outstanding(target) > 0 && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
        return batcher.outstanding(target) == 0;
    }

    @AfterEach
    void tearDown() {
        gate.countDown();
        if (batcher != null) {
            batcher.close();
        }
    }

    @Test
    void aTrickleModelWaitsAboutOnePassBehindAFloodedOneNotItsWholeQueue() throws Exception {
        ForwardPass a = network("a", 20, true);
        ForwardPass b = network("b", 20, false);
        batcher = new Batcher(a, new Batcher.Settings(4, Duration.ZERO, 256, Duration.ofSeconds(30)));
        List<CompletableFuture<List<Batcher.ImageOutput>>> flood = new ArrayList<>();
        flood.add(batcher.submit(a, List.of(image(0)))); // its pass holds the loop at the gate while the rest queue
        assertThat(entered.await(10, TimeUnit.SECONDS)).isTrue();
        for (int i = 1; i < 64; i++) {
            flood.add(batcher.submit(a, List.of(image(i))));
        }
        CompletableFuture<List<Batcher.ImageOutput>> trickle = batcher.submit(b, List.of(image(7)));
        long released = System.nanoTime();
        gate.countDown();
        Batcher.ImageOutput answer = trickle.get(10, TimeUnit.SECONDS).get(0);
        double waitedMillis = (System.nanoTime() - released) / 1e6;
        for (var f : flood) {
            f.get(30, TimeUnit.SECONDS);
        }

        assertThat(answer.probabilities()[0]).as("b's answer came from b's network").isEqualTo(1007f);
        assertThat(passes).as("a's first pass, one more of a's, then b's; then the rest of a's queue")
                .startsWith("a:0", "a:1,2,3,4", "b:7").hasSize(18);
        // Behind 63 waiting images of a (16 passes, 320 ms) b waited for three: the one under way, one of a's, its own.
        assertThat(waitedMillis).as("b's wait, ms").isLessThan(200);
    }

    @Test
    void twoFloodedModelsAlternateAndNeitherBatchMixesModels() throws Exception {
        ForwardPass a = network("a", 5, true);
        ForwardPass b = network("b", 5, false);
        batcher = new Batcher(a, new Batcher.Settings(4, Duration.ZERO, 256, Duration.ofSeconds(30)));
        List<CompletableFuture<List<Batcher.ImageOutput>>> all = new ArrayList<>();
        all.add(batcher.submit(a, List.of(image(0)))); // holds the loop at the gate while both queues fill
        assertThat(entered.await(10, TimeUnit.SECONDS)).isTrue();
        for (int i = 1; i <= 16; i++) {
            all.add(batcher.submit(a, List.of(image(i))));
            all.add(batcher.submit(b, List.of(image(100 + i))));
        }
        gate.countDown();
        for (var f : all) {
            f.get(30, TimeUnit.SECONDS);
        }
        List<String> order = passes.stream().map(p -> p.substring(0, 1)).toList();
        assertThat(order).as("passes %s", passes).containsExactly("a", "a", "b", "a", "b", "a", "b", "a", "b");
        assertThat(all.get(2).get().get(0).probabilities()[0]).isEqualTo(1101f);
        assertThat(drained(a) && drained(b)).as("nothing outstanding once every answer is in").isTrue();
    }

    @Test
    void theQueueBoundCountsEveryModelsImages() throws Exception {
        ForwardPass a = network("a", 0, true);
        ForwardPass b = network("b", 0, false);
        batcher = new Batcher(a, new Batcher.Settings(1, Duration.ZERO, 4, Duration.ofSeconds(30)));
        CompletableFuture<?> running = batcher.submit(a, List.of(image(1)));
        assertThat(entered.await(10, TimeUnit.SECONDS)).as("a's pass holds the loop; its image left the queue").isTrue();
        CompletableFuture<?> waitingA = batcher.submit(a, List.of(image(2), image(3)));
        CompletableFuture<?> waitingB = batcher.submit(b, List.of(image(4), image(5)));
        assertThat(batcher.outstanding(a)).isEqualTo(3);
        assertThat(batcher.outstanding(b)).isEqualTo(2);
        assertThatThrownBy(() -> batcher.submit(b, List.of(image(6))).get()).cause().isInstanceOf(InferenceRejectedException.class)
                .hasMessageContaining("queue is full");
        gate.countDown();
        running.get(10, TimeUnit.SECONDS);
        waitingA.get(10, TimeUnit.SECONDS);
        waitingB.get(10, TimeUnit.SECONDS);
        assertThat(drained(a)).isTrue();
    }
}
