package dev.alexnet.service.cli;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

import tools.jackson.databind.json.JsonMapper;
import dev.alexnet.service.engine.DensePathProbe;
import dev.alexnet.service.model.network.AlexNet;
import dev.alexnet.service.model.network.DensePaths;
import dev.alexnet.service.model.Precision;
import dev.alexnet.service.model.network.ServingNetwork;
import dev.alexnet.service.engine.EngineLoader;
import dev.alexnet.service.engine.PassSetting;
import dev.alexnet.service.model.AlexNetArchitecture;
import dev.alexnet.service.model.weights.AlexNetWeights;
import dev.alexnet.service.model.runtime.BackendInfo;
import dev.alexnet.service.model.runtime.NativeBuild;
import dev.alexnet.service.model.weights.NpyWeightsReader;
import dev.alexnet.service.model.runtime.OpenMpSpin;
import dev.alexnet.service.model.network.TrainableAlexNet;
import dev.alexnet.service.train.Sgd;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * {@code bench}: times the forward pass at several batch sizes on the real engine, with no web
 * server. Each cell warms up, then reports the median of its timed passes.
 * <p>
 * Just over 300 lines: option parsing, the measuring loop and the JSON report of one command.
 */
public final class BenchCommand {

    /** Usage text for this mode. */
    public static final String USAGE = """
            bench [--batches 1,8,32,64] [--seconds N] [--warmup N] [--warmup-seconds S] [--weights FILE] [--seed N]
                  [--cpu-extension auto|generic|onednn-avx2] [--pass auto|onednn|nd4j] [--dense auto|gemv|batched]
                  [--precision fp32|bf16] [--parallel N] [--train all|fc] [--json]
              Times AlexNet's forward pass per batch size: ms per batch, images/s, GFLOP/s,
              weight load time and process RSS. Without --weights it uses the random-init weights.
              Each cell runs --warmup untimed passes (default 2) first; the first cell also warms up
              for --warmup-seconds (default 30), until the JIT has compiled ND4J's Java side.
              --pass: what runs the forward pass, as alexnet.backend.forward-pass (default auto: oneDNN's
              primitives directly where they load).
              --dense: the batch-1 dense path, a matrix-vector product (gemv: oneDNN's inner product, OpenBLAS's
                sgemv) or the batches' (batched: oneDNN's 1x1 convolution, ND4J's Mmul); auto (default) times
                both as the service does at start.
              --precision: the oneDNN pass's number format, as alexnet.precision (default fp32; bf16 needs
                AVX512_BF16 or AMX).
              --parallel N runs N passes at once from N threads sharing the network (default 1),
              to compare with the engine's single inference thread.
              --train times training steps instead (forward, backward and the SGD update, dropout on):
              all layers, or fc6-fc8 only as with train --freeze conv; GFLOP/s counts the forward plus
              twice the trained layers' FLOPs for the backward.""";

    private final PrintStream out;

    public BenchCommand(PrintStream out) {
        this.out = out;
    }

    /** One measured batch size. */
    public record Cell(int batch, int passes, double msPerBatch, double imagesPerSecond, double gflops) {
    }

    /** The whole report, as {@code --json} prints it. */
    public record Report(String nativeBuild, String backend, String blas, int threads, String openMpSpin, String pass,
                         String precision, boolean batchOneGemv, String densePath, int parallel, String weights, double loadSeconds, long rssBytes,
                         List<Cell> results) {
    }

    /** An option's value read by {@code parse}, or a usage error that names what it takes. */
    private static <T> T choice(String value, java.util.function.Function<String, T> parse, String takes) {
        try {
            return parse.apply(value);
        } catch (IllegalArgumentException e) {
            throw new UsageException(takes + ": " + value);
        }
    }

