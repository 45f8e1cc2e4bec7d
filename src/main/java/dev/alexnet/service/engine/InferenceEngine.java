package dev.alexnet.service.engine;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import dev.alexnet.service.model.AlexNet;
import dev.alexnet.service.model.AlexNetArchitecture;
import dev.alexnet.service.model.BackendInfo;
import dev.alexnet.service.model.ForwardResult;
import dev.alexnet.service.model.WeightsSource;

/**
 * The process's one AlexNet. Every forward pass runs on a single dedicated thread, fed by a queue:
 * ND4J's OpenMP and BLAS already use every core within one pass, so two passes at once only
 * contend (measured in docs/benchmarks.md), and one thread means one workspace, so off-heap
 * memory stays flat however many request threads call in. Callers get {@link CompletableFuture}s.
 */
public final class InferenceEngine implements ForwardPass, AutoCloseable {

    private final AlexNet network;
    private final BackendInfo backend;
    private final double loadSeconds;
    private final ExecutorService worker;
    private final AtomicLong passes = new AtomicLong();
    private final AtomicLong images = new AtomicLong();
    private volatile boolean warm;

    public InferenceEngine(AlexNet network, BackendInfo backend, double loadSeconds) {
        this.network = network;
        this.backend = backend;
        this.loadSeconds = loadSeconds;
        this.worker = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "alexnet-inference");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Queues a forward pass over {@code n} images.
     *
     * @param input row-major [n, 3, 227, 227], BGR minus the ImageNet mean
     */
    public CompletableFuture<ForwardResult> submit(float[] input, int n) {
        try {
            return CompletableFuture.supplyAsync(() -> run(input, n), worker);
        } catch (RejectedExecutionException e) {
            return CompletableFuture.failedFuture(new IllegalStateException("the inference engine is closed", e));
        }
    }

    /** Runs a forward pass and waits for it. */
    @Override
    public ForwardResult infer(float[] input, int n) {
        try {
            return submit(input, n).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for inference", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            throw new CompletionException(e.getCause());
        }
    }

    private ForwardResult run(float[] input, int n) {
        ForwardResult result = network.forward(input, n);
        passes.incrementAndGet();
        images.addAndGet(n);
        return result;
    }

    /** One forward pass on a blank image, so that the first request does not pay for oneDNN's JIT. */
    public void warmUp() {
        infer(new float[3 * AlexNetArchitecture.INPUT_SIZE * AlexNetArchitecture.INPUT_SIZE], 1);
        warm = true;
    }

    /** Whether {@link #warmUp()} has completed. */
    public boolean isWarm() {
        return warm;
    }

    public AlexNetArchitecture architecture() {
        return network.architecture();
    }

    public WeightsSource source() {
        return network.source();
    }

    public BackendInfo backend() {
        return backend;
    }

    public double loadSeconds() {
        return loadSeconds;
    }

    /** Forward passes run so far. */
    public long passes() {
        return passes.get();
    }

    /** Images classified so far. */
    public long images() {
        return images.get();
    }

    @Override
    public void close() {
        worker.shutdown();
        try {
            if (!worker.awaitTermination(30, TimeUnit.SECONDS)) {
                worker.shutdownNow();
            }
        } catch (InterruptedException e) {
            worker.shutdownNow();
            Thread.currentThread().interrupt();
        }
        network.close();
    }
}
