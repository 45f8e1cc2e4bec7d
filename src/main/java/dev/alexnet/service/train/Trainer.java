package dev.alexnet.service.train;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.atomic.AtomicBoolean;

import dev.alexnet.service.model.AlexNetArchitecture;
import dev.alexnet.service.model.weights.AlexNetWeights;
import dev.alexnet.service.model.weights.NpyWeightsReader;
import dev.alexnet.service.model.weights.NpyWeightsWriter;
import dev.alexnet.service.classify.TopK;
import dev.alexnet.service.model.network.TrainableAlexNet;
import dev.alexnet.service.model.weights.WeightsSource;
import dev.alexnet.service.preprocess.DecodedImage;
import dev.alexnet.service.preprocess.ImageDecoder;
import dev.alexnet.service.preprocess.Resizer;
import org.nd4j.linalg.api.buffer.DataType;
import tools.jackson.databind.json.JsonMapper;

/**
 * Trains or fine-tunes AlexNet with the paper's recipe on an ImageFolder dataset: SGD with
 * momentum and weight decay, the learning rate divided by 10 when validation stops improving,
 * dropout, random crops, flips and PCA colour shifts. One thread trains; another decodes and
 * augments the next batch meanwhile. After every epoch it writes {@code weights.npy},
 * {@code labels.txt}, {@code training.json} and a checkpoint ({@code checkpoint/}) that
 * {@link #run} resumes from, also in the middle of an epoch after {@link #requestStop()}.
 */
public final class Trainer {

    /** Files in the output folder. */
    public static final String WEIGHTS = "weights.npy";
    public static final String LABELS = "labels.txt";
    public static final String REPORT = "training.json";
    public static final String CHECKPOINT = "checkpoint";
    private static final String MOMENTUM = "momentum.npy";
    private static final String STATE = "state.json";

    private static final JsonMapper JSON = JsonMapper.builder().build();

    /**
     * The configuration of a run. {@code widths} is the network trained from scratch (fc8's width
     * is replaced by the class count) and {@code heInit} its initialisation (else the paper's);
     * both are ignored with {@code from}.
     */
    public record Options(Path data, Path validation, double validationSplit, Path out, Path from, boolean freezeConvolutions,
                          int epochs, int batch, double learningRate, double momentum, double weightDecay,
                          int learningRatePatience, double learningRateFactor, boolean randomCrops, boolean flips,
                          boolean pca, double pcaSigma, long seed, AlexNetArchitecture widths, boolean heInit, long maxPixels) {
    }

    /** How a run ended. */
    public enum Outcome { COMPLETED, INTERRUPTED }

    /**
     * One epoch's measurements; the validation fields are null without a validation set.
     */
    public record EpochMetrics(int epoch, double learningRate, int images, double trainLoss, double trainTop1,
                               Double validationLoss, Double validationTop1, Double validationTop5,
                               double imagesPerSecond, double seconds) {
    }

    /** Where a run stands; saved with every checkpoint. */
    record State(List<String> arguments, List<String> classes, PcaColor pca, int epochsDone, int batchesDone,
                 double learningRate, double bestScore, double bestLoss, int epochsWithoutImprovement, List<EpochMetrics> history,
                 String status) {
    }

    private final Options options;
    private final List<String> arguments;
    private final Progress progress;
    private final PrintStream log;
    private final AtomicBoolean stop = new AtomicBoolean();

    /**
     * @param arguments the command line, saved so that a resumed run uses the same configuration
     */
    public Trainer(Options options, List<String> arguments, Progress progress, PrintStream log) {
        this.options = options;
        this.arguments = List.copyOf(arguments);
        this.progress = progress;
        this.log = log;
    }

    /** Asks the run to save a checkpoint and return after the current batch. */
    public void requestStop() {
        stop.set(true);
    }

    /** The saved command line of the run in {@code out}, for {@code --resume}. */
    public static List<String> savedArguments(Path out) {
        return readState(out).arguments();
    }

