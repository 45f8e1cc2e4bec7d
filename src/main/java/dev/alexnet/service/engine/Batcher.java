package dev.alexnet.service.engine;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.IntFunction;
import java.util.function.IntUnaryOperator;

import dev.alexnet.service.model.AlexNetArchitecture;
import dev.alexnet.service.model.runtime.CompilerThreads;

/**
 * Dynamic batching in front of the engine: the images of concurrent requests are gathered into
 * one forward pass of up to {@code maxBatchSize} images, or until {@code maxDelay} has passed
 * since the first waiting image. It waits only while more images are on their way (reserved by
 * requests that are still decoding), so a lone request runs at once. While a pass runs, new
 * images wait and form the next batch.
 * <p>
 * The queue is bounded in images, and in time: by {@code maxQueueWait} of work, estimated as the
 * passes it needs (at the warm-up's {@link PassTimes}) times the slowdown observed while serving
 * (the wall time between the ends of consecutive passes while work was waiting, against the
 * warm-up's time for such a pass; so that decoding and any contention for the CPU count too). A
 * request that does not fit is refused at once
 * ({@link InferenceRejectedException.Reason#QUEUE_FULL}), never blocked; every accepted request
 * completes exactly once: with results, with a deadline error, or with the pass's failure, which
 * fails only that batch. Plain Java, no HTTP.
 * <p>
 * Its jobs live apart, as DJL Serving's work-load manager keeps admission, batch aggregation and
 * the worker apart: {@link Admission} decides who gets in (room in images and time, and the time
 * estimate), {@link BatchLoop} gathers batches and runs the passes on its own thread; this class
 * is what callers see.
 */
public final class Batcher implements AutoCloseable {

    /**
     * @param maxBatchSize  images per forward pass; 1 turns batching off
     * @param maxDelay      how long the first waiting image may wait for company
     * @param queueCapacity images that may wait at once
     * @param timeout       a request's deadline, from submission
     * @param maxQueueWait  the most work the queue may hold, as time at the current speed; zero for no bound but
     *                      the image count
     * @param passTimes     pass times on an idle machine, the unit of that estimate; null for no time bound
     */
    public record Settings(int maxBatchSize, Duration maxDelay, int queueCapacity, Duration timeout, Duration maxQueueWait,
                           PassTimes passTimes) {
        public Settings {
            if (maxBatchSize < 1 || queueCapacity < 1) {
                throw new IllegalArgumentException("max batch size and queue capacity must be at least 1");
            }
            if (maxDelay.isNegative() || timeout.isNegative() || timeout.isZero() || maxQueueWait.isNegative()) {
                throw new IllegalArgumentException("delays must not be negative, and the timeout must be positive");
            }
        }

        /** Bounded by the image count only. */
        public Settings(int maxBatchSize, Duration maxDelay, int queueCapacity, Duration timeout) {
            this(maxBatchSize, maxDelay, queueCapacity, timeout, Duration.ZERO, null);
        }
    }

    /**
     * One image's outputs and where its time went.
     *
     * @param batchSize the size of the forward pass it rode in
     */
    public record ImageOutput(float[] probabilities, float[] features, long queueNanos, long inferenceNanos, int batchSize) {
    }

    /** Observes the batcher, e.g. to record metrics. Called on the batcher's and the callers' threads; must not block. */
    public interface Listener {
        /** A forward pass over {@code size} images took {@code inferenceNanos}. */
        default void batch(int size, long inferenceNanos) {
        }

        /** An image waited {@code nanos} between submission and the start of its forward pass. */
        default void queueWait(long nanos) {
        }
    }

    /** Room in the queue for a request's images, taken before they are decoded; submit it, or close it to give the room back. */
    public static final class Reservation implements AutoCloseable {
        private final Admission admission;
        private final int images;
        private final long reservedNanos = System.nanoTime();
        private boolean held = true;

        Reservation(Admission admission, int images) {
            this.admission = admission;
            this.images = images;
        }

        public int images() {
            return images;
        }

        /**
         * The latest {@link System#nanoTime()} at which decoding this reservation's images is still
         * worth starting: past it the pass loop drops them as {@code TIMEOUT} whatever happens (the
         * same bound, {@link Admission#startByNanos}), so their decoding would be CPU taken from
         * requests that can still be answered. {@link Long#MAX_VALUE} without a time bound.
         */
        public long decodeStartByNanos() {
            return admission.startByNanos(reservedNanos);
        }

