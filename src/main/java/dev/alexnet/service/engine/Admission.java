package dev.alexnet.service.engine;

import java.util.Locale;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Who gets into the queue, and the time estimate that decides it: room in images (a semaphore of
 * {@code queueCapacity} permits, taken at reservation and given back when the image's batch
 * forms) and in time ({@code maxQueueWait} of work). The wait is estimated for the two stages an
 * image goes through after it is taken, and the longer one counts, since they overlap: its
 * decoding, behind the images still being decoded, at the rate images have recently come out of
 * decoding while some were on their way ({@link #arrived}); and its pass, behind every image
 * reserved, at the warm-up's {@link PassTimes} times the slowdown of passes served while decoded
 * work waited for them. A request that does not fit is refused at once, never blocked. The pass
 * loop reports each pass here ({@link #passStarted}, {@link #passEnded}) so that the estimate
 * follows the machine's real speed.
 * <p>
 * The two are kept apart because one ratio for both misjudged photos. When decoding is the
 * bottleneck (5 MB phone photos, 40 ms or more each), passes run one or two images at a time and
 * most of the time between them is spent waiting for the next decode; counted as a slow pass (10
 * to 30 times the warm-up's batch-1 time) and multiplied into a batched pass's time, the estimate
 * jumped past the bound while the queue held a handful of images. On a Zen 5 EPYC at 16 phone-photo
 * clients that refused 646 of 936 requests, and at 64 clients 3,147 of 3,223 (5 images/s served),
 * each refusal costing a closed connection and a resent 5 MB body.
 */
final class Admission {

    /** Each pass's weight in {@link #slowdown} against the passes before it. */
    private static final double DECAY = 0.8;
    /**
     * Each decoded image's weight in the decoding pace: about the last 20 images, so that one stall
     * (a 300 ms collection while a model version loads) moves the pace by 15 ms rather than 60, and
     * 16 waiting small photos are not refused for it.
     */
    private static final double DECODE_DECAY = 0.95;

    private final Batcher.Settings settings;
    private final Semaphore room;
    /** Images reserved by requests still decoding them: the pass loop waits for company only while there are some. */
    private final AtomicInteger pending = new AtomicInteger();
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
    /** When the last pass ended, if decoded work was waiting then (so the next pass follows without idling); else 0. */
    private long busySinceNanos;
    /**
     * The decoding stage's recent pace: nanoseconds per image that came out of decoding (or was
     * released) while images were on their way, decayed by {@link #DECODE_DECAY} per arrival; 0 until learnt.
     */
    private volatile double decodeNanosPerImage;
    private double decodedImages;
    private double decodingNanos;
    /** Since when images have been on their way without a break (0 if none are), under {@link #lock}. */
    private long decodingSinceNanos;
    /** Images in the forward pass under way, and when it started. */
    private volatile int running;
    private volatile long runningSinceNanos;

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
            if (pending.getAndAdd(images) == 0) {
                decodingSinceNanos = System.nanoTime();
            }
        }
        return new Batcher.Reservation(this, images);
    }

    /** A reservation is submitted or released: its images are no longer on their way. */
    void arrived(int images) {
        synchronized (lock) {
            long now = System.nanoTime();
            if (decodingSinceNanos != 0) {
                decodedImages = DECODE_DECAY * decodedImages + images;
                decodingNanos = DECODE_DECAY * decodingNanos + (now - decodingSinceNanos);
                decodeNanosPerImage = decodingNanos / decodedImages;
            }
            decodingSinceNanos = pending.addAndGet(-images) > 0 ? now : 0;
        }
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
     * How long {@code more} images would take to be answered: the longer of their decoding behind
     * the images still on their way, at the decoding stage's recent pace, and their pass behind the
     * queued images and the pass under way, at the passes' recent speed; 0 without pass times.
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
            // A pass already running slower than expected raises the estimate before it ends.
            long since = runningSinceNanos;
            factor = Math.max(factor, (double) (System.nanoTime() - since) / Math.max(1, times.nanos(underWay)));
            passes += times.nanos(underWay);
        }
        double decoding = decodeNanosPerImage * (pending.get() + more);
        return (long) Math.max(factor * passes, decoding);
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
        runningSinceNanos = System.nanoTime();
        running = images;
        room.release(images);
    }

    /** The pass under way ended without results (it failed, or every image had expired). */
    void passAbandoned(boolean failed) {
        running = 0;
        if (failed) {
            busySinceNanos = 0;
        }
    }

    /**
     * A pass over {@code images} ended at {@code endNanos}: the slowdown learns from it if decoded
     * work was waiting before it. Images still being decoded do not count: the loop waiting for
     * them is not a slow pass, and the decoding stage's pace is learnt apart ({@link #arrived}).
     */
    void passEnded(int images, long endNanos) {
        running = 0;
        if (busySinceNanos != 0 && settings.passTimes() != null) {
            double expected = Math.max(1, settings.passTimes().nanos(images));
            busyNanos = DECAY * busyNanos + (endNanos - busySinceNanos);
            expectedNanos = DECAY * expectedNanos + expected;
            slowdown = Math.max(1, Math.max(busyNanos / expectedNanos, (endNanos - busySinceNanos) / expected));
        }
        busySinceNanos = queueDepth() - pending.get() > 0 ? endNanos : 0;
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
