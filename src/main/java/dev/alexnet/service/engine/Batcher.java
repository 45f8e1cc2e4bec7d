package dev.alexnet.service.engine;

import dev.alexnet.service.model.AlexNetArchitecture;
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
 * The queue is bounded in images, and in time: by {@code maxQueueWait} of work, estimated as the
 * passes it needs (at the warm-up's {@link PassTimes}) times the slowdown observed while serving
 * (the wall time between the ends of consecutive passes while work was waiting, against the
 * warm-up's time for such a pass; so that decoding and any contention for the CPU count too). A
 * request that does not fit is refused at once
 * ({@link InferenceRejectedException.Reason#QUEUE_FULL}), never blocked; every accepted request
 * completes exactly once: with results, with a deadline error, or with the pass's failure, which
 * fails only that batch. Plain Java, no HTTP.
 */
public final class Batcher implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Batcher.class);
    private static final int IMAGE_FLOATS = AlexNetArchitecture.INPUT_FLOATS;

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

    private record Item(float[] tensor, long reservedNanos, long enqueuedNanos, long deadlineNanos, CompletableFuture<ImageOutput> result) {
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
    /**
     * Observed wall time of passes while work was waiting, against {@link PassTimes} for the same
     * sizes: the last pass's ratio, or recent passes' if higher, so that a slowdown counts at once
     * and a recovery only as it lasts.
     */
    private volatile double slowdown = 1;
    private double busyNanos;
    private double expectedNanos;
    /** Each pass's weight in {@link #slowdown} against the passes before it. */
    private static final double DECAY = 0.8;
    /** When the last pass ended, if work was waiting then (so the next pass follows without idling); else 0. */
    private long busySinceNanos;
    /** Images in the forward pass under way, and when it started. */
    private volatile int running;
    private volatile long runningSinceNanos;
    private final Object admission = new Object();
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
        private final long reservedNanos = System.nanoTime();
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
        // One admission at a time: concurrent requests must not all pass the time bound on the same estimate.
        synchronized (admission) {
            if (overTimeBound(images)) {
                rejectedQueueFull.incrementAndGet();
                throw new InferenceRejectedException(InferenceRejectedException.Reason.QUEUE_FULL, String.format(java.util.Locale.ROOT,
                        "the inference queue holds %.1f s of work (limit %.1f s); retry shortly",
                        estimatedWaitNanos(0) / 1e9, settings.maxQueueWait().toNanos() / 1e9));
            }
            if (images > settings.queueCapacity() || !room.tryAcquire(images)) {
                rejectedQueueFull.incrementAndGet();
                throw new InferenceRejectedException(InferenceRejectedException.Reason.QUEUE_FULL,
                        "the inference queue is full (" + settings.queueCapacity() + " images); retry shortly");
            }
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

    /**
     * Whether {@code images} more would take the queue past its time bound. An empty queue always
     * takes a request, however slow the engine has become.
     */
    private boolean overTimeBound(int images) {
        return timeBounded() && queueDepth() > 0 && estimatedWaitNanos(images) > settings.maxQueueWait().toNanos();
    }

    private boolean timeBounded() {
        return settings.passTimes() != null && !settings.maxQueueWait().isZero();
    }

    /**
     * How long {@code more} images would take to be answered behind the queued ones and the pass
     * under way, at the recent speed; 0 without pass times.
     */
    public long estimatedWaitNanos(int more) {
        PassTimes times = settings.passTimes();
        if (times == null) {
            return 0;
        }
        int underWay = running;
        double factor = slowdown;
        long passes = times.drainNanos(queueDepth() + more, settings.maxBatchSize());
        if (underWay > 0) {
            // A pass already running slower than expected raises the estimate before it ends.
            long since = runningSinceNanos;
            factor = Math.max(factor, (double) (System.nanoTime() - since) / Math.max(1, times.nanos(underWay)));
            passes += times.nanos(underWay);
        }
        return (long) (factor * passes);
    }

    /** Whether a request for one image would be taken now: accepting, with room in images and in time. */
    public boolean hasRoom() {
        return accepting && queueDepth() < settings.queueCapacity() && !overTimeBound(1);
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
            Item item = new Item(t, reservation.reservedNanos, now, deadline, new CompletableFuture<>());
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
                runningSinceNanos = System.nanoTime();
                running = batch.size();
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
                running = 0; // also when run() returned before its pass: every image of the batch had expired
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
            } else if (timeBounded() && now - item.reservedNanos() > settings.maxQueueWait().toNanos()) {
                item.result().completeExceptionally(new InferenceRejectedException(InferenceRejectedException.Reason.TIMEOUT,
                        "the request waited " + (now - item.reservedNanos()) / 1_000_000 + " ms for its forward pass, past the queue's "
                                + settings.maxQueueWait().toMillis() + " ms bound (the server slowed down after taking it); retry shortly"));
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
            busySinceNanos = 0;
            log.error("Forward pass over a batch of {} failed; failing those {} images only", n, n, e);
            for (Item item : live) {
                item.result().completeExceptionally(e);
            }
            return;
        } finally {
            // Before completing the futures (their callers' work may run on this thread): the pass is over.
            running = 0;
        }
        long end = System.nanoTime();
        long inferenceNanos = end - start;
        if (busySinceNanos != 0 && settings.passTimes() != null) {
            double expected = Math.max(1, settings.passTimes().nanos(n));
            busyNanos = DECAY * busyNanos + (end - busySinceNanos);
            expectedNanos = DECAY * expectedNanos + expected;
            slowdown = Math.max(1, Math.max(busyNanos / expectedNanos, (end - busySinceNanos) / expected));
        }
        busySinceNanos = queueDepth() > 0 ? end : 0;
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
