package dev.alexnet.service.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The inference thread's two queues: served work first, background work only when none is queued. */
class InferenceThreadTest {

    private final InferenceThread thread = new InferenceThread();
    private final List<String> order = new CopyOnWriteArrayList<>();

    @AfterEach
    void tearDown() throws InterruptedException {
        thread.shutdownNow();
        assertThat(thread.awaitTermination(5, TimeUnit.SECONDS)).isTrue();
    }

    /** Holds the thread until the returned latch is counted down. */
    private CountDownLatch occupy() throws InterruptedException {
        CountDownLatch running = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        thread.execute(() -> {
            running.countDown();
            try {
                release.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        assertThat(running.await(5, TimeUnit.SECONDS)).isTrue();
        return release;
    }

    @Test
    void servedWorkOvertakesBackgroundWorkQueuedBeforeIt() throws Exception {
        CountDownLatch release = occupy();
        CompletableFuture<String> warmUpOne = thread.background(() -> log("warm-up 1"));
        CompletableFuture<String> warmUpTwo = thread.background(() -> log("warm-up 2"));
        CompletableFuture<String> served = CompletableFuture.supplyAsync(() -> log("served"), thread);
        release.countDown();
        CompletableFuture.allOf(warmUpOne, warmUpTwo, served).get(5, TimeUnit.SECONDS);
        assertThat(order).containsExactly("served", "warm-up 1", "warm-up 2");
        assertThat(warmUpTwo.get()).isEqualTo("warm-up 2");
    }

    @Test
    void servedWorkArrivingDuringABackgroundRunWaitsForThatOneOnly() throws Exception {
        CountDownLatch backgroundRunning = new CountDownLatch(1);
        CountDownLatch releaseBackground = new CountDownLatch(1);
        CompletableFuture<String> first = thread.background(() -> {
            backgroundRunning.countDown();
            try {
                releaseBackground.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return log("warm-up 1");
        });
        assertThat(backgroundRunning.await(5, TimeUnit.SECONDS)).isTrue();
        CompletableFuture<String> second = thread.background(() -> log("warm-up 2"));
        CompletableFuture<String> served = CompletableFuture.supplyAsync(() -> log("served"), thread);
        releaseBackground.countDown();
        CompletableFuture.allOf(first, second, served).get(5, TimeUnit.SECONDS);
        assertThat(order).containsExactly("warm-up 1", "served", "warm-up 2");
    }

    @Test
    void aBackgroundFailureFailsItsFutureAndTheThreadGoesOn() throws Exception {
        CompletableFuture<String> failed = thread.background(() -> {
            throw new IllegalStateException("broken warm-up");
        });
        assertThatThrownBy(() -> failed.get(5, TimeUnit.SECONDS)).hasCauseInstanceOf(IllegalStateException.class)
                .hasMessageContaining("broken warm-up");
        assertThat(thread.submit(() -> "still serving").get(5, TimeUnit.SECONDS)).isEqualTo("still serving");
    }

    @Test
    void shutdownRunsWhatIsQueuedAndTakesNothingNew() throws Exception {
        CountDownLatch release = occupy();
        CompletableFuture<String> queued = thread.background(() -> log("queued"));
        thread.shutdown();
        assertThat(thread.isShutdown()).isTrue();
        assertThatThrownBy(() -> thread.execute(() -> log("late"))).isInstanceOf(RejectedExecutionException.class);
        assertThatThrownBy(() -> thread.background(() -> log("late"))).isInstanceOf(RejectedExecutionException.class);
        assertThat(thread.awaitTermination(50, TimeUnit.MILLISECONDS)).as("the occupying task still runs").isFalse();
        release.countDown();
        assertThat(queued.get(5, TimeUnit.SECONDS)).isEqualTo("queued");
        assertThat(thread.awaitTermination(5, TimeUnit.SECONDS)).isTrue();
        assertThat(thread.isTerminated()).isTrue();
        assertThat(order).containsExactly("queued");
    }

    @Test
    void shutdownNowHandsBackWhatHadNotStarted() throws Exception {
        occupy();
        thread.execute(() -> log("served"));
        thread.background(() -> log("warm-up"));
        List<Runnable> dropped = thread.shutdownNow();
        assertThat(dropped).hasSize(2);
        assertThat(thread.awaitTermination(5, TimeUnit.SECONDS)).isTrue();
        assertThat(order).isEmpty();
    }

    private String log(String what) {
        order.add(what);
        return what;
    }
}
