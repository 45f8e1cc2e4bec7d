package dev.alexnet.service.api;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

import dev.alexnet.service.engine.Batcher;
import dev.alexnet.service.engine.InferenceEngine;
import dev.alexnet.service.metrics.AlexNetMetrics;
import dev.alexnet.service.model.Labels;
import dev.alexnet.service.model.TopK;
import dev.alexnet.service.preprocess.Preprocessor;
import org.springframework.stereotype.Service;

/** Runs a request's images through preprocessing and the batcher, and shapes the answers. */
@Service
class ClassificationService {

    private final Preprocessor preprocessor;
    private final Batcher batcher;
    private final InferenceEngine engine;
    private final Labels labels;
    private final AlexNetMetrics metrics;
    private final int maxImages;

    ClassificationService(Preprocessor preprocessor, Batcher batcher, InferenceEngine engine, Labels labels, AlexNetMetrics metrics,
                          dev.alexnet.service.config.LimitsProperties limits) {
        this.maxImages = limits.maxImagesPerRequest();
        this.preprocessor = preprocessor;
        this.batcher = batcher;
        this.engine = engine;
        this.labels = labels;
        this.metrics = metrics;
    }

    /** An image's decoded size, and its outputs. */
    record Classified(Upload upload, Preprocessor.Preprocessed input, Batcher.ImageOutput output) {
    }

    /** The outputs for all images of a request, in order, and the request's timings. */
    record Outcome(List<Classified> images, ApiModels.Timings timings) {
    }

    Outcome run(List<Upload> uploads) {
        long start = System.nanoTime();
        List<Preprocessor.Preprocessed> inputs = new ArrayList<>(uploads.size());
        long decodeNanos = 0;
        List<Batcher.ImageOutput> outputs;
        // Room in the queue is taken before decoding: an overloaded server answers 503 without spending CPU.
        try (Batcher.Reservation reservation = batcher.reserve(uploads.size())) {
            for (Upload upload : uploads) {
                Preprocessor.Preprocessed p = preprocessor.preprocess(upload.bytes());
                metrics.preprocessed(p.decodeNanos());
                decodeNanos += p.decodeNanos();
                inputs.add(p);
            }
            outputs = await(batcher.submit(reservation, inputs.stream().map(Preprocessor.Preprocessed::tensor).toList()));
        }
        List<Classified> classified = new ArrayList<>(uploads.size());
        long queue = 0;
        long inference = 0;
        for (int i = 0; i < uploads.size(); i++) {
            Batcher.ImageOutput out = outputs.get(i);
            queue = Math.max(queue, out.queueNanos());
            inference = Math.max(inference, out.inferenceNanos());
            classified.add(new Classified(uploads.get(i), inputs.get(i), out));
        }
        return new Outcome(classified, new ApiModels.Timings(ms(decodeNanos), ms(queue), ms(inference), ms(System.nanoTime() - start)));
    }

    /** Runs preprocessed tensors (the v2 protocol's input) through the batcher. */
    List<Batcher.ImageOutput> runTensors(List<float[]> tensors) {
        return await(batcher.submit(tensors));
    }

    static <T> T await(java.util.concurrent.CompletableFuture<T> future) {
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

    List<ApiModels.Prediction> top(float[] probabilities, int k) {
        int[] top = TopK.indices(probabilities, k);
        List<ApiModels.Prediction> result = new ArrayList<>(top.length);
        for (int r = 0; r < top.length; r++) {
            result.add(new ApiModels.Prediction(r + 1, top[r], labels.name(top[r]), probabilities[top[r]]));
        }
        return result;
    }

    ApiModels.ModelDescription model() {
        return new ApiModels.ModelDescription("alexnet", engine.source().name(), engine.source().sha256(), labels.source(),
                engine.architecture().classes());
    }

    ApiModels.ModelInfo modelInfo() {
        return new ApiModels.ModelInfo("alexnet", engine.source().name(), engine.source().sha256(), engine.source().isRandom(),
                labels.source(), engine.architecture().classes(),
                preprocessor.mode().name().toLowerCase(java.util.Locale.ROOT).replace('_', '-'), preprocessor.jpegDecoding(),
                engine.backend().nativeBuild(), engine.backend().device(),
                engine.densePath() == null ? null : engine.densePath().path().toLowerCase(java.util.Locale.ROOT), maxImages);
    }

    Labels labels() {
        return labels;
    }

    InferenceEngine engine() {
        return engine;
    }

    private static double ms(long nanos) {
        return Math.round(nanos / 1e4) / 100.0;
    }
}
