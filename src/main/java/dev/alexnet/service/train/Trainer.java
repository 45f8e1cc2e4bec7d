package dev.alexnet.service.train;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.atomic.AtomicBoolean;

import dev.alexnet.service.model.AlexNetArchitecture;
import dev.alexnet.service.model.weights.AlexNetWeights;
import dev.alexnet.service.model.weights.NpyWeightsReader;
import dev.alexnet.service.model.network.TrainableAlexNet;
import dev.alexnet.service.preprocess.DecodedImage;
import dev.alexnet.service.preprocess.ImageDecoder;
import dev.alexnet.service.preprocess.Resizer;
import org.nd4j.linalg.api.buffer.DataType;

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

    /** How a run ended: all epochs done, or stopped with a checkpoint to resume from. */
    public enum Ending { COMPLETED, INTERRUPTED }

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
    private final CheckpointStore store;

    /**
     * @param arguments the command line, saved so that a resumed run uses the same configuration
     */
    public Trainer(Options options, List<String> arguments, Progress progress, PrintStream log) {
        this.options = options;
        this.arguments = List.copyOf(arguments);
        this.progress = progress;
        this.log = log;
        this.store = new CheckpointStore(options.out());
    }

    /** Asks the run to save a checkpoint and return after the current batch. */
    public void requestStop() {
        stop.set(true);
    }

    /** The saved command line of the run in {@code out}, for {@code --resume}. */
    public static List<String> savedArguments(Path out) {
        return new CheckpointStore(out).readState().arguments();
    }

    public Ending run() throws IOException {
        store.create();
        State resumed = store.hasState() ? store.readState() : null;
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

        AlexNetWeights initial = resumed != null ? new NpyWeightsReader().read(store.weights())
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
                sgd.restore(net.split(store.momentum()));
                sgd.learningRate(resumed.learningRate());
                state = resumed;
                log.printf("resuming at epoch %d, batch %d, learning rate %g%n", state.epochsDone() + 1,
                        state.batchesDone(), state.learningRate());
            } else {
                state = new State(arguments, train.classes(), pca, 0, 0, options.learningRate(),
                        -Double.MAX_VALUE, Double.MAX_VALUE, 0, List.of(), "running");
            }
            store.writeLabels(train.classes());
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

    private Ending loop(TrainableAlexNet net, Sgd sgd, State state, ImageFolder train, ImageFolder validation,
                         Augmentation augmentation, ImageDecoder decoder) throws IOException {
        List<EpochMetrics> history = new ArrayList<>(state.history());
        PlateauSchedule schedule = new PlateauSchedule(options.learningRatePatience(), options.learningRateFactor(),
                state.bestScore(), state.bestLoss(), state.epochsWithoutImprovement());
        int batchesPerEpoch = (train.samples().size() + options.batch() - 1) / options.batch();
        boolean trainConvolutions = !options.freezeConvolutions();
        for (int epoch = state.epochsDone() + 1; epoch <= options.epochs(); epoch++) {
            int skip = epoch == state.epochsDone() + 1 ? state.batchesDone() : 0;
            List<ImageFolder.Sample> order = new ArrayList<>(train.samples());
            ImageFolder.shuffle(order, new SplittableRandom(mix(options.seed(), epoch, 0)));
            BlockingQueue<BatchLoader.Batch> queue = new ArrayBlockingQueue<>(2);
            Thread loader = new BatchLoader(order, skip, epoch, options.batch(), options.seed(), options.data(), augmentation, decoder,
                    queue, log).start();
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
                        store.save(net, sgd, new State(arguments, train.classes(), augmentation.pca(), epoch - 1, batchIndex,
                                sgd.learningRate(), schedule.best(), schedule.bestLoss(), schedule.waited(), history, "interrupted"), options);
                        log.printf("stopped: checkpoint saved at epoch %d, batch %d of %d; resume with --resume --out %s%n",
                                epoch, batchIndex, batchesPerEpoch, options.out());
                        return Ending.INTERRUPTED;
                    }
                    BatchLoader.Batch batch = queue.take();
                    if (batch == BatchLoader.END) {
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
            double[] val = validation.samples().isEmpty() ? null : Evaluation.evaluate(net, validation, decoder, options.batch());
            EpochMetrics metrics = new EpochMetrics(epoch, sgd.learningRate(), images,
                    images == 0 ? Double.NaN : lossSum / images, images == 0 ? Double.NaN : (double) correct / images,
                    val == null ? null : val[0], val == null ? null : val[1], val == null ? null : val[2],
                    images / seconds, seconds);
            history.add(metrics);
            progress.end(metrics);
            double score = val != null ? val[1] : 0;
            double rate = schedule.next(score, val != null ? val[0] : metrics.trainLoss(), sgd.learningRate());
            if (rate != sgd.learningRate()) {
                sgd.learningRate(rate);
                log.printf("%s stopped improving: learning rate now %g%n", val != null ? "validation" : "training loss", rate);
            }
            store.save(net, sgd, new State(arguments, train.classes(), augmentation.pca(), epoch, 0, sgd.learningRate(), schedule.best(),
                    schedule.bestLoss(), schedule.waited(),
                    history, epoch == options.epochs() ? "completed" : "running"), options);
        }
        log.printf("done: %s, %s, %s in %s%n", WEIGHTS, LABELS, REPORT, options.out());
        return Ending.COMPLETED;
    }

    /** A seed for one (epoch, item) from the run's seed, so that a resumed run draws the same numbers. */
    static long mix(long seed, long epoch, long item) {
        long z = seed * 0x9E3779B97F4A7C15L + epoch * 0xBF58476D1CE4E5B9L + item * 0x94D049BB133111EBL;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
