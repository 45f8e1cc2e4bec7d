package dev.alexnet.service.engine;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The one thread forward passes run on, with two queues: served work ({@link #execute}) always
 * goes first, and background work ({@link #background}, a model version's warm-up while another
 * serves) runs only when no served work is queued. A served pass therefore waits behind at most
 * one background pass, never behind a whole warm-up.
 * <p>
 * Why: with one first-in-first-out queue, a version's warm-up (30 batch-1 probe passes, then three
 * passes at batch 1 and three at the batch size) went in line with the served passes. On an
 * Intel Xeon under 16 clients, those six passes took 2.2 s, the served passes stalled behind them,
 * the admission estimate read the stall as the machine slowing down, and 145 requests were
 * refused with 503 in 0.1 s (RepositoryIT).
 */
public final class InferenceThread extends AbstractExecutorService {

    /** The thread's name; its OpenMP workers show under the same one in Linux (see {@link TeamThrottle}). */
    static final String NAME = "alexnet-inference";

    private final ArrayDeque<Runnable> served = new ArrayDeque<>();
    private final ArrayDeque<Runnable> background = new ArrayDeque<>();
    private final Thread thread;
    private boolean shutdown;
    private boolean terminated;

    public InferenceThread() {
        thread = new Thread(this::work, NAME);
        thread.setDaemon(true);
        thread.start();
    }

    /** Queues served work: it runs before any background work still queued. */
    @Override
    public void execute(Runnable task) {
        enqueue(served, task);
    }

    /** Runs {@code task} on this thread once no served work is queued. */
    public <T> CompletableFuture<T> background(Supplier<T> task) {
        CompletableFuture<T> result = new CompletableFuture<>();
        enqueue(background, () -> {
            try {
                result.complete(task.get());
            } catch (Throwable e) {
                result.completeExceptionally(e);
            }
        });
        return result;
    }

    private synchronized void enqueue(ArrayDeque<Runnable> queue, Runnable task) {
        if (shutdown) {
            throw new RejectedExecutionException("the inference thread is shut down");
        }
        queue.addLast(task);
        notifyAll();
    }

    private void work() {
        while (true) {
            Runnable task;
            synchronized (this) {
                while (served.isEmpty() && background.isEmpty() && !shutdown) {
                    try {
                        wait();
                    } catch (InterruptedException e) {
                        // shutdownNow: the queues were drained; the loop below ends.
                    }
                }
                task = !served.isEmpty() ? served.pollFirst() : background.pollFirst();
                if (task == null) {
                    terminated = true;
                    notifyAll();
                    return;
                }
            }
            try {
                task.run();
            } catch (RuntimeException | Error e) {
                // A future's task reports its own failure; a bare Runnable's goes where a pool thread's would, and the thread lives on.
                thread.getUncaughtExceptionHandler().uncaughtException(thread, e);
            }
        }
    }

    /** Runs what is queued, takes nothing new. */
    @Override
    public synchronized void shutdown() {
        shutdown = true;
        notifyAll();
    }

    /** Drops what is queued (returned, served work first) and interrupts the pass under way. */
    @Override
    public synchronized List<Runnable> shutdownNow() {
        shutdown = true;
        List<Runnable> dropped = new ArrayList<>(served);
        dropped.addAll(background);
        served.clear();
        background.clear();
        thread.interrupt();
        notifyAll();
        return dropped;
    }

    @Override
    public synchronized boolean isShutdown() {
        return shutdown;
    }

    @Override
    public synchronized boolean isTerminated() {
        return terminated;
    }

    @Override
    public synchronized boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
        long deadline = System.nanoTime() + unit.toNanos(timeout);
        while (!terminated) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            TimeUnit.NANOSECONDS.timedWait(this, left);
        }
        return true;
    }
}