        /** The refusal for images whose decoding could not start by {@link #decodeStartByNanos()}. */
        public InferenceRejectedException tooLateToDecode() {
            return admission.timeBoundRefusal(reservedNanos, System.nanoTime(), "to be decoded");
        }

        /** Marks the reservation used; its images count as on their way until {@link #arrived()}. */
        private synchronized boolean take() {
            boolean was = held;
            held = false;
            return was;
        }

        /** The reservation's images are in the loop's queue: the loop need not wait for them any more. */
        private void arrived() {
            admission.arrived(images);
        }

        @Override
        public void close() {
            if (take()) {
                admission.arrived(images);
                admission.cancelled(images);
            }
        }
    }

    private final Settings settings;
    private final Admission admission;
    private final BatchLoop loop;
    private final ForwardPass engine;

    public Batcher(ForwardPass engine, Settings settings) {
        this(engine, settings, new Listener() { });
    }

    public Batcher(ForwardPass engine, Settings settings, Listener listener) {
        this(engine, settings, listener, false);
    }

    /**
     * @param steerOpenMp choose before each pass how OpenMP's idle workers wait (a service's one
     *                    batcher; see {@link TeamThrottle}): the waits are process-wide; and move the
     *                    JIT's C2 threads out of the passes' way ({@link CompilerThreads})
     */
    public Batcher(ForwardPass engine, Settings settings, Listener listener, boolean steerOpenMp) {
        this.settings = settings;
        this.engine = engine;
        this.admission = new Admission(settings);
        this.loop = new BatchLoop(settings, admission, listener, steerOpenMp ? TeamThrottle.onThisProcess() : null);
        if (steerOpenMp) {
            CompilerThreads.yieldC2ToPasses();
        }
    }

    public Settings settings() {
        return settings;
    }

    /**
     * Reserves queue room for {@code images} images, or throws {@link InferenceRejectedException}
     * at once ({@code QUEUE_FULL}, {@code SHUTTING_DOWN}) when there is none.
     */
    public Reservation reserve(int images) {
        return admission.reserve(images);
    }

    /**
     * Queues a request's images, each a [3, 227, 227] tensor. The future completes with one output
     * per image, in order, or exceptionally with {@link InferenceRejectedException} or the
     * forward pass's failure.
     */
    public CompletableFuture<List<ImageOutput>> submit(List<float[]> tensors) {
        return submit(engine, tensors);
    }

    /** {@link #submit(List)} for another network than the default one (a model version of the repository). */
    public CompletableFuture<List<ImageOutput>> submit(ForwardPass target, List<float[]> tensors) {
        if (tensors.isEmpty()) {
            return CompletableFuture.completedFuture(List.of());
        }
        Reservation reservation;
        try {
            reservation = reserve(tensors.size());
        } catch (InferenceRejectedException e) {
            return CompletableFuture.failedFuture(e);
        }
        return submit(target, reservation, tensors);
    }

    /** Queues images whose room was reserved; the reservation is consumed. */
    public CompletableFuture<List<ImageOutput>> submit(Reservation reservation, List<float[]> tensors) {
        return submit(engine, reservation, tensors);
    }

    /** {@link #submit(Reservation, List)} for another network than the default one. */
    public CompletableFuture<List<ImageOutput>> submit(ForwardPass target, Reservation reservation, List<float[]> tensors) {
        for (float[] t : tensors) {
            if (t.length != AlexNetArchitecture.INPUT_FLOATS) {
                reservation.close();
                throw new IllegalArgumentException("an image tensor has " + t.length + " values, expected 3 x 227 x 227");
            }
        }
        return enqueue(target, reservation, tensors.size(), tensors::get, i -> 0);
    }

    /**
     * Queues {@code n} images laid one after another in {@code batch} (a v2 request's tensor),
     * without copying them apart: each image's pass reads its slice.
     */
    public CompletableFuture<List<ImageOutput>> submitBatch(float[] batch, int n) {
        return submitBatch(engine, batch, n);
    }

