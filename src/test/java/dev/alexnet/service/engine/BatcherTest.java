package dev.alexnet.service.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import dev.alexnet.service.model.ForwardResult;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The batching and backpressure logic, with a forward pass the test controls: it echoes each
 * image's first value as its "probability", so that every answer can be traced to its request,
 * and it can be held closed to fill the queue.
 */
class BatcherTest {

    private static final int IMAGE = 3 * 227 * 227;
    private final List<Integer> batchSizes = new CopyOnWriteArrayList<>();
    private final CountDownLatch gate = new CountDownLatch(1);
    private final AtomicBoolean gated = new AtomicBoolean();
    private final AtomicBoolean failNext = new AtomicBoolean();
    private Batcher batcher;

    private final ForwardPass echo = (input, n) -> {
        batchSizes.add(n);
        if (gated.get()) {
            try {
                gate.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (failNext.getAndSet(false)) {
            throw new IllegalStateException("injected fault");
        }
        float[] probabilities = new float[n];
        for (int i = 0; i < n; i++) {
            probabilities[i] = input[i * IMAGE];
        }
        return new ForwardResult(n, 1, 1, probabilities, probabilities.clone());
    };

    private static float[] image(float id) {
        float[] t = new float[IMAGE];
        t[0] = id;
        return t;
    }

    @AfterEach
    void tearDown() {
        gate.countDown();
        if (batcher != null) {
            batcher.close();
        }
    }

    @Test
    void aBatchSentAsOneArrayIsReadInPlaceAndEachImageGetsItsOwnSlicesAnswer() throws Exception {
        batcher = new Batcher(echo, new Batcher.Settings(2, Duration.ZERO, 8, Duration.ofSeconds(10)));
        float[] batch = new float[3 * IMAGE];
        for (int i = 0; i < 3; i++) {
            batch[i * IMAGE] = 100 + i;
        }
        List<Batcher.ImageOutput> outputs = batcher.submitBatch(batch, 3).get(10, TimeUnit.SECONDS);
        assertThat(outputs).extracting(o -> o.probabilities()[0]).containsExactly(100f, 101f, 102f);
        assertThat(batchSizes.stream().mapToInt(Integer::intValue).sum()).isEqualTo(3);
        assertThatThrownBy(() -> batcher.submitBatch(new float[IMAGE + 1], 1)).isInstanceOf(IllegalArgumentException.class);
        assertThat(batcher.queueDepth()).as("a refused batch reserves nothing").isZero();
    }

    @Test
    void concurrentRequestsShareForwardPassesAndGetTheirOwnAnswers() throws Exception {
        gated.set(true);
        batcher = new Batcher(echo, new Batcher.Settings(8, Duration.ofMillis(50), 256, Duration.ofSeconds(10)));
        CompletableFuture<List<Batcher.ImageOutput>> holding = batcher.submit(List.of(image(-1)));
        while (batchSizes.isEmpty()) {
            Thread.sleep(1);
        }
        // While the first pass runs, 20 requests of 2 images queue up: they must go in batches of 8.
        List<CompletableFuture<List<Batcher.ImageOutput>>> futures = new ArrayList<>();
        for (int r = 0; r < 20; r++) {
            futures.add(batcher.submit(List.of(image(r * 10), image(r * 10 + 1))));
        }
        gate.countDown();
        assertThat(holding.get(10, TimeUnit.SECONDS).get(0).probabilities()[0]).isEqualTo(-1f);
        for (int r = 0; r < 20; r++) {
            List<Batcher.ImageOutput> out = futures.get(r).get(10, TimeUnit.SECONDS);
            assertThat(out).hasSize(2);
            assertThat(out.get(0).probabilities()[0]).isEqualTo(r * 10f);
            assertThat(out.get(1).probabilities()[0]).isEqualTo(r * 10 + 1f);
        }
        assertThat(batchSizes.stream().mapToInt(Integer::intValue).sum()).isEqualTo(41);
        assertThat(batchSizes.subList(1, batchSizes.size())).containsExactly(8, 8, 8, 8, 8);
        assertThat(batcher.largestBatch()).isEqualTo(8);
        assertThat(batcher.batches()).isEqualTo(batchSizes.size());
    }

    @Test
    void aLoneRequestDoesNotWaitForCompany() throws Exception {
        batcher = new Batcher(echo, new Batcher.Settings(8, Duration.ofSeconds(2), 16, Duration.ofSeconds(10)));
        long start = System.nanoTime();
        batcher.submit(List.of(image(1))).get(10, TimeUnit.SECONDS);
        assertThat(System.nanoTime() - start).as("a 2 s max delay is not waited out with nobody else coming")
                .isLessThan(TimeUnit.MILLISECONDS.toNanos(500));
    }

    @Test
    void aLoneRequestsOwnImageIsNotWaitedForOnceQueued() throws Exception {
        // Its image is queued before its reservation stops counting as on its way: the loop, woken by
        // the image, saw it as still expected and waited 0.5 ms for it unless told it had arrived.
        batcher = new Batcher(echo, new Batcher.Settings(8, Duration.ofSeconds(2), 16, Duration.ofSeconds(10)));
        for (int i = 0; i < 300; i++) {
            Batcher.Reservation reservation = batcher.reserve(1);
            batcher.submit(reservation, List.of(image(i))).get(10, TimeUnit.SECONDS);
        }
        assertThat(batchSizes).hasSize(300).containsOnly(1);
        assertThat(batcher.emptyWaits()).as("waits for an image that had already arrived, of 300 lone requests")
                .isLessThanOrEqualTo(3);
    }

    @Test
    void imagesStillBeingDecodedAreWaitedFor() throws Exception {
        batcher = new Batcher(echo, new Batcher.Settings(8, Duration.ofSeconds(2), 16, Duration.ofSeconds(10)));
        Batcher.Reservation decoding = batcher.reserve(1);
        CompletableFuture<List<Batcher.ImageOutput>> first = batcher.submit(List.of(image(1)));
        Thread.sleep(50);
        CompletableFuture<List<Batcher.ImageOutput>> second = batcher.submit(decoding, List.of(image(2)));
        first.get(10, TimeUnit.SECONDS);
        second.get(10, TimeUnit.SECONDS);
        assertThat(batchSizes).containsExactly(2);
    }

    @Test
    void maxBatchSizeOneTurnsBatchingOff() throws Exception {
        batcher = new Batcher(echo, new Batcher.Settings(1, Duration.ofMillis(20), 64, Duration.ofSeconds(10)));
        batcher.submit(List.of(image(1), image(2), image(3))).get(10, TimeUnit.SECONDS);
        assertThat(batchSizes).containsExactly(1, 1, 1);
    }

    @Test
    void aFullQueueRefusesAtOnceAndLosesNothing() throws Exception {
        gated.set(true);
        batcher = new Batcher(echo, new Batcher.Settings(1, Duration.ZERO, 4, Duration.ofSeconds(10)));
        CompletableFuture<List<Batcher.ImageOutput>> running = batcher.submit(List.of(image(0)));
        while (batchSizes.isEmpty()) {
            Thread.sleep(1);
        }
        List<CompletableFuture<List<Batcher.ImageOutput>>> accepted = new ArrayList<>();
        for (int i = 1; i <= 4; i++) {
            accepted.add(batcher.submit(List.of(image(i))));
        }
        assertThat(batcher.queueDepth()).isEqualTo(4);
        long start = System.nanoTime();
        CompletableFuture<List<Batcher.ImageOutput>> refused = batcher.submit(List.of(image(5)));
        assertThat(refused).isCompletedExceptionally();
        assertThat(System.nanoTime() - start).isLessThan(TimeUnit.MILLISECONDS.toNanos(100));
        assertThatThrownBy(refused::get).hasCauseInstanceOf(InferenceRejectedException.class)
                .cause().satisfies(e -> assertThat(((InferenceRejectedException) e).reason())
                        .isEqualTo(InferenceRejectedException.Reason.QUEUE_FULL));
        // A request larger than the room left is refused whole, not split.
        assertThat(batcher.submit(List.of(image(6), image(7)))).isCompletedExceptionally();
        assertThat(batcher.rejectedQueueFull()).isEqualTo(2);
        gate.countDown();
        assertThat(running.get(10, TimeUnit.SECONDS).get(0).probabilities()[0]).isZero();
        for (int i = 0; i < 4; i++) {
            assertThat(accepted.get(i).get(10, TimeUnit.SECONDS).get(0).probabilities()[0]).isEqualTo(i + 1f);
        }
        assertThat(batcher.queueDepth()).isZero();
    }

    @Test
    void aFailingPassFailsOnlyItsBatch() throws Exception {
        batcher = new Batcher(echo, new Batcher.Settings(4, Duration.ZERO, 64, Duration.ofSeconds(10)));
        failNext.set(true);
        CompletableFuture<List<Batcher.ImageOutput>> failed = batcher.submit(List.of(image(1)));
        assertThatThrownBy(() -> failed.get(10, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .hasRootCauseMessage("injected fault");
        assertThat(batcher.submit(List.of(image(2))).get(10, TimeUnit.SECONDS).get(0).probabilities()[0]).isEqualTo(2f);
        assertThat(batcher.failedBatches()).isEqualTo(1);
    }

    @Test
    void requestsPastTheirDeadlineTimeOut() throws Exception {
        gated.set(true);
        batcher = new Batcher(echo, new Batcher.Settings(1, Duration.ZERO, 16, Duration.ofMillis(200)));
        batcher.submit(List.of(image(0)));
        CompletableFuture<List<Batcher.ImageOutput>> late = batcher.submit(List.of(image(1)));
        assertThatThrownBy(() -> late.get(5, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .cause().isInstanceOf(InferenceRejectedException.class)
                .satisfies(e -> assertThat(((InferenceRejectedException) e).reason()).isEqualTo(InferenceRejectedException.Reason.TIMEOUT));
        gate.countDown();
    }

    @Test
    void shutdownRefusesNewWorkAndFinishesQueuedWork() throws Exception {
        gated.set(true);
        batcher = new Batcher(echo, new Batcher.Settings(2, Duration.ZERO, 16, Duration.ofSeconds(10)));
        CompletableFuture<List<Batcher.ImageOutput>> first = batcher.submit(List.of(image(1)));
        CompletableFuture<List<Batcher.ImageOutput>> queued = batcher.submit(List.of(image(2), image(3)));
        batcher.stopAccepting();
        CompletableFuture<List<Batcher.ImageOutput>> refused = batcher.submit(List.of(image(4)));
        assertThat(refused).isCompletedExceptionally();
        gate.countDown();
        batcher.close();
        assertThat(first.get(1, TimeUnit.SECONDS)).hasSize(1);
        assertThat(queued.get(1, TimeUnit.SECONDS)).extracting(o -> o.probabilities()[0]).containsExactly(2f, 3f);
    }

    @Test
    void aQueueBoundedInTimeRefusesWorkThatAStalledPassCouldNotFinishInTime() throws Exception {
        gated.set(true);
        // Passes of 20 ms at batch 1 and 30 ms at batch 2 when idle; the queue may hold 200 ms of work.
        batcher = new Batcher(echo, new Batcher.Settings(2, Duration.ZERO, 256, Duration.ofSeconds(10), Duration.ofMillis(200),
                new PassTimes(10_000_000, 10_000_000)));
        CompletableFuture<List<Batcher.ImageOutput>> stalled = batcher.submit(List.of(image(0)));
        while (batchSizes.isEmpty()) {
            Thread.sleep(1);
        }
        Thread.sleep(150);
        // The pass has run 150 ms where 20 were expected: everything behind it counts 7.5 times slower. An empty
        // queue still takes a request; a second image behind it would wait 7.5 x (20 + 30) ms, past the bound.
        CompletableFuture<List<Batcher.ImageOutput>> taken = batcher.submit(List.of(image(1)));
        assertThat(batcher.estimatedWaitNanos(1)).isGreaterThan(TimeUnit.MILLISECONDS.toNanos(200));
        assertThat(batcher.hasRoom()).isFalse();
        CompletableFuture<List<Batcher.ImageOutput>> refused = batcher.submit(List.of(image(2)));
        assertThatThrownBy(refused::get).cause().isInstanceOf(InferenceRejectedException.class)
                .hasMessageContaining("s of work (limit 0.2 s)")
                .satisfies(e -> assertThat(((InferenceRejectedException) e).reason()).isEqualTo(InferenceRejectedException.Reason.QUEUE_FULL));
        assertThat(batcher.queueDepth()).as("far below the 256 images of room").isEqualTo(1);
        gate.countDown();
        assertThat(stalled.get(10, TimeUnit.SECONDS).get(0).probabilities()[0]).isZero();
        assertThat(taken.get(10, TimeUnit.SECONDS).get(0).probabilities()[0]).isEqualTo(1f);
    }

    @Test
    void theEstimateLearnsTheSlowdownFromPassesServedWhileWorkWaited() throws Exception {
        // Every pass takes at least 40 ms where an idle machine would take 10 ms.
        ForwardPass slow = (input, n) -> {
            try {
                Thread.sleep(40);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return echo.infer(input, n);
        };
        batcher = new Batcher(slow, new Batcher.Settings(2, Duration.ZERO, 256, Duration.ofSeconds(10), Duration.ofSeconds(5),
                new PassTimes(10_000_000, 0)));
        assertThat(batcher.estimatedWaitNanos(2)).as("before any pass: the idle machine's time").isEqualTo(10_000_000);
        List<CompletableFuture<List<Batcher.ImageOutput>>> futures = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            futures.add(batcher.submit(List.of(image(i))));
        }
        for (var f : futures) {
            f.get(10, TimeUnit.SECONDS);
        }
        assertThat(batcher.estimatedWaitNanos(2)).as("one pass of 2 at the observed pace").isGreaterThanOrEqualTo(36_000_000);
        assertThat(batcher.estimatedWaitNanos(4)).as("two passes").isCloseTo(2 * batcher.estimatedWaitNanos(2), org.assertj.core.data.Offset.offset(2L));
    }

    @Test
    void aPassWaitingForTheThreadBehindOtherWorkIsNeitherAStallNorASlowdown() throws Exception {
        // Each pass first waits 150 ms for the thread (a version's warm-up pass ahead of it), then runs in 10 ms as expected.
        ForwardPass queuedBehindWarmUp = new ForwardPass() {
            @Override
            public ForwardResult infer(float[] input, int n) {
                return echo.infer(input, n);
            }

            @Override
            public ForwardResult infer(float[] input, int n, Runnable started) {
                try {
                    if (gated.get()) {
                        gate.await(10, TimeUnit.SECONDS);
                    } else {
                        Thread.sleep(150);
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                started.run();
                return infer(input, n);
            }
        };
        gated.set(true);
        batcher = new Batcher(queuedBehindWarmUp, new Batcher.Settings(1, Duration.ZERO, 256, Duration.ofSeconds(10),
                Duration.ofMillis(500), new PassTimes(10_000_000, 0)));
        CompletableFuture<List<Batcher.ImageOutput>> waiting = batcher.submit(List.of(image(0)));
        CompletableFuture<List<Batcher.ImageOutput>> behind = batcher.submit(List.of(image(1)));
        Thread.sleep(300);
        // 300 ms into a pass expected to take 10: had it been running, 30 times slow, and 30 x 20 ms is past the
        // 500 ms bound. It has not started.
        assertThat(batcher.estimatedWaitNanos(1)).as("the pass in line, the one queued and one more, at the idle pace")
                .isEqualTo(30_000_000);
        assertThat(batcher.hasRoom()).isTrue();
        gated.set(false);
        gate.countDown();
        assertThat(waiting.get(10, TimeUnit.SECONDS).get(0).probabilities()[0]).isZero();
        assertThat(behind.get(10, TimeUnit.SECONDS).get(0).probabilities()[0]).isEqualTo(1f);
        for (int round = 0; round < 3; round++) {
            CompletableFuture<List<Batcher.ImageOutput>> first = batcher.submit(List.of(image(1)));
            CompletableFuture<List<Batcher.ImageOutput>> second = batcher.submit(List.of(image(2)));
            assertThat(first.get(10, TimeUnit.SECONDS).get(0).probabilities()[0]).isEqualTo(1f);
            assertThat(second.get(10, TimeUnit.SECONDS).get(0).probabilities()[0]).isEqualTo(2f);
        }
        // Every pass waited at least 150 ms for the thread, with work queued behind it: none of that is pace.
        assertThat(batcher.estimatedWaitNanos(1)).as("one pass, still at about the idle pace")
                .isLessThan(TimeUnit.MILLISECONDS.toNanos(60));
    }

    @Test
    void theLoopsWaitForAnImageStillBeingDecodedIsNotReadAsASlowPass() throws Exception {
        // Passes of 10 ms when idle; the echo takes far less. The loop then waits 200 ms for an image being
        // decoded: counted as the next pass's time, that read as a pass 20 times slow.
        PassTimes idle = new PassTimes(10_000_000, 0);
        batcher = new Batcher(echo, new Batcher.Settings(2, Duration.ZERO, 256, Duration.ofSeconds(10), Duration.ofSeconds(5), idle));
        Batcher.Reservation decoding = batcher.reserve(1);
        CompletableFuture<List<Batcher.ImageOutput>> alone = batcher.submit(List.of(image(1)));
        assertThat(alone.get(10, TimeUnit.SECONDS).get(0).probabilities()[0]).isEqualTo(1f);
        TimeUnit.MILLISECONDS.sleep(200);
        CompletableFuture<List<Batcher.ImageOutput>> decoded = batcher.submit(decoding, List.of(image(2)));
        assertThat(decoded.get(10, TimeUnit.SECONDS).get(0).probabilities()[0]).isEqualTo(2f);
        assertThat(batcher.estimatedWaitNanos(1)).as("one pass at about the idle pace")
                .isLessThan(TimeUnit.MILLISECONDS.toNanos(50));
    }

    @Test
    void anImageThatWaitedPastTheTimeBoundIsAnsweredNotRunLate() throws Exception {
        batcher = new Batcher(echo, new Batcher.Settings(4, Duration.ZERO, 16, Duration.ofSeconds(10), Duration.ofMillis(100),
                new PassTimes(1_000_000, 1_000_000)));
        // Room taken, then the image takes 150 ms to decode: by the time it could run, it is past the bound.
        Batcher.Reservation reservation = batcher.reserve(1);
        Thread.sleep(150);
        CompletableFuture<List<Batcher.ImageOutput>> late = batcher.submit(reservation, List.of(image(1)));
        assertThatThrownBy(() -> late.get(5, TimeUnit.SECONDS)).cause().isInstanceOf(InferenceRejectedException.class)
                .hasMessageContaining("past the queue's 100 ms bound")
                .satisfies(e -> assertThat(((InferenceRejectedException) e).reason()).isEqualTo(InferenceRejectedException.Reason.TIMEOUT));
        assertThat(batchSizes).as("no forward pass ran for it").isEmpty();
        assertThat(batcher.submit(List.of(image(2))).get(5, TimeUnit.SECONDS).get(0).probabilities()[0]).isEqualTo(2f);
        assertThat(batcher.queueDepth()).isZero();
    }

    @Test
    void withoutPassTimesOnlyTheImageCountBounds() throws Exception {
        gated.set(true);
        batcher = new Batcher(echo, new Batcher.Settings(1, Duration.ZERO, 3, Duration.ofSeconds(10), Duration.ofNanos(1), null));
        batcher.submit(List.of(image(0)));
        while (batchSizes.isEmpty()) {
            Thread.sleep(1);
        }
        for (int i = 1; i <= 3; i++) {
            assertThat(batcher.submit(List.of(image(i)))).isNotCompletedExceptionally();
        }
        assertThat(batcher.estimatedWaitNanos(1)).isZero();
        assertThat(batcher.hasRoom()).isFalse();
    }

    @Test
    void settingsAreValidated() {
        assertThatThrownBy(() -> new Batcher.Settings(0, Duration.ZERO, 1, Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Batcher.Settings(1, Duration.ZERO, 1, Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