    public int run(List<String> args) {
        List<Integer> batches = List.of(1, 8, 32, 64);
        double seconds = 5;
        int warmup = 2;
        double warmupSeconds = 30;
        Path weights = null;
        long seed = 42;
        String extension = null;
        boolean json = false;
        int parallel = 1;
        String train = null;
        DensePathProbe.Setting dense = DensePathProbe.Setting.AUTO;
        PassSetting passSetting = PassSetting.AUTO;
        Precision precision = Precision.FP32;
        for (int i = 0; i < args.size(); i++) {
            String arg = args.get(i);
            switch (arg) {
                case "--batches" -> batches = Arrays.stream(Launcher.value(args, ++i, arg).split(","))
                        .map(s -> Launcher.positiveInt(s.trim(), arg)).toList();
                case "--seconds" -> seconds = Launcher.positiveDouble(Launcher.value(args, ++i, arg), arg);
                case "--warmup" -> warmup = Launcher.nonNegativeInt(Launcher.value(args, ++i, arg), arg);
                case "--warmup-seconds" -> warmupSeconds = Launcher.nonNegativeDouble(Launcher.value(args, ++i, arg), arg);
                case "--weights" -> weights = Path.of(Launcher.value(args, ++i, arg));
                case "--seed" -> seed = Launcher.parseLong(Launcher.value(args, ++i, arg), arg);
                case "--cpu-extension" -> extension = Launcher.value(args, ++i, arg);
                case "--json" -> json = true;
                case "--dense" -> dense = choice(Launcher.value(args, ++i, arg), DensePathProbe.Setting::parse,
                        "--dense takes auto, gemv or batched");
                case "--pass" -> passSetting = choice(Launcher.value(args, ++i, arg), PassSetting::parse,
                        "--pass takes auto, onednn or nd4j");
                case "--precision" -> precision = choice(Launcher.value(args, ++i, arg), Precision::parse,
                        "--precision takes fp32 or bf16");
                case "--parallel" -> parallel = Launcher.positiveInt(Launcher.value(args, ++i, arg), arg);
                case "--train" -> {
                    train = Launcher.value(args, ++i, arg);
                    if (!train.equals("all") && !train.equals("fc")) {
                        throw new UsageException("--train takes all or fc: " + train);
                    }
                }
                default -> throw new UsageException("unknown option for bench: " + arg);
            }
        }
        if (weights != null && !Files.isRegularFile(weights)) {
            throw new UsageException("--weights: no such file " + weights);
        }
        NativeBuild.select(extension);
        BackendInfo backend = BackendInfo.current();
        OpenMpSpin spin = OpenMpSpin.fromEnvironment();
        if (!json) {
            out.println("backend: " + backend + "; OpenMP idle spin: " + spin);
        }
        long start = System.nanoTime();
        AlexNetWeights loaded = weights == null
                ? AlexNetWeights.random(AlexNetArchitecture.FULL, seed)
                : new NpyWeightsReader().read(weights);
        List<Cell> cells = new ArrayList<>();
        try (ServingNetwork net = train == null ? EngineLoader.network(loaded, backend, passSetting, precision) : new AlexNet(loaded)) {
            DensePaths paths = net.densePaths();
            double loadSeconds = (System.nanoTime() - start) / 1e9;
            TrainableAlexNet trainable = train == null ? null : new TrainableAlexNet(loaded, DataType.FLOAT);
            loaded = null;
            float[] probe = new float[AlexNetArchitecture.INPUT_FLOATS];
            // The JIT's warm-up first (the first cell's --warmup-seconds, at batch 1), then the dense
            // path: probed cold, it favours sgemv (see DensePathChooser), as the service corrects on live passes.
            if (train == null && dense == DensePathProbe.Setting.AUTO && paths != null && paths.liveChecked()) {
                new Warmup(warmup, warmupSeconds).run(() -> net.forward(probe, 1));
                warmupSeconds = 0;
            }
            String densePath = "one path";
            if (paths != null) {
                DensePathProbe.Choice choice = DensePathProbe.choose(dense, paths, gemv -> {
                    net.useGemvAtBatchOne(gemv);
                    long t0 = System.nanoTime();
                    net.forward(probe, 1);
                    return System.nanoTime() - t0;
                });
                net.keepBatchOnePath(choice.gemv());
                densePath = choice.toString();
            }
            if (!json) {
                out.printf(Locale.ROOT, "weights: %s, loaded in %.2f s, forward pass on %s, %s%n", net.source().name(), loadSeconds,
                        net.passName(), net.precision().label());
                out.println("batch-1 dense layers: " + densePath);
                out.printf(Locale.ROOT, "%6s %8s %12s %10s %9s%n", "batch", "passes", "ms/batch", "images/s", "GFLOP/s");
            }
            double gflopPerImage = 2.0 * net.architecture().macsPerImage() / 1e9;
            SplittableRandom random = new SplittableRandom(7);
            for (int batch : batches) {
                float[] input = new float[batch * AlexNetArchitecture.INPUT_FLOATS];
                for (int i = 0; i < input.length; i++) {
                    input[i] = (float) (random.nextDouble() * 255 - 128);
                }
                Warmup warm = new Warmup(warmup, cells.isEmpty() ? warmupSeconds : 0);
                Cell cell = train != null
                        ? timeTraining(trainable, input, batch, warm, seconds, gflopPerImage, train.equals("all"))
                        : parallel == 1
                        ? timeSequential(net, input, batch, warm, seconds, gflopPerImage)
                        : timeParallel(net, input, batch, warm, seconds, gflopPerImage, parallel);
                cells.add(cell);
                if (!json) {
                    out.printf(Locale.ROOT, "%6d %8d %12.2f %10.2f %9.1f%n", batch, cell.passes(), cell.msPerBatch(),
                            cell.imagesPerSecond(), cell.gflops());
                }
            }
            if (trainable != null) {
                trainable.close();
            }
            long rss = rssBytes();
            Report report = new Report(backend.nativeBuild(), backend.backend(), backend.blas(), backend.threads(),
                    spin.toString(), net.passName(), net.precision().label(), net.gemvAtBatchOne(), densePath, parallel, net.source().name(), loadSeconds, rss, cells);
            if (json) {
                out.println(toJson(report));
            } else {
                out.printf(Locale.ROOT, "RSS: %.0f MiB%n", rss / 1048576.0);
            }
        }
        return 0;
    }

