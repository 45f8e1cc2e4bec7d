package dev.alexnet.service.engine;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

import dev.alexnet.service.model.ForwardResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Dynamic batching in front of the engine: the images of concurrent requests are gathered into
 * one forward pass of up to {@code maxBatchSize} images, or until {@code maxDelay} has passed
 * since the first waiting image. It waits only while more images are on their way (reserved by
 * requests that are still decoding), so a lone request runs at once. While a pass runs, new
 * images wait and form the next batch.
 * <p>
 * The queue is bounded in images. A request whose images do not all fit is refused at once
 * ({@link InferenceRejectedException.Reason#QUEUE_FULL}), never blocked; every accepted request
 * completes exactly once: with results, with a deadline error, or with the pass's failure, which
 * fails only that batch. Plain Java, no HTTP.
 */
public final class Batcher implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Batcher.class);
    private static final int IMAGE_FLOATS = 3 * 227 * 227;

    /**
     * @param maxBatchSize  images per forward pass; 1 turns batching off
     * @param maxDelay      how long the first waiting image may wait for company
     * @param queueCapacity images that may wait at once
     * @param timeout       a request's deadline, from submission
     */
    public record Settings(int maxBatchSize, Duration maxDelay, int queueCapacity, Duration timeout) {
        public Settings {
            if (maxBatchSize < 1 || queueCapacity < 1) {
                throw new IllegalArgumentException("max batch size and queue capacity must be at least 1");
            }
            if (maxDelay.isNegative() || timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("delays must not be negative, and the timeout must be positive");
            }
        }
    }

    /**
     * One image's outputs and where its time went.
     *
     * @param batchSize the size of the forward pass it rode in
     */
    public record ImageOutput(float[] probabilities, float[] features, long queueNanos, long inferenceNanos, int batchSize) {
    }

    private record Item(float[] tensor, long enqueuedNanos, long deadlineNanos, CompletableFuture<ImageOutput> result) {
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

    private final ForwardPass engine;
    private final Settings settings;
    private final LinkedBlockingQueue<Item> queue = new LinkedBlockingQueue<>();
    private final Semaphore room;
    private final Thread thread;
    private final AtomicLongArray batchSizes;
    private final AtomicLong batches = new AtomicLong();
    private final AtomicLong rejectedQueueFull = new AtomicLong();
    private final AtomicLong failedBatches = new AtomicLong();
    private final java.util.concurrent.atomic.AtomicInteger pending = new java.util.concurrent.atomic.AtomicInteger();
    private volatile boolean accepting = true;
    private volatile boolean stopped;
    private final Listener listener;

    public Batcher(ForwardPass engine, Settings settings) {
        this(engine, settings, new Listener() { });
    }

    public Batcher(ForwardPass engine, Settings settings, Listener listener) {
        this.engine = engine;
        this.settings = settings;
        this.listener = listener;
        this.room = new Semaphore(settings.queueCapacity());
        this.batchSizes = new AtomicLongArray(settings.maxBatchSize() + 1);
        this.thread = new Thread(this::loop, "alexnet-batcher");
        this.thread.setDaemon(true);
        this.thread.start();
    }

    public Settings settings() {
        return settings;
    }

    /**
     * Room for a request's images, held from before they are decoded until they are queued, so
     * that an overloaded server refuses work before spending CPU on it. Close it to give the room
     * back if the images are never submitted.
     */
    public final class Reservation implements AutoCloseable {
        private final int images;
        private boolean held = true;

        private Reservation(int images) {
            this.images = images;
        }

        public int images() {
            return images;
        }

        private synchronized boolean take() {
            boolean was = held;
            held = false;
            if (was) {
                pending.addAndGet(-images);
            }
            return was;
        }

        @Override
        public void close() {
            if (take()) {
                room.release(images);
            }
        }
    }

    /**
     * Reserves queue room for {@code images} images, or throws {@link InferenceRejectedException}
     * at once ({@code QUEUE_FULL}, {@code SHUTTING_DOWN}) when there is none.
     */
    public Reservation reserve(int images) {
        if (!accepting) {
            throw new InferenceRejectedException(InferenceRejectedException.Reason.SHUTTING_DOWN, "the service is shutting down");
        }
        if (images > settings.queueCapacity() || !room.tryAcquire(images)) {
            rejectedQueueFull.incrementAndGet();
            throw new InferenceRejectedException(InferenceRejectedException.Reason.QUEUE_FULL,
                    "the inference queue is full (" + settings.queueCapacity() + " images); retry shortly");
        }
        pending.addAndGet(images);
        return new Reservation(images);
    }

    /**
     * Queues a request's images, each a [3, 227, 227] tensor. The future completes with one output
     * per image, in order, or exceptionally with {@link InferenceRejectedException} or the
     * forward pass's failure.
     */
    public CompletableFuture<List<ImageOutput>> submit(List<float[]> tensors) {
        if (tensors.isEmpty()) {
            return CompletableFuture.completedFuture(List.of());
        }
        Reservation reservation;
        try {
            reservation = reserve(tensors.size());
        } catch (InferenceRejectedException e) {
            return CompletableFuture.failedFuture(e);
        }
        return submit(reservation, tensors);
    }

    /** Queues images whose room was reserved; the reservation is consumed. */
    public CompletableFuture<List<ImageOutput>> submit(Reservation reservation, List<float[]> tensors) {
        if (tensors.size() != reservation.images()) {
            reservation.close();
            throw new IllegalArgumentException("reserved " + reservation.images() + " images, submitted " + tensors.size());
        }
        for (float[] t : tensors) {
            if (t.length != IMAGE_FLOATS) {
                reservation.close();
                throw new IllegalArgumentException("an image tensor has " + t.length + " values, expected 3 x 227 x 227");
            }
        }
        if (!reservation.take()) {
            throw new IllegalStateException("this reservation was already used or released");
        }
        long now = System.nanoTime();
        long deadline = now + settings.timeout().toNanos();
        List<CompletableFuture<ImageOutput>> futures = new ArrayList<>(tensors.size());
        for (float[] t : tensors) {
            Item item = new Item(t, now, deadline, new CompletableFuture<>());
            futures.add(item.result());
            queue.add(item);
        }
        CompletableFuture<List<ImageOutput>> all = CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new))
                .thenApply(v -> futures.stream().map(CompletableFuture::join).toList());
        return all.orTimeout(settings.timeout().toNanos() + TimeUnit.SECONDS.toNanos(1), TimeUnit.NANOSECONDS)
                .exceptionallyCompose(e -> CompletableFuture.failedFuture(unwrapTimeout(e)));
    }

    private Throwable unwrapTimeout(Throwable e) {
        Throwable cause = e instanceof java.util.concurrent.CompletionException && e.getCause() != null ? e.getCause() : e;
        if (cause instanceof java.util.concurrent.TimeoutException) {
            return new InferenceRejectedException(InferenceRejectedException.Reason.TIMEOUT,
                    "the request was not classified within " + settings.timeout().toMillis() + " ms");
        }
        return cause;
    }

    private void loop() {
        List<Item> batch = new ArrayList<>(settings.maxBatchSize());
        while (!stopped || !queue.isEmpty()) {
            try {
                Item first = queue.poll(100, TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                batch.add(first);
                long gatherUntil = first.enqueuedNanos() + settings.maxDelay().toNanos();
                while (batch.size() < settings.maxBatchSize()) {
                    long wait = gatherUntil - System.nanoTime();
                    // Wait for company only when some is on its way: images reserved and still being decoded.
                    boolean expecting = pending.get() > 0;
                    Item next = wait > 0 && expecting ? queue.poll(Math.min(wait, 500_000), TimeUnit.NANOSECONDS) : queue.poll();
                    if (next == null && expecting && System.nanoTime() < gatherUntil) {
                        continue;
                    }
                    if (next == null) {
                        break;
                    }
                    batch.add(next);
                }
                room.release(batch.size());
                run(batch);
            } catch (InterruptedException e) {
                if (stopped) {
                    break;
                }
            } catch (RuntimeException | Error e) {
                log.error("Batching loop error; failing the current batch", e);
                for (Item item : batch) {
                    item.result().completeExceptionally(e);
                }
            } finally {
                batch.clear();
            }
        }
    }

    private void run(List<Item> batch) {
        long now = System.nanoTime();
        List<Item> live = new ArrayList<>(batch.size());
        for (Item item : batch) {
            if (item.result().isDone()) {
                continue;
            }
            if (now > item.deadlineNanos()) {
                item.result().completeExceptionally(new InferenceRejectedException(InferenceRejectedException.Reason.TIMEOUT,
                        "the request waited longer than its " + settings.timeout().toMillis() + " ms deadline"));
            } else {
                live.add(item);
            }
        }
        if (live.isEmpty()) {
            return;
        }
        int n = live.size();
        float[] input = ForwardPass.stack(live.stream().map(Item::tensor).toList());
        long start = System.nanoTime();
        ForwardResult result;
        try {
            result = engine.infer(input, n);
        } catch (RuntimeException e) {
            failedBatches.incrementAndGet();
            log.error("Forward pass over a batch of {} failed; failing those {} images only", n, n, e);
            for (Item item : live) {
                item.result().completeExceptionally(e);
            }
            return;
        }
        long inferenceNanos = System.nanoTime() - start;
        batches.incrementAndGet();
        batchSizes.incrementAndGet(n);
        listener.batch(n, inferenceNanos);
        for (Item item : live) {
            listener.queueWait(start - item.enqueuedNanos());
        }
        for (int i = 0; i < n; i++) {
            Item item = live.get(i);
            item.result().complete(new ImageOutput(result.probabilities(i), result.features(i),
                    start - item.enqueuedNanos(), inferenceNanos, n));
        }
    }

    /** Stops taking new work; what is queued still runs. Readiness should already be down. */
    public void stopAccepting() {
        accepting = false;
    }

    public boolean isAccepting() {
        return accepting;
    }

    /** Images waiting for a forward pass, including those reserved and still being decoded. */
    public int queueDepth() {
        return settings.queueCapacity() - room.availablePermits();
    }

    /** Forward passes run. */
    public long batches() {
        return batches.get();
    }

    /** The largest batch formed so far. */
    public int largestBatch() {
        for (int s = batchSizes.length() - 1; s > 0; s--) {
            if (batchSizes.get(s) > 0) {
                return s;
            }
        }
        return 0;
    }

    /** Counts a queue-full refusal made on the batcher's behalf before a reservation was attempted. */
    public void countQueueFullRefusal() {
        rejectedQueueFull.incrementAndGet();
    }

    public long rejectedQueueFull() {
        return rejectedQueueFull.get();
    }

    public long failedBatches() {
        return failedBatches.get();
    }

    /** Refuses new work, finishes what is queued (bounded by the timeout), and stops the thread. */
    @Override
    public void close() {
        accepting = false;
        stopped = true;
        try {
            thread.join(settings.timeout().toMillis() + 5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (thread.isAlive()) {
            thread.interrupt();
        }
        Item left;
        while ((left = queue.poll()) != null) {
            left.result().completeExceptionally(new InferenceRejectedException(
                    InferenceRejectedException.Reason.SHUTTING_DOWN, "the service stopped before this image ran"));
        }
    }
}
