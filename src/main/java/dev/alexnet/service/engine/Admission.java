package dev.alexnet.service.engine;

import java.util.Locale;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Who gets into the queue, and the time estimate that decides it: room in images (a semaphore of
 * {@code queueCapacity} permits, taken at reservation and given back when the image's batch
 * forms) and in time ({@code maxQueueWait} of work, estimated as the passes the queue needs at the
 * warm-up's {@link PassTimes} times the slowdown observed while serving). A request that does not
 * fit is refused at once, never blocked. The pass loop reports each pass here
 * ({@link #passStarted}, {@link #passEnded}) so that the estimate follows the machine's real speed.
 */
final class Admission {

    /** Each pass's weight in {@link #slowdown} against the passes before it. */
    private static final double DECAY = 0.8;

    private final Batcher.Settings settings;
    private final Semaphore room;
    /** Images reserved by requests still decoding them: the pass loop waits for company only while there are some. */
    private final AtomicInteger pending = new AtomicInteger();
    private volatile Runnable nothingExpected = () -> { };
    private final AtomicLong rejectedQueueFull = new AtomicLong();
    private final Object lock = new Object();
    private volatile boolean accepting = true;
    /**
     * Observed wall time of passes while work was waiting, against {@link PassTimes} for the same
     * sizes: the last pass's ratio, or recent passes' if higher, so that a slowdown counts at once
     * and a recovery only as it lasts. Written by the pass loop's thread only.
     */
    private volatile double slowdown = 1;
    private double busyNanos;
    private double expectedNanos;
    /** When the last pass ended, if work was waiting then (so the next pass follows without idling); else 0. */
    private long busySinceNanos;
    /**
     * Images in the forward pass under way; when its batch formed; when the pass itself began on
     * the inference thread (0 while it waits there behind other work, a version's warm-up pass).
     */
    private volatile int running;
    private volatile long formedNanos;
    private volatile long runningSinceNanos;
    /** How long the pass under way waited for the inference thread: a one-off, never a slowdown. */
    private volatile long waitedForThreadNanos;

    Admission(Batcher.Settings settings) {
        this.settings = settings;
        this.room = new Semaphore(settings.queueCapacity());
    }

    /**
     * Reserves queue room for {@code images} images, or throws {@link InferenceRejectedException}
     * at once ({@code QUEUE_FULL}, {@code SHUTTING_DOWN}) when there is none.
     */
    Batcher.Reservation reserve(int images) {
        if (!accepting) {
            throw new InferenceRejectedException(InferenceRejectedException.Reason.SHUTTING_DOWN, "the service is shutting down");
        }
        // One admission at a time: concurrent requests must not all pass the time bound on the same estimate.
        synchronized (lock) {
            if (overTimeBound(images)) {
                rejectedQueueFull.incrementAndGet();
                throw new InferenceRejectedException(InferenceRejectedException.Reason.QUEUE_FULL, String.format(Locale.ROOT,
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
        return new Batcher.Reservation(this, images);
    }

    /** A reservation is submitted or released: its images are no longer on their way. */
    void arrived(int images) {
        if (pending.addAndGet(-images) == 0) {
            nothingExpected.run();
        }
    }

    /** {@code wake} runs whenever the last image on its way arrives or is given up (see {@link BatchLoop}). */
    void onNothingExpected(Runnable wake) {
        nothingExpected = wake;
    }

    /** A reservation released unused: its room is free again. */
    void cancelled(int images) {
        room.release(images);
    }

    /** Whether images reserved are still being decoded, so that waiting for them fills the batch. */
    boolean expecting() {
        return pending.get() > 0;
    }

    /**
     * Whether {@code images} more would take the queue past its time bound. An empty queue always
     * takes a request, however slow the engine has become.
     */
    private boolean overTimeBound(int images) {
        return timeBounded() && queueDepth() > 0 && estimatedWaitNanos(images) > settings.maxQueueWait().toNanos();
    }

    boolean timeBounded() {
        return settings.passTimes() != null && !settings.maxQueueWait().isZero();
    }

    /**
     * The queue's time bound as one instant per reservation: the latest {@link System#nanoTime()}
     * at which work reserved at {@code reservedNanos} may still start, be it its decoding
     * ({@link Batcher.Reservation#decodeStartByNanos()}) or its forward pass ({@link BatchLoop}).
     * Past it, the work is refused with {@link #timeBoundRefusal}: a pass loop that slowed after taking
     * it cannot answer it within the bound any more. {@link Long#MAX_VALUE} without a time bound.
     */
    long startByNanos(long reservedNanos) {
        return timeBounded() ? reservedNanos + settings.maxQueueWait().toNanos() : Long.MAX_VALUE;
    }

    /** Whether work reserved at {@code reservedNanos} is past {@link #startByNanos} at {@code now} (safe across nanoTime's wrap). */
    boolean pastTimeBound(long reservedNanos, long now) {
        return timeBounded() && now - reservedNanos > settings.maxQueueWait().toNanos();
    }

    /** The TIMEOUT refusal for work reserved at {@code reservedNanos} that waited past the bound {@code forWhat} (to be decoded, for its forward pass). */
    InferenceRejectedException timeBoundRefusal(long reservedNanos, long now, String forWhat) {
        return new InferenceRejectedException(InferenceRejectedException.Reason.TIMEOUT,
                "the request waited " + (now - reservedNanos) / 1_000_000 + " ms " + forWhat + ", past the queue's "
                        + settings.maxQueueWait().toMillis() + " ms bound (the server slowed down after taking it); retry shortly");
    }

    /**
     * How long {@code more} images would take to be answered behind the queued ones and the pass
     * under way, at the recent speed; 0 without pass times.
     */
    long estimatedWaitNanos(int more) {
        PassTimes times = settings.passTimes();
        if (times == null) {
            return 0;
        }
        int underWay = running;
        double factor = slowdown;
        long passes = times.drainNanos(queueDepth() + more, settings.maxBatchSize());
        if (underWay > 0) {
            // A pass already running slower than expected raises the estimate before it ends; one still
            // waiting for the thread (behind a single warm-up pass, see InferenceThread) does not.
            long since = runningSinceNanos;
            if (since != 0) {
                factor = Math.max(factor, (double) (System.nanoTime() - since) / Math.max(1, times.nanos(underWay)));
            }
            passes += times.nanos(underWay);
        }
        return (long) (factor * passes);
    }

    /** Whether a request for one image would be taken now: accepting, with room in images and in time. */
    boolean hasRoom() {
        return accepting && queueDepth() < settings.queueCapacity() && !overTimeBound(1);
    }

    /** Images waiting for a forward pass, including those reserved and still being decoded. */
    int queueDepth() {
        return settings.queueCapacity() - room.availablePermits();
    }

    /** A batch of {@code images} formed: they leave the queue (their room is free) and their pass starts. */
    void passStarted(int images) {
        formedNanos = System.nanoTime();
        runningSinceNanos = 0;
        waitedForThreadNanos = 0;
        running = images;
        room.release(images);
    }

    /** The pass under way begins on the inference thread (called there). */
    void passExecuting() {
        long now = System.nanoTime();
        waitedForThreadNanos = now - formedNanos;
        runningSinceNanos = now;
    }

    /** The pass under way ended without results (it failed, or every image had expired). */
    void passAbandoned(boolean failed) {
        running = 0;
        runningSinceNanos = 0;
        if (failed) {
            busySinceNanos = 0;
        }
    }

    /**
     * A pass over {@code images} ended at {@code endNanos}: the slowdown learns from it if work was
     * waiting before it, from when its first image was queued ({@code readyNanos}) or the last pass
     * ended, whichever is later, leaving out the pass's wait for the thread. The loop's waits for
     * images still being decoded are not slow passes: counted as such, a cold service's first
     * decodes (interpreted code, 16 clients at once) read as passes many times slow, and
     * {@code RepositoryIT} got 46 "queue full" refusals 0.4 s into its load in CI.
     */
    void passEnded(int images, long endNanos, long readyNanos) {
        running = 0;
        runningSinceNanos = 0;
        if (busySinceNanos != 0 && settings.passTimes() != null) {
            double expected = Math.max(1, settings.passTimes().nanos(images));
            double busy = Math.max(0, endNanos - Math.max(busySinceNanos, readyNanos) - waitedForThreadNanos);
            busyNanos = DECAY * busyNanos + busy;
            expectedNanos = DECAY * expectedNanos + expected;
            slowdown = Math.max(1, Math.max(busyNanos / expectedNanos, busy / expected));
        }
        busySinceNanos = queueDepth() > 0 ? endNanos : 0;
    }

    void stopAccepting() {
        accepting = false;
    }

    boolean isAccepting() {
        return accepting;
    }

    void countQueueFullRefusal() {
        rejectedQueueFull.incrementAndGet();
    }

    long rejectedQueueFull() {
        return rejectedQueueFull.get();
    }
}