    /** {@link #submitBatch(float[], int)} for another network than the default one. */
    public CompletableFuture<List<ImageOutput>> submitBatch(ForwardPass target, float[] batch, int n) {
        if (n < 1 || batch.length != (long) n * AlexNetArchitecture.INPUT_FLOATS) {
            throw new IllegalArgumentException("a batch of " + n + " images needs " + (long) n * AlexNetArchitecture.INPUT_FLOATS
                    + " values, got " + batch.length);
        }
        Reservation reservation;
        try {
            reservation = reserve(n);
        } catch (InferenceRejectedException e) {
            return CompletableFuture.failedFuture(e);
        }
        return enqueue(target, reservation, n, i -> batch, i -> i * AlexNetArchitecture.INPUT_FLOATS);
    }

    /** Waits of the loop for an image on its way that ran out with none arriving. */
    long emptyWaits() {
        return loop.emptyWaits();
    }

    /** Images for {@code target} queued or in a pass: an unload waits for none to be left before it frees the network. */
    public int outstanding(ForwardPass target) {
        return loop.outstanding(target);
    }

    private CompletableFuture<List<ImageOutput>> enqueue(ForwardPass target, Reservation reservation, int n, IntFunction<float[]> data,
                                                         IntUnaryOperator offset) {
        if (n != reservation.images()) {
            reservation.close();
            throw new IllegalArgumentException("reserved " + reservation.images() + " images, submitted " + n);
        }
        if (!reservation.take()) {
            throw new IllegalStateException("this reservation was already used or released");
        }
        long now = System.nanoTime();
        long deadline = now + settings.timeout().toNanos();
        List<CompletableFuture<ImageOutput>> futures = new ArrayList<>(n);
        try {
            for (int i = 0; i < n; i++) {
                BatchLoop.Item item = new BatchLoop.Item(target, data.apply(i), offset.applyAsInt(i), reservation.reservedNanos, now,
                        deadline, new CompletableFuture<>());
                futures.add(item.result());
                loop.add(item);
            }
        } finally {
            // Only now: told before the images were queued, the loop saw none on their way and none queued, and formed
            // a batch without them (BatcherTest's decoding test failed 1 run in 4 on an Intel Xeon).
            reservation.arrived();
        }
        CompletableFuture<List<ImageOutput>> all = CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new))
                .thenApply(v -> futures.stream().map(CompletableFuture::join).toList());
        return all.orTimeout(settings.timeout().toNanos() + TimeUnit.SECONDS.toNanos(1), TimeUnit.NANOSECONDS)
                .exceptionallyCompose(e -> CompletableFuture.failedFuture(unwrapTimeout(e)));
    }

    private Throwable unwrapTimeout(Throwable e) {
        Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
        if (cause instanceof TimeoutException) {
            return new InferenceRejectedException(InferenceRejectedException.Reason.TIMEOUT,
                    "the request was not classified within " + settings.timeout().toMillis() + " ms");
        }
        return cause;
    }

    /**
     * How long {@code more} images would take to be answered behind the queued ones and the pass
     * under way, at the recent speed; 0 without pass times.
     */
    public long estimatedWaitNanos(int more) {
        return admission.estimatedWaitNanos(more);
    }

    /** Whether a request for one image would be taken now: accepting, with room in images and in time. */
    public boolean hasRoom() {
        return admission.hasRoom();
    }

    /** Stops taking new work; what is queued still runs. Readiness should already be down. */
    public void stopAccepting() {
        admission.stopAccepting();
    }

    public boolean isAccepting() {
        return admission.isAccepting();
    }

    /** Images waiting for a forward pass, including those reserved and still being decoded. */
    public int queueDepth() {
        return admission.queueDepth();
    }

    /** Forward passes run. */
    public long batches() {
        return loop.batches();
    }

    /** The largest batch formed so far. */
    public int largestBatch() {
        return loop.largestBatch();
    }

    /** Counts a queue-full refusal made on the batcher's behalf before a reservation was attempted. */
    public void countQueueFullRefusal() {
        admission.countQueueFullRefusal();
    }

    public long rejectedQueueFull() {
        return admission.rejectedQueueFull();
    }

    public long failedBatches() {
        return loop.failedBatches();
    }

    /** Refuses new work, finishes what is queued (bounded by the timeout), and stops the thread. */
    @Override
    public void close() {
        admission.stopAccepting();
        loop.close();
    }
}
