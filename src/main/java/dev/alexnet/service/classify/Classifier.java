package dev.alexnet.service.classify;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

import dev.alexnet.service.engine.Batcher;
import dev.alexnet.service.engine.ForwardPass;
import dev.alexnet.service.engine.InferenceEngine;
import dev.alexnet.service.metrics.AlexNetMetrics;
import dev.alexnet.service.model.AlexNetArchitecture;
import dev.alexnet.service.model.Labels;
import dev.alexnet.service.preprocess.ImageRejectedException;
import dev.alexnet.service.preprocess.Preprocessor;

/**
 * The classification use case between the HTTP API and the engine: uploads or preprocessed tensors
 * in, ranked predictions, features and timings out. Both controllers call it, so that the request
 * limit, the top-k rule ({@link TopK}) and the label lookup exist once.
 */
public class Classifier {

    /** The name of the one model the service serves, in answers and in the v2 paths. */
    public static final String MODEL = "alexnet";

    private final Preprocessor preprocessor;
    private final Batcher batcher;
    private final InferenceEngine engine;
    private final Labels labels;
    private final AlexNetMetrics metrics;
    private final int maxImages;
    /** The network this classifier's images go to: null for the batcher's own (the one model served without a repository). */
    private final ForwardPass target;
    private final String name;
    private final String version;

    public Classifier(Preprocessor preprocessor, Batcher batcher, InferenceEngine engine, Labels labels, AlexNetMetrics metrics,
                      int maxImagesPerRequest) {
        this(MODEL, "1", preprocessor, batcher, engine, labels, metrics, maxImagesPerRequest, null);
    }

    /** A model version of the repository: its images go to its own engine, through the shared batcher. */
    public Classifier(String name, String version, Preprocessor preprocessor, Batcher batcher, InferenceEngine engine, Labels labels,
                      AlexNetMetrics metrics, int maxImagesPerRequest) {
        this(name, version, preprocessor, batcher, engine, labels, metrics, maxImagesPerRequest, engine);
    }

    private Classifier(String name, String version, Preprocessor preprocessor, Batcher batcher, InferenceEngine engine, Labels labels,
                       AlexNetMetrics metrics, int maxImagesPerRequest, ForwardPass target) {
        this.name = name;
        this.version = version;
        this.preprocessor = preprocessor;
        this.batcher = batcher;
        this.engine = engine;
        this.labels = labels;
        this.metrics = metrics;
        this.maxImages = maxImagesPerRequest;
        this.target = target;
    }

    /** The model's name ({@link #MODEL} without a repository). */
    public String name() {
        return name;
    }

    /** The model version's number, as text ("1" without a repository). */
    public String version() {
        return version;
    }

    /** The network this classifier's images run on, for the batcher's accounting (an unload waits for it). */
    ForwardPass target() {
        return target == null ? engine : target;
    }

    public Labels labels() {
        return labels;
    }

    /** The outputs for all images of a request, in order, and the request's timings. */
    public record Answer(List<Classified> images, Timings timings) {
    }

    /** Refuses a request of more images than the limit, before any of them is read or decoded. */
    public void checkCount(int images) {
        if (images > maxImages) {
            throw new ClassifyRequestException(ClassifyRequestException.Reason.TOO_MANY_IMAGES,
                    images + " images in one request; the limit is " + maxImages);
        }
    }

    /** Decodes, preprocesses and classifies a request's uploads. */
    public Answer classify(List<Upload> uploads) {
        checkCount(uploads.size());
        long start = System.nanoTime();
        List<Preprocessor.Preprocessed> inputs = new ArrayList<>(uploads.size());
        long decodeNanos = 0;
        List<Batcher.ImageOutput> outputs;
        // Room in the queue is taken before decoding: an overloaded server answers 503 without spending CPU.
        try (Batcher.Reservation reservation = batcher.reserve(uploads.size())) {
            for (Upload upload : uploads) {
                // A decode that starts past the queue's time bound is dropped after it: refuse before spending the CPU.
                Preprocessor.Preprocessed p = preprocessor.preprocessIfStartedBy(upload.bytes(), reservation.decodeStartByNanos())
                        .orElseThrow(reservation::tooLateToDecode);
                metrics.preprocessed(p.decodeNanos());
                decodeNanos += p.decodeNanos();
                inputs.add(p);
            }
            List<float[]> tensors = inputs.stream().map(Preprocessor.Preprocessed::tensor).toList();
            outputs = await(target == null ? batcher.submit(reservation, tensors) : batcher.submit(target, reservation, tensors));
        }
        List<Classified> classified = new ArrayList<>(uploads.size());
        long queue = 0;
        long inference = 0;
        for (int i = 0; i < uploads.size(); i++) {
            Batcher.ImageOutput out = outputs.get(i);
            Preprocessor.Preprocessed in = inputs.get(i);
            queue = Math.max(queue, out.queueNanos());
            inference = Math.max(inference, out.inferenceNanos());
            classified.add(new Classified(uploads.get(i).filename(), in.width(), in.height(), in.tensor(), out.probabilities(),
                    out.features()));
        }
        return new Answer(classified, new Timings(Timings.ms(decodeNanos), Timings.ms(queue), Timings.ms(inference),
                Timings.ms(System.nanoTime() - start)));
    }