    public Outcome run() throws IOException {
        Files.createDirectories(options.out().resolve(CHECKPOINT));
        State resumed = Files.exists(options.out().resolve(CHECKPOINT).resolve(STATE)) ? readState(options.out()) : null;
        ImageDecoder decoder = new ImageDecoder(options.maxPixels());
        ImageFolder[] sets = datasets();
        ImageFolder train = sets[0];
        ImageFolder validation = sets[1];
        if (resumed != null && !resumed.classes().equals(train.classes())) {
            throw new IllegalArgumentException("the checkpoint in " + options.out() + " has classes " + resumed.classes()
                    + " but " + options.data() + " has " + train.classes());
        }
        log.printf("classes: %d %s%n", train.classes().size(), train.classes());
        PcaColor.Accumulator pixels = new PcaColor.Accumulator();
        boolean fitPca = options.pca() && (resumed == null || resumed.pca() == null);
        train = readable(train, decoder, fitPca ? pixels : null, "training");
        validation = readable(validation, decoder, null, "validation");
        if (train.samples().isEmpty()) {
            throw new IllegalArgumentException("no readable training images in " + options.data());
        }
        log.printf("training images: %d, validation images: %d%n", train.samples().size(), validation.samples().size());
        PcaColor pca = !options.pca() ? null : fitPca ? pixels.fit() : resumed.pca();
        if (pca != null) {
            log.printf("PCA colour: eigenvalues %s (0-1 scale), sigma %.3g%n",
                    java.util.Arrays.toString(pca.eigenvalues()), options.pcaSigma());
        }
        Augmentation augmentation = new Augmentation(options.randomCrops(), options.flips(), pca, options.pcaSigma());

        AlexNetWeights initial = resumed != null ? new NpyWeightsReader().read(options.out().resolve(WEIGHTS))
                : initialWeights(train.classes().size());
        int classes = train.classes().size();
        if (initial.architecture().classes() != classes) {
            throw new IllegalArgumentException("the weights have " + initial.architecture().classes()
                    + " outputs but the dataset has " + classes + " classes");
        }
        log.printf("network: %s, %,d parameters, %s%n", initial.architecture(), initial.parameterCount(),
                options.from() == null ? "from scratch" : "fine-tuned from " + options.from()
                        + (options.freezeConvolutions() ? " with conv1-conv5 frozen" : ""));
        try (TrainableAlexNet net = new TrainableAlexNet(initial, DataType.FLOAT)) {
            Sgd sgd = new Sgd(options.learningRate(), options.momentum(), options.weightDecay());
            State state;
            if (resumed != null) {
                Map<String, org.nd4j.linalg.api.ndarray.INDArray> velocities = net.split(new NpyWeightsReader()
                        .read(options.out().resolve(CHECKPOINT).resolve(MOMENTUM)));
                sgd.restore(velocities);
                sgd.learningRate(resumed.learningRate());
                state = resumed;
                log.printf("resuming at epoch %d, batch %d, learning rate %g%n", state.epochsDone() + 1,
                        state.batchesDone(), state.learningRate());
            } else {
                state = new State(arguments, train.classes(), pca, 0, 0, options.learningRate(),
                        -Double.MAX_VALUE, Double.MAX_VALUE, 0, List.of(), "running");
            }
            Files.writeString(options.out().resolve(LABELS), String.join("\n", train.classes()) + "\n", StandardCharsets.UTF_8);
            return loop(net, sgd, state, train, validation, augmentation, decoder);
        }
    }

    private ImageFolder[] datasets() {
        ImageFolder data = ImageFolder.scan(options.data());
        if (options.validation() != null) {
            ImageFolder validation = ImageFolder.scan(options.validation());
            if (!validation.classes().equals(data.classes())) {
                throw new IllegalArgumentException("the validation folder's classes " + validation.classes()
                        + " differ from the training folder's " + data.classes());
            }
            return new ImageFolder[] {data, validation};
        }
        if (options.validationSplit() > 0) {
            return data.split(options.validationSplit(), options.seed());
        }
        return new ImageFolder[] {data, data.withSamples(List.of())};
    }

    /** Drops the files that do not decode, with a warning each, and feeds the PCA the rest. */
    private ImageFolder readable(ImageFolder set, ImageDecoder decoder, PcaColor.Accumulator pixels, String what) {
        List<ImageFolder.Sample> kept = new ArrayList<>();
        for (ImageFolder.Sample sample : set.samples()) {
            try {
                DecodedImage image = decoder.decode(Files.readAllBytes(sample.file()));
                kept.add(sample);
                if (pixels != null) {
                    float[] rgb = Resizer.resize(image.rgb(), image.width(), image.height(), 64, 64);
                    for (int i = 0; i < rgb.length; i += 3) {
                        pixels.add(new double[] {rgb[i] / 255.0, rgb[i + 1] / 255.0, rgb[i + 2] / 255.0});
                    }
                }
            } catch (IOException | RuntimeException e) {
                log.printf("skipping %s image %s: %s%n", what, sample.file(), e.getMessage());
            }
        }
        return set.withSamples(kept);
    }

    private AlexNetWeights initialWeights(int classes) {
        if (options.from() != null) {
            return new NpyWeightsReader().read(options.from()).withNewClassifier(classes, options.seed());
        }
        AlexNetArchitecture widths = options.widths() == null ? AlexNetArchitecture.FULL : options.widths();
        AlexNetArchitecture target = widths.withClasses(classes);
        return options.heInit() ? AlexNetWeights.heForTraining(target, options.seed()) : AlexNetWeights.forTraining(target, options.seed());
    }

