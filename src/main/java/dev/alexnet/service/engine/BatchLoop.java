package dev.alexnet.service.engine;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

import dev.alexnet.service.model.AlexNetArchitecture;
import dev.alexnet.service.model.ForwardResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gathering and the pass loop, on one thread ({@code alexnet-batcher}): takes the first
 * waiting image, gathers more for up to {@code maxDelay} while images are on their way (reserved by
 * requests still decoding them; never when none are), runs one forward pass over the batch and
 * completes each image's future. Images past their deadline, or past the queue's time bound since
 * they were admitted, are failed with {@code TIMEOUT} instead of run; a failed pass fails only its
 * batch.
 * <p>
 * Each image names the network it is for (its {@code target}: a model version's engine), and a
 * batch holds one network's images. Networks take turns: the one served goes to the back of the
 * line while it has images waiting, so a flooded model delays another by at most one pass of its
 * own, never by its whole queue. One loop means one pass at a time for every model: the machine's
 * cores serve one network at once, as they must.
 */
final class BatchLoop implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(BatchLoop.class);

    /**
     * One queued image: where its tensor is (3 x 227 x 227 values from {@code offset}, so that a
     * batch sent as one array is not cut up only to be stacked again), when it was admitted and
     * queued, its deadline and its future.
     */
    record Item(ForwardPass target, float[] data, int offset, long reservedNanos, long enqueuedNanos, long deadlineNanos,
                CompletableFuture<Batcher.ImageOutput> result) {
    }

    /**
     * Put in the queue when the last image on its way has arrived: it wakes the loop from its wait
     * for company, which would otherwise run out its 0.5 ms. A request's image is queued before its
     * reservation stops counting as on its way (see {@code Batcher.enqueue}), so a lone request's
     * loop saw its own image as still expected and waited: at 1 client on an Intel Xeon, the queue
     * wait was 0.65 ms at p90 and 0.27 ms on average against 0.1 ms at p50.
     */
    private static final Item NUDGE = new Item(null, null, 0, 0, 0, 0, null);

    private final Batcher.Settings settings;
    private final Admission admission;
    private final Batcher.Listener listener;
    private final LinkedBlockingQueue<Item> queue = new LinkedBlockingQueue<>();
    /** Images taken off {@link #queue} by the loop, by network, and the networks' turns; the loop's thread only. */
    private final Map<ForwardPass, ArrayDeque<Item>> waiting = new HashMap<>();
    private final ArrayDeque<ForwardPass> turns = new ArrayDeque<>();
    /** Images queued or in a pass, by network: an unload waits for its network's to reach zero. */
    private final ConcurrentHashMap<ForwardPass, Integer> outstanding = new ConcurrentHashMap<>();
    private final Thread thread;
    private final AtomicLongArray batchSizes;
    private final AtomicLong batches = new AtomicLong();
    private final AtomicLong failedBatches = new AtomicLong();
    /** Waits for an expected image that ran their whole 0.5 ms with nothing arriving (for the tests). */
    private final AtomicLong emptyWaits = new AtomicLong();
    private volatile boolean stopped;

    /** How OpenMP's idle workers wait, chosen before each pass; null where it is not steered. */
    private final TeamThrottle throttle;
    /** When the last pass ended; the loop's thread only. */
    private long lastPassEnd;

    BatchLoop(Batcher.Settings settings, Admission admission, Batcher.Listener listener) {
        this(settings, admission, listener, null);
    }

    BatchLoop(Batcher.Settings settings, Admission admission, Batcher.Listener listener, TeamThrottle throttle) {
        this.settings = settings;
        this.admission = admission;
        this.listener = listener;
        this.throttle = throttle;
        this.batchSizes = new AtomicLongArray(settings.maxBatchSize() + 1);
        admission.onNothingExpected(() -> queue.add(NUDGE));
        this.thread = new Thread(this::loop, "alexnet-batcher");
        this.thread.setDaemon(true);
        this.thread.start();
    }

    void add(Item item) {
        outstanding.merge(item.target(), 1, Integer::sum);
        item.result().whenComplete((r, e) -> outstanding.computeIfPresent(item.target(), (t, n) -> n == 1 ? null : n - 1));
        queue.add(item);
    }

    /** Images for {@code target} queued or in a pass. */
    int outstanding(ForwardPass target) {
        return outstanding.getOrDefault(target, 0);
    }

    /** Files an image under its network; a network with nothing waiting joins the back of the line. */
    private void file(Item item) {
        ArrayDeque<Item> line = waiting.computeIfAbsent(item.target(), t -> new ArrayDeque<>());
        if (line.isEmpty() && !turns.contains(item.target())) {
            turns.addLast(item.target());
        }
        line.addLast(item);
    }

    private boolean nothingWaiting() {
        return turns.isEmpty() && queue.isEmpty();
    }

    private void loop() {
        List<Item> batch = new ArrayList<>(settings.maxBatchSize());
        while (!stopped || !nothingWaiting()) {
            try {
                for (Item item; (item = queue.poll()) != null; ) {
                    if (item != NUDGE) {
                        file(item);
                    }
                }
                if (turns.isEmpty()) {
                    Item first = queue.poll(100, TimeUnit.MILLISECONDS);
                    if (first != null && first != NUDGE) {
                        file(first);
                    }
                    continue;
                }
                ForwardPass target = turns.pollFirst();
                ArrayDeque<Item> line = waiting.get(target);
                long gatherUntil = line.peekFirst().enqueuedNanos() + settings.maxDelay().toNanos();
                while (batch.size() < settings.maxBatchSize()) {
                    Item next = line.pollFirst();
                    if (next != null) {
                        batch.add(next);
                        continue;
                    }
                    long wait = gatherUntil - System.nanoTime();
                    // Wait for company only when some is on its way: images reserved and still being decoded.
                    boolean expecting = admission.expecting();
                    Item arrived = wait > 0 && expecting ? queue.poll(Math.min(wait, 500_000), TimeUnit.NANOSECONDS) : queue.poll();
                    if (arrived == null && expecting && wait > 0) {
                        emptyWaits.incrementAndGet();
                    }
                    if (arrived != null) {
                        if (arrived != NUDGE) {
                            file(arrived); // the served network's own go straight into this batch; others' wait their turn
                        }
                        continue;
                    }
                    if (expecting && System.nanoTime() < gatherUntil) {
                        continue;
                    }
                    break;
                }
                turns.remove(target);
                if (!line.isEmpty()) {
                    turns.addLast(target);
                }
                admission.passStarted(batch.size());
                if (throttle != null) {
                    long now = System.nanoTime();
                    throttle.beforePass(batch.size() == 1 && turns.isEmpty() && queue.isEmpty() && !admission.expecting(),
                            now - lastPassEnd);
                }
                run(target, batch);
                lastPassEnd = System.nanoTime();
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
                admission.passAbandoned(false); // also when run() returned before its pass: every image of the batch had expired
                batch.clear();
            }
        }
    }

    private void run(ForwardPass target, List<Item> batch) {
        long now = System.nanoTime();
        List<Item> live = new ArrayList<>(batch.size());
        for (Item item : batch) {
            if (item.result().isDone()) {
                continue;
            }
            if (now > item.deadlineNanos()) {
                item.result().completeExceptionally(new InferenceRejectedException(InferenceRejectedException.Reason.TIMEOUT,
                        "the request waited longer than its " + settings.timeout().toMillis() + " ms deadline"));
            } else if (admission.pastTimeBound(item.reservedNanos(), now)) {
                item.result().completeExceptionally(admission.timeBoundRefusal(item.reservedNanos(), now, "for its forward pass"));
            } else {
                live.add(item);
            }
        }
        if (live.isEmpty()) {
            return;
        }
        int n = live.size();
        int size = AlexNetArchitecture.INPUT_FLOATS;
        float[] input;
        Item only = live.get(0);
        if (n == 1 && only.offset() == 0 && only.data().length == size) {
            // A lone image is its own batch: the network copies it into its own buffers anyway, and the
            // 0.6 MB copy here was a fifth of what a 1-client request allocated.
            input = only.data();
        } else {
            input = new float[n * size];
            for (int i = 0; i < n; i++) {
                System.arraycopy(live.get(i).data(), live.get(i).offset(), input, i * size, size);
            }
        }
        long start = System.nanoTime();
        ForwardResult result;
        try {
            result = target.infer(input, n, admission::passExecuting);
        } catch (RuntimeException e) {
            failedBatches.incrementAndGet();
            // Before completing the futures (their callers' work may run on this thread): the pass is over.
            admission.passAbandoned(true);
            log.error("Forward pass over a batch of {} failed; failing those {} images only", n, n, e);
            for (Item item : live) {
                item.result().completeExceptionally(e);
            }
            return;
        }
        long end = System.nanoTime();
        long ready = Long.MAX_VALUE;
        for (Item item : live) {
            ready = Math.min(ready, item.enqueuedNanos());
        }
        admission.passEnded(n, end, ready);
        long inferenceNanos = end - start;
        batches.incrementAndGet();
        batchSizes.incrementAndGet(n);
        listener.batch(n, inferenceNanos);
        for (Item item : live) {
            listener.queueWait(start - item.enqueuedNanos());
        }
        for (int i = 0; i < n; i++) {
            Item item = live.get(i);
            item.result().complete(new Batcher.ImageOutput(result.probabilities(i), result.features(i),
                    start - item.enqueuedNanos(), inferenceNanos, n));
        }
    }

    /** Forward passes run. */
    long batches() {
        return batches.get();
    }

    /** The largest batch formed so far. */
    int largestBatch() {
        for (int s = batchSizes.length() - 1; s > 0; s--) {
            if (batchSizes.get(s) > 0) {
                return s;
            }
        }
        return 0;
    }

    long emptyWaits() {
        return emptyWaits.get();
    }

    long failedBatches() {
        return failedBatches.get();
    }

    /** Finishes what is queued (bounded by the timeout), stops the thread, and fails whatever is left. */
    @Override
    public void close() {
        stopped = true;
        try {
            thread.join(settings.timeout().toMillis() + 5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (thread.isAlive()) {
            thread.interrupt();
        }
        if (throttle != null) {
            throttle.close();
        }
        List<Item> left = new ArrayList<>();
        queue.drainTo(left);
        left.removeIf(item -> item == NUDGE);
        waiting.values().forEach(left::addAll);
        for (Item item : left) {
            item.result().completeExceptionally(new InferenceRejectedException(
                    InferenceRejectedException.Reason.SHUTTING_DOWN, "the service stopped before this image ran"));
        }
    }
}
