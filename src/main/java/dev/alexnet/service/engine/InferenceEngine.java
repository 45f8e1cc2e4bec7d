package dev.alexnet.service.engine;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

import dev.alexnet.service.model.network.DensePaths;
import dev.alexnet.service.model.network.DnnlAlexNet;
import dev.alexnet.service.model.network.ServingNetwork;
import dev.alexnet.service.model.AlexNetArchitecture;
import dev.alexnet.service.model.runtime.BackendInfo;
import dev.alexnet.service.model.runtime.OpenMpTeams;
import dev.alexnet.service.model.ForwardResult;
import dev.alexnet.service.model.weights.WeightsSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The process's one AlexNet. Every forward pass runs on a single dedicated thread, fed by a queue:
 * ND4J's OpenMP and BLAS already use every core within one pass, so two passes at once only
 * contend (measured in docs/benchmarks.md), and one thread means one workspace, so off-heap
 * memory stays flat however many request threads call in. Callers get {@link CompletableFuture}s.
 * <p>
 * The served path already calls from one thread (the batcher's), so the hop to this engine's own
 * thread is kept for the other callers: warm-up and the dense-path probe are called from the main
 * thread, {@code classify} and {@code bench} from theirs, and ND4J's workspaces are per thread, so
 * without the hop each of them would keep a pass's worth of off-heap activations alive. The
 * warm-up's other native work (plans, weight reorders) runs on its caller, which then releases its
 * OpenMP team: one team in the process ({@link #releaseCallersTeam()} says what a second costs). The hop costs a
 * 17 to 26 us round trip at the median (under 90 us at p99) against a 39 ms batch-1 pass: 0.05%
 * (docs/benchmarks.md, "The inference thread hop").
 */
public final class InferenceEngine implements ForwardPass, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(InferenceEngine.class);

    private static final String RELEASED = "this network only measured the machine at start; its weights were freed";

    private final ServingNetwork network;
    /** The network's two batch-1 dense paths, chosen between by measurement; null if it has one. */
    private final DensePaths densePaths;
    private final BackendInfo backend;
    private final double loadSeconds;
    private final InferenceThread worker;
    private final boolean ownsWorker;
    private final AtomicLong passes = new AtomicLong();
    private final AtomicLong images = new AtomicLong();
    private volatile boolean warm;
    /** The weights were freed after the start-up measurements (a service on a model repository). */
    private volatile boolean released;
    private volatile PassTimes passTimes;
    /** Measures the batch-1 dense path again on served passes (the ND4J pass); else null. */
    private volatile DensePathChooser densePath;
    /** The batch-1 dense path chosen once at warm-up, where it is not measured again; else null. */
    private volatile DensePathProbe.Choice chosenPath;

    public InferenceEngine(ServingNetwork network, BackendInfo backend, double loadSeconds) {
        this(network, backend, loadSeconds, newInferenceThread(), true);
    }

    /**
     * An engine whose passes run on a thread it shares with other engines (the model repository's
     * versions): one thread's workspace serves them all, and closing this engine leaves the thread
     * running for the others.
     */
    public InferenceEngine(ServingNetwork network, BackendInfo backend, double loadSeconds, InferenceThread sharedWorker) {
        this(network, backend, loadSeconds, sharedWorker, false);
    }

    private InferenceEngine(ServingNetwork network, BackendInfo backend, double loadSeconds, InferenceThread worker, boolean ownsWorker) {
        this.network = network;
        this.densePaths = network.densePaths();
        this.backend = backend;
        this.loadSeconds = loadSeconds;
        this.worker = worker;
        this.ownsWorker = ownsWorker;
    }

    /** A single daemon thread for forward passes, as each engine has unless it shares one. */
    public static InferenceThread newInferenceThread() {
        return new InferenceThread();
    }

    /**
     * Queues a forward pass over {@code n} images.
     *
     * @param input row-major [n, 3, 227, 227], BGR minus the ImageNet mean
     */
    public CompletableFuture<ForwardResult> submit(float[] input, int n) {
        if (released) {
            return CompletableFuture.failedFuture(new IllegalStateException(RELEASED));
        }
        try {
            return CompletableFuture.supplyAsync(() -> run(input, n), worker);
        } catch (RejectedExecutionException e) {
            return CompletableFuture.failedFuture(new IllegalStateException("the inference engine is closed", e));
        }
    }

    /** Runs a forward pass and waits for it. */
    @Override
    public ForwardResult infer(float[] input, int n) {
        return infer(input, n, () -> { });
    }

    @Override
    public ForwardResult infer(float[] input, int n, Runnable started) {
        if (released) {
            // Its thread has ended too (releaseWeights): say why rather than that the engine is closed.
            throw new IllegalStateException(RELEASED);
        }
        return await(() -> CompletableFuture.supplyAsync(() -> {
            started.run();
            return run(input, n);
        }, worker));
    }

    /** Queues work on the inference thread and waits for it, its failure rethrown as it was. */
    private static <T> T await(Supplier<CompletableFuture<T>> queued) {
        try {
            return queued.get().get();
        } catch (RejectedExecutionException e) {
            throw new IllegalStateException("the inference engine is closed", e);
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
        if (released) {
            throw new IllegalStateException(RELEASED);
        }
        // Before warm-up has made a chooser (the start-up probe's own passes), the path set on the network holds.
        DensePathChooser chooser = densePath;
        boolean gemv = false;
        if (chooser != null) {
            gemv = chooser.pathFor(n);
            network.useGemvAtBatchOne(gemv);
        }
        long start = System.nanoTime();
        ForwardResult result = network.forward(input, n);
        if (chooser != null) {
            chooser.record(n, gemv, System.nanoTime() - start);
        }
        passes.incrementAndGet();
        images.addAndGet(n);
        return result;
    }

    /** {@link #warmUp(int, DensePathProbe.Setting)} at batch 1, measuring the dense path. */
    public void warmUp() {
        warmUp(1, DensePathProbe.Setting.AUTO);
    }

    /**
     * Prepares the pass for every batch size up to {@code batchSize} ({@link ServingNetwork#prepare}),
     * chooses the batch-1 dense path on the ND4J pass ({@link DensePathProbe}), then runs forward
     * passes on blank images at batch 1 and at {@code batchSize}, so that no request pays for
     * oneDNN's kernel JIT or the buffers' growth; the fastest of three passes at each size gives
     * {@link #passTimes()}.
     */
    public void warmUp(int batchSize, DensePathProbe.Setting densePathSetting) {
        int image = AlexNetArchitecture.INPUT_FLOATS;
        long preparing = System.nanoTime();
        // On the caller, not the inference thread: building 32 plans and re-blocking the weights took 1 to 4 s,
        // and a version loading while another serves would hold the served passes up that long (RepositoryIT
        // got 503s for passes that waited 2.95 s). The caller's OpenMP team is released after warm-up.
        network.prepare(batchSize);
        log.info("Prepared the {} pass for batches of 1 to {} in {} ms", network.passName(), batchSize,
                (System.nanoTime() - preparing) / 1_000_000);
        if (network instanceof DnnlAlexNet dnnl) {
            log.info("oneDNN's kernels for one image: {}", dnnl.layouts(1));
        }
        if (densePaths != null) {
            float[] probe = new float[image];
            for (int i = 0; i < image; i++) {
                probe[i] = (i * 37 % 255) - 120f;
            }
            DensePathProbe.Choice choice = DensePathProbe.choose(densePathSetting, densePaths, gemv -> {
                network.useGemvAtBatchOne(gemv);
                return timedInBackground(probe, 1);
            });
            if (densePaths.liveChecked()) {
                network.useGemvAtBatchOne(choice.gemv());
                densePath = DensePathChooser.of(choice);
            } else {
                network.keepBatchOnePath(choice.gemv());
                chosenPath = choice;
            }
            log.info("Batch-1 dense layers: {}{}", choice, !choice.measured() ? ""
                    : densePaths.liveChecked() ? "; measured again on served passes once the JIT is warm"
                    : choice.gemv() ? "; both paths kept (batches take the other)" : "; the other path's weights freed");
        }
        long one = fastest(new float[image], 1);
        passTimes = batchSize > 1 ? PassTimes.fit(one, batchSize, fastest(new float[batchSize * image], batchSize))
                : PassTimes.fit(one, 1, one);
        releaseCallersTeam();
        warm = true;
    }

    /** The number format the pass computes in: {@code fp32} or {@code bf16}. */
    public String precision() {
        return network.precision().label();
    }

    /** What runs the forward pass: {@code onednn} (its primitives directly) or {@code nd4j} (ND4J's ops). */
    public String passName() {
        return network.passName();
    }

    /** The batch-1 dense path in use and what it rests on; null before warm-up, and for a network with one path. */
    public DensePathProbe.Choice densePath() {
        DensePathChooser chooser = densePath;
        return chooser == null ? chosenPath : chooser.current();
    }

    private long fastest(float[] input, int n) {
        long best = Long.MAX_VALUE;
        for (int pass = 0; pass < 3; pass++) {
            best = Math.min(best, timedInBackground(input, n));
        }
        return best;
    }

    /**
     * One warm-up pass, queued behind any served pass on a shared thread (a version loading while
     * another serves), and timed on the thread itself: the pass's own time, not its wait in line.
     * Timed from the caller, the probe's batch-1 passes read 110 to 180 ms under 16 clients against
     * 14 to 15 ms alone, and chose the dense path by queueing noise.
     */
    private long timedInBackground(float[] input, int n) {
        return await(() -> worker.background(() -> {
            long start = System.nanoTime();
            run(input, n);
            return System.nanoTime() - start;
        }));
    }

    /**
     * Frees the OpenMP team the calling thread made with the warm-up's native work (plans, weight
     * reorders) and ND4J's start-up, so that only the inference thread's team is left. libgomp keeps
     * an idle team for every thread that ever ran a parallel region, and once the process holds more
     * such threads than CPUs, every idle worker waits 100 spins instead of 300,000 before it sleeps:
     * with the main thread's team kept, the served passes' worker slept and was woken at each of a
     * pass's 14 steps, about 30 context switches per pass on its two threads, and a batch-1 pass took
     * 12.05 ms against 10.90 with one team (Intel Xeon with AMX, 2 cores, docs/benchmarks.md, section
     * 000000). {@link TeamThrottle} then chooses the waits per pass.
     */
    private static void releaseCallersTeam() {
        try {
            OpenMpTeams.find().ifPresent(OpenMpTeams::releaseTeam);
        } catch (LinkageError e) {
            log.debug("No JNA to release the caller's OpenMP team: {}", e.toString());
        }
    }

    /** Pass times on this machine as measured at warm-up; null before it. */
    public PassTimes passTimes() {
        return passTimes;
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

    /**
     * Frees the network's weights after its measurements, keeping what they found
     * ({@link #passTimes()}, the dense path): for the start-up network of a service whose models
     * come from a repository. A pass after this fails.
     */
    public void releaseWeights() {
        try {
            worker.submit(() -> {
                released = true;
                network.close();
                // The warm-up's activations live in this thread's workspace: free them too.
                org.nd4j.linalg.factory.Nd4j.getWorkspaceManager().destroyAllWorkspacesForCurrentThread();
            }).get(60, TimeUnit.SECONDS);
            if (ownsWorker) {
                // Its thread ends, and libgomp frees the OpenMP team it kept: the served passes' team is then the only one.
                worker.shutdown();
                worker.awaitTermination(60, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("could not free the start-up network's weights", e);
        }
    }

    @Override
    public void close() {
        if (released) {
            worker.shutdown();
            return;
        }
        if (!ownsWorker) {
            // After any pass already queued on the shared thread, never beside one: the weights are native memory.
            try {
                worker.submit(network::close).get(60, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (ExecutionException | java.util.concurrent.TimeoutException | RejectedExecutionException e) {
                log.warn("Could not free a network's weights on the inference thread: {}", e.toString());
            }
            return;
        }
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