    private record Batch(float[] input, int[] labels, int n) {
    }

    private static final Batch END = new Batch(new float[0], new int[0], 0);

    private Outcome loop(TrainableAlexNet net, Sgd sgd, State state, ImageFolder train, ImageFolder validation,
                         Augmentation augmentation, ImageDecoder decoder) throws IOException {
        List<EpochMetrics> history = new ArrayList<>(state.history());
        double best = state.bestScore();
        double bestLoss = state.bestLoss();
        int waited = state.epochsWithoutImprovement();
        int batchesPerEpoch = (train.samples().size() + options.batch() - 1) / options.batch();
        boolean trainConvolutions = !options.freezeConvolutions();
        for (int epoch = state.epochsDone() + 1; epoch <= options.epochs(); epoch++) {
            int skip = epoch == state.epochsDone() + 1 ? state.batchesDone() : 0;
            List<ImageFolder.Sample> order = new ArrayList<>(train.samples());
            ImageFolder.shuffle(order, new SplittableRandom(mix(options.seed(), epoch, 0)));
            BlockingQueue<Batch> queue = new ArrayBlockingQueue<>(2);
            int e = epoch;
            Thread loader = new Thread(() -> load(order, skip, e, augmentation, decoder, queue), "train-loader");
            loader.setDaemon(true);
            loader.start();
            progress.start(epoch, options.epochs(), batchesPerEpoch, skip);
            long start = System.nanoTime();
            double lossSum = 0;
            int correct = 0;
            int images = 0;
            int batchIndex = skip;
            try {
                while (true) {
                    if (stop.get()) {
                        loader.interrupt();
                        progress.interrupted();
                        save(net, sgd, new State(arguments, train.classes(), augmentation.pca(), epoch - 1, batchIndex,
                                sgd.learningRate(), best, bestLoss, waited, history, "interrupted"));
                        log.printf("stopped: checkpoint saved at epoch %d, batch %d of %d; resume with --resume --out %s%n",
                                epoch, batchIndex, batchesPerEpoch, options.out());
                        return Outcome.INTERRUPTED;
                    }
                    Batch batch = queue.take();
                    if (batch == END) {
                        break;
                    }
                    TrainableAlexNet.StepResult result = net.step(batch.input(), batch.n(), batch.labels(),
                            new SplittableRandom(mix(options.seed(), epoch, batchIndex + 1)), trainConvolutions, sgd);
                    if (!Double.isFinite(result.loss())) {
                        throw new IllegalStateException("the loss diverged to " + result.loss() + " at epoch " + epoch
                                + ", batch " + (batchIndex + 1) + "; lower --lr (now " + sgd.learningRate() + ")");
                    }
                    lossSum += result.loss() * batch.n();
                    correct += result.correct();
                    images += batch.n();
                    batchIndex++;
                    progress.batch(batchIndex, images, lossSum / images, (System.nanoTime() - start) / 1e9);
                }
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", ex);
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            double[] val = validation.samples().isEmpty() ? null : evaluate(net, validation, decoder);
            EpochMetrics metrics = new EpochMetrics(epoch, sgd.learningRate(), images,
                    images == 0 ? Double.NaN : lossSum / images, images == 0 ? Double.NaN : (double) correct / images,
                    val == null ? null : val[0], val == null ? null : val[1], val == null ? null : val[2],
                    images / seconds, seconds);
            history.add(metrics);
            progress.end(metrics);
            // Better top-1, or the same top-1 at a lower loss (so that a perfect top-1 does not stall the schedule).
            double score = val != null ? val[1] : 0;
            double loss = val != null ? val[0] : metrics.trainLoss();
            if (score > best + 1e-9 || (score > best - 1e-9 && loss < bestLoss - 1e-9)) {
                best = score;
                bestLoss = loss;
                waited = 0;
            } else if (++waited >= options.learningRatePatience()) {
                sgd.learningRate(sgd.learningRate() * options.learningRateFactor());
                waited = 0;
                log.printf("%s stopped improving: learning rate now %g%n", val != null ? "validation" : "training loss",
                        sgd.learningRate());
            }
            save(net, sgd, new State(arguments, train.classes(), augmentation.pca(), epoch, 0, sgd.learningRate(), best, bestLoss, waited,
                    history, epoch == options.epochs() ? "completed" : "running"));
        }
        log.printf("done: %s, %s, %s in %s%n", WEIGHTS, LABELS, REPORT, options.out());
        return Outcome.COMPLETED;
    }

    private void load(List<ImageFolder.Sample> order, int skip, int epoch, Augmentation augmentation, ImageDecoder decoder,
                      BlockingQueue<Batch> queue) {
        int size = Augmentation.CROP * Augmentation.CROP * 3;
        try {
            for (int from = skip * options.batch(); from < order.size(); from += options.batch()) {
                int n = Math.min(options.batch(), order.size() - from);
                float[] input = new float[n * size];
                int[] labels = new int[n];
                int filled = 0;
                for (int i = 0; i < n; i++) {
                    ImageFolder.Sample sample = order.get(from + i);
                    try {
                        DecodedImage image = decoder.decode(Files.readAllBytes(sample.file()));
                        float[] tensor = augmentation.tensor(image,
                                new SplittableRandom(mix(options.seed(), epoch, key(sample))));
                        System.arraycopy(tensor, 0, input, filled * size, size);
                        labels[filled++] = sample.label();
                    } catch (IOException | RuntimeException e) {
                        log.printf("skipping %s: %s%n", sample.file(), e.getMessage());
                    }
                }
                if (filled > 0) {
                    queue.put(filled == n ? new Batch(input, labels, n)
                            : new Batch(java.util.Arrays.copyOf(input, filled * size), java.util.Arrays.copyOf(labels, filled), filled));
                }
            }
            queue.put(END);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** [mean cross-entropy, top-1 accuracy, top-5 accuracy] on center crops. */
    private double[] evaluate(TrainableAlexNet net, ImageFolder set, ImageDecoder decoder) throws IOException {
        int size = Augmentation.CROP * Augmentation.CROP * 3;
        int classes = set.classes().size();
        int chunk = Math.min(64, options.batch());
        double loss = 0;
        int top1 = 0;
        int top5 = 0;
        int count = 0;
        List<ImageFolder.Sample> samples = set.samples();
        for (int from = 0; from < samples.size(); from += chunk) {
            int n = Math.min(chunk, samples.size() - from);
            float[] input = new float[n * size];
            for (int i = 0; i < n; i++) {
                DecodedImage image = decoder.decode(Files.readAllBytes(samples.get(from + i).file()));
                System.arraycopy(Augmentation.evaluationTensor(image), 0, input, i * size, size);
            }
            float[] prob = net.predict(input, n);
            for (int i = 0; i < n; i++) {
                int label = samples.get(from + i).label();
                float[] row = java.util.Arrays.copyOfRange(prob, i * classes, (i + 1) * classes);
                loss -= Math.log(Math.max(row[label], 1e-30));
                int[] top = TopK.indices(row, 5);
                top1 += top[0] == label ? 1 : 0;
                for (int t : top) {
                    top5 += t == label ? 1 : 0;
                }
                count++;
            }
        }
        return new double[] {loss / count, (double) top1 / count, (double) top5 / count};
    }

    private void save(TrainableAlexNet net, Sgd sgd, State state) throws IOException {
        NpyWeightsWriter writer = new NpyWeightsWriter();
        Path checkpoint = options.out().resolve(CHECKPOINT);
        writer.write(net.toWeights(WeightsSource.file(WEIGHTS, null)), options.out().resolve(WEIGHTS));
        writer.write(net.join(sgd.velocities(), WeightsSource.file(MOMENTUM, null)), checkpoint.resolve(MOMENTUM));
        writeJson(checkpoint.resolve(STATE), state);
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("status", state.status());
        report.put("arguments", state.arguments());
        report.put("configuration", options);
        report.put("network", net.architecture());
        report.put("classes", state.classes());
        report.put("pca", state.pca());
        report.put("learningRate", state.learningRate());
        report.put("epochs", state.history());
        writeJson(options.out().resolve(REPORT), report);
    }

    private static void writeJson(Path file, Object value) throws IOException {
        Path temp = file.resolveSibling(file.getFileName() + ".partial");
        Files.writeString(temp, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(value), StandardCharsets.UTF_8);
        Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static State readState(Path out) {
        Path file = out.resolve(CHECKPOINT).resolve(STATE);
        if (!Files.exists(file)) {
            throw new IllegalArgumentException("no checkpoint in " + out + " (expected " + file + ")");
        }
        try {
            return JSON.readValue(Files.readString(file), State.class);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    /** An image's identity for its random draws: its path below the data folder, the same wherever the folder is. */
    private long key(ImageFolder.Sample sample) {
        Path file = sample.file();
        return (file.startsWith(options.data()) ? options.data().relativize(file) : file).toString().hashCode();
    }

    /** A seed for one (epoch, item) from the run's seed, so that a resumed run draws the same numbers. */
    static long mix(long seed, long epoch, long item) {
        long z = seed * 0x9E3779B97F4A7C15L + epoch * 0xBF58476D1CE4E5B9L + item * 0x94D049BB133111EBL;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