    /** Training steps with a tiny learning rate (so that the weights stay put), median of the timed steps. */
    private static Cell timeTraining(TrainableAlexNet net, float[] input, int batch, Warmup warmup, double seconds,
                                     double gflopPerImage, boolean allLayers) {
        int[] labels = new int[batch];
        for (int i = 0; i < batch; i++) {
            labels[i] = i % net.architecture().classes();
        }
        Sgd sgd = new Sgd(1e-9, 0.9, 5e-4);
        SplittableRandom dropout = new SplittableRandom(1);
        List<Double> times = timedPasses(() -> net.step(input, batch, labels, dropout, allLayers, sgd), warmup, seconds);
        double ms = median(times);
        AlexNetArchitecture a = net.architecture();
        double fcGflop = 2.0 * ((long) a.fc6Inputs() * a.fc6() + (long) a.fc6() * a.fc7() + (long) a.fc7() * a.classes()) / 1e9;
        double perImage = allLayers ? 3 * gflopPerImage : gflopPerImage + 2 * fcGflop;
        return new Cell(batch, times.size(), ms, batch * 1000.0 / ms, perImage * batch * 1000.0 / ms);
    }

    private static Cell timeSequential(ServingNetwork net, float[] input, int batch, Warmup warmup, double seconds, double gflopPerImage) {
        List<Double> times = timedPasses(() -> net.forward(input, batch), warmup, seconds);
        double ms = median(times);
        return new Cell(batch, times.size(), ms, batch * 1000.0 / ms, gflopPerImage * batch * 1000.0 / ms);
    }

    /** Untimed passes before a cell's timed ones: at least {@code passes} of them, and for at least {@code seconds}. */
    record Warmup(int passes, double seconds) {

        void run(Runnable pass) {
            long deadline = System.nanoTime() + (long) (seconds * 1e9);
            for (int i = 0; i < passes || System.nanoTime() < deadline; i++) {
                pass.run();
            }
        }
    }

    /** Warms up, then runs timed passes for {@code seconds} (at least 3); the ms of each. */
    private static List<Double> timedPasses(Runnable pass, Warmup warmup, double seconds) {
        warmup.run(pass);
        List<Double> times = new ArrayList<>();
        long deadline = System.nanoTime() + (long) (seconds * 1e9);
        while (times.size() < 3 || System.nanoTime() < deadline) {
            long t0 = System.nanoTime();
            pass.run();
            times.add((System.nanoTime() - t0) / 1e6);
        }
        return times;
    }

    /**
     * N threads each run passes back to back for the duration; throughput is all images over the
     * wall time, and ms/batch the median latency of one pass.
     */
    private static Cell timeParallel(ServingNetwork net, float[] input, int batch, Warmup warmup, double seconds, double gflopPerImage,
                                     int threads) {
        List<Double> times = java.util.Collections.synchronizedList(new ArrayList<>());
        java.util.concurrent.CyclicBarrier start = new java.util.concurrent.CyclicBarrier(threads);
        long[] window = new long[2];
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            Thread worker = new Thread(() -> {
                warmup.run(() -> net.forward(input, batch));
                try {
                    start.await();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
                long begin = System.nanoTime();
                synchronized (window) {
                    if (window[0] == 0) {
                        window[0] = begin;
                    }
                }
                long deadline = begin + (long) (seconds * 1e9);
                int passes = 0;
                while (passes < 3 || System.nanoTime() < deadline) {
                    long t0 = System.nanoTime();
                    net.forward(input, batch);
                    times.add((System.nanoTime() - t0) / 1e6);
                    passes++;
                }
                synchronized (window) {
                    window[1] = Math.max(window[1], System.nanoTime());
                }
            }, "bench-" + t);
            workers.add(worker);
            worker.start();
        }
        for (Thread worker : workers) {
            try {
                worker.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
        double wallSeconds = (window[1] - window[0]) / 1e9;
        double imagesPerSecond = times.size() * (double) batch / wallSeconds;
        return new Cell(batch, times.size(), median(times), imagesPerSecond, gflopPerImage * imagesPerSecond);
    }

    private static String toJson(Report report) {
        try {
            return JsonMapper.builder().build().writeValueAsString(report);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static double median(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        sorted.sort(null);
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

    /** Resident set size from {@code /proc/self/status}, or -1 where it is not available. */
    static long rssBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("\\D+", "")) * 1024;
                }
            }
        } catch (Exception e) {
            return -1;
        }
        return -1;
    }

}