    /**
     * One upload's outcome where a bad image must not stop the others (the {@code classify}
     * command over a folder): its answer, or why it was refused.
     */
    public record Outcome(Upload upload, Classified classified, String error) {
        public boolean ok() {
            return classified != null;
        }
    }

    /**
     * Classifies uploads one by one as far as decoding goes: an image that cannot be decoded gets
     * its reason, and the others still ride one batch. Unlike {@link #classify}, the request limit
     * does not apply (the caller chooses the batch), and queue room is taken after decoding, since
     * the caller waits for each batch before sending the next.
     */
    public List<Outcome> classifyEach(List<Upload> uploads) {
        List<Preprocessor.Preprocessed> inputs = new ArrayList<>(uploads.size());
        List<String> errors = new ArrayList<>(uploads.size());
        List<float[]> good = new ArrayList<>(uploads.size());
        for (Upload upload : uploads) {
            try {
                Preprocessor.Preprocessed p = preprocessor.preprocess(upload.bytes());
                metrics.preprocessed(p.decodeNanos());
                inputs.add(p);
                errors.add(null);
                good.add(p.tensor());
            } catch (ImageRejectedException e) {
                inputs.add(null);
                errors.add(e.getMessage());
            }
        }
        List<Batcher.ImageOutput> outputs = await(target == null ? batcher.submit(good) : batcher.submit(target, good));
        List<Outcome> outcomes = new ArrayList<>(uploads.size());
        int next = 0;
        for (int i = 0; i < uploads.size(); i++) {
            Upload upload = uploads.get(i);
            Preprocessor.Preprocessed in = inputs.get(i);
            if (in == null) {
                outcomes.add(new Outcome(upload, null, errors.get(i)));
            } else {
                Batcher.ImageOutput out = outputs.get(next++);
                outcomes.add(new Outcome(upload, new Classified(upload.filename(), in.width(), in.height(), in.tensor(),
                        out.probabilities(), out.features()), null));
            }
        }
        return outcomes;
    }

    /**
     * Classifies {@code n} preprocessed images laid one after another in {@code batch} (the v2
     * protocol's input tensor, [n, 3, 227, 227] row-major), without cutting it apart. Their
     * {@link Classified#input()} is null: the caller holds the batch.
     */
    public List<Classified> classifyTensors(float[] batch, int n) {
        checkCount(n);
        List<Batcher.ImageOutput> outputs = await(target == null ? batcher.submitBatch(batch, n) : batcher.submitBatch(target, batch, n));
        List<Classified> classified = new ArrayList<>(n);
        for (Batcher.ImageOutput out : outputs) {
            classified.add(new Classified(null, AlexNetArchitecture.INPUT_SIZE, AlexNetArchitecture.INPUT_SIZE, null,
                    out.probabilities(), out.features()));
        }
        return classified;
    }

    /** The top k of the class probabilities, labelled; k as {@link TopK#check} allows. */
    public List<Prediction> top(float[] probabilities, int k) {
        return TopK.ranked(probabilities, k, labels);
    }

    /** The top k of any output: labelled for the class probabilities, unlabelled for an output without labels (fc7). */
    public List<Prediction> top(float[] values, int k, boolean labelled) {
        return TopK.ranked(values, k, labelled ? labels : null);
    }

    /** A vector scaled to unit L2 norm (a copy; the zero vector stays zero). */
    public static float[] normalized(float[] v) {
        double sum = 0;
        for (float x : v) {
            sum += (double) x * x;
        }
        float[] out = v.clone();
        if (sum > 0) {
            double inv = 1 / Math.sqrt(sum);
            for (int i = 0; i < out.length; i++) {
                out[i] = (float) (out[i] * inv);
            }
        }
        return out;
    }

    /** How a tensor input must be prepared, for clients that send tensors: channel order, mean, scale, layout. */
    public String inputConvention() {
        float[] mean = Preprocessor.MEAN_BGR;
        return String.format(Locale.ROOT, "BGR, minus mean (%s, %s, %s), 0-255 scale, NCHW", mean[0], mean[1], mean[2]);
    }

    public AlexNetArchitecture architecture() {
        return engine.architecture();
    }

    /** Whether the engine has run its warm-up passes (readiness also needs the application to accept traffic). */
    public boolean isWarm() {
        return engine.isWarm();
    }

    public ModelDescription model() {
        return new ModelDescription(name, engine.source().name(), engine.source().sha256(), labels.source(),
                engine.architecture().classes());
    }

    public ModelInfo info() {
        return new ModelInfo(name, engine.source().name(), engine.source().sha256(), engine.source().isRandom(),
                labels.source(), engine.architecture().classes(),
                preprocessor.mode().name().toLowerCase(Locale.ROOT).replace('_', '-'), preprocessor.jpegDecoding(),
                engine.backend().nativeBuild(), engine.backend().device(), engine.passName(), engine.precision(),
                engine.densePath() == null ? null : engine.densePath().path().toLowerCase(Locale.ROOT), maxImages);
    }

    private static <T> T await(CompletableFuture<T> future) {
        try {
            return future.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for inference", e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause() instanceof CompletionException c && c.getCause() != null ? c.getCause() : e.getCause();
            if (cause instanceof RuntimeException re) {
                throw re;
            }
            throw new IllegalStateException(cause);
        }
    }
}
