package dev.alexnet.service.metrics;

import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import dev.alexnet.service.engine.Batcher;
import dev.alexnet.service.engine.InferenceEngine;
import dev.alexnet.service.model.runtime.BackendInfo;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import org.bytedeco.javacpp.Pointer;

/**
 * The service's own meters, in base units (seconds, bytes), with explicit histogram buckets so
 * that quantiles aggregate across replicas, and only low-cardinality tags (no file names, no user
 * input). Prometheus names: {@code alexnet_requests_total}, {@code alexnet_images_total},
 * {@code alexnet_request_duration_seconds}, {@code alexnet_queue_wait_seconds},
 * {@code alexnet_preprocess_seconds}, {@code alexnet_inference_seconds}, {@code alexnet_batch_size},
 * {@code alexnet_queue_depth}, {@code alexnet_queue_capacity}, {@code alexnet_queue_work_seconds},
 * {@code alexnet_queue_work_limit_seconds}, {@code alexnet_inflight_requests},
 * {@code alexnet_rejected_total}, {@code alexnet_model_info}, {@code alexnet_model_load_seconds},
 * {@code alexnet_native_memory_bytes}, {@code alexnet_ready}.
 */
public final class AlexNetMetrics implements Batcher.Listener {

    /** Latency buckets, 5 ms to 30 s. */
    static final Duration[] LATENCY_BUCKETS = {
            Duration.ofMillis(5), Duration.ofMillis(10), Duration.ofMillis(25), Duration.ofMillis(50), Duration.ofMillis(100),
            Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofMillis(2500),
            Duration.ofSeconds(5), Duration.ofSeconds(10), Duration.ofSeconds(30)};
    /** Preprocessing buckets, 0.5 ms to 1 s. */
    static final Duration[] PREPROCESS_BUCKETS = {
            Duration.ofNanos(500_000), Duration.ofMillis(1), Duration.ofMillis(2), Duration.ofMillis(5), Duration.ofMillis(10),
            Duration.ofMillis(25), Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofSeconds(1)};
    static final double[] BATCH_BUCKETS = {1, 2, 4, 8, 16, 32, 64};

    /** The API endpoints that are metered. */
    public enum Endpoint {
        CLASSIFY, FEATURES, V2_INFER, GRPC_INFER;

        public String tag() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** How a request ended. */
    public enum Outcome {
        SUCCESS, CLIENT_ERROR, REJECTED, TIMEOUT, ERROR;

        public String tag() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** Why a request was refused, as {@code alexnet_rejected_total}'s {@code reason}. */
    public enum RejectReason {
        QUEUE_FULL, TIMEOUT, SHUTTING_DOWN, TOO_LARGE, BAD_IMAGE, UNSUPPORTED;

        public String tag() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private final MeterRegistry registry;
    private final Timer queueWait;
    private final Timer preprocess;
    private final Timer inference;
    private final DistributionSummary batchSize;
    private final AtomicInteger inflight = new AtomicInteger();

    public AlexNetMetrics(MeterRegistry registry) {
        this.registry = registry;
        this.queueWait = Timer.builder("alexnet.queue.wait").description("Time an image waited for its forward pass")
                .serviceLevelObjectives(LATENCY_BUCKETS).register(registry);
        this.preprocess = Timer.builder("alexnet.preprocess").description("Decoding and preprocessing time per image")
                .serviceLevelObjectives(PREPROCESS_BUCKETS).register(registry);
        this.inference = Timer.builder("alexnet.inference").description("Forward pass time per batch")
                .serviceLevelObjectives(LATENCY_BUCKETS).register(registry);
        this.batchSize = DistributionSummary.builder("alexnet.batch.size").description("Images per forward pass")
                .serviceLevelObjectives(BATCH_BUCKETS).register(registry);
        Gauge.builder("alexnet.inflight.requests", inflight, AtomicInteger::get)
                .description("API requests being handled").register(registry);
        for (Endpoint endpoint : Endpoint.values()) {
            for (Outcome outcome : Outcome.values()) {
                requests(endpoint, outcome);
            }
            images(endpoint);
            duration(endpoint);
        }
        for (RejectReason reason : RejectReason.values()) {
            rejected(reason);
        }
        modelLoads(true);
        modelLoads(false);
        Gauge.builder("alexnet.native.memory", Pointer::totalBytes).tag("kind", "total").baseUnit("bytes")
                .description("Off-heap bytes allocated through JavaCPP (ND4J arrays and workspaces)").register(registry);
        Gauge.builder("alexnet.native.memory", Pointer::physicalBytes).tag("kind", "physical").baseUnit("bytes")
                .description("Resident bytes of the process as JavaCPP measures them").register(registry);
    }

    /** Registers the model's and the batcher's gauges. */
    public void bind(InferenceEngine engine, Batcher batcher, java.util.function.BooleanSupplier ready) {
        BackendInfo backend = engine.backend();
        Gauge.builder("alexnet.model.info", () -> 1)
                .tag("weights", engine.source().name())
                .tag("sha256", engine.source().sha256() == null ? "none" : engine.source().sha256())
                .tag("backend", backend.nativeBuild())
                .tag("device", backend.device())
                .description("The model being served; always 1").register(registry);
        Gauge.builder("alexnet.model.load", engine, InferenceEngine::loadSeconds).baseUnit("seconds")
                .description("Time taken to load the weights").register(registry);
        Gauge.builder("alexnet.queue.depth", batcher, Batcher::queueDepth)
                .description("Images waiting for a forward pass, including those being decoded").register(registry);
        Gauge.builder("alexnet.queue.capacity", batcher, b -> b.settings().queueCapacity())
                .description("Images that may wait").register(registry);
        Gauge.builder("alexnet.queue.work", batcher, b -> b.estimatedWaitNanos(0) / 1e9).baseUnit("seconds")
                .description("The queue's work at the engine's recent speed: how long a new image would wait").register(registry);
        Gauge.builder("alexnet.queue.work.limit", batcher, b -> b.settings().maxQueueWait().toNanos() / 1e9).baseUnit("seconds")
                .description("The most work the queue takes before refusing (0: no time bound)").register(registry);
        Gauge.builder("alexnet.ready", () -> ready.getAsBoolean() ? 1 : 0)
                .description("1 when the service is ready for traffic").register(registry);
    }

    /** The tag value of a request that never reached a model (refused before, or a path without one). */
    public static final String NO_MODEL = "none";

    public Counter requests(Endpoint endpoint, Outcome outcome) {
        return requests(endpoint, outcome, NO_MODEL, NO_MODEL);
    }

    /**
     * Requests by endpoint, outcome, and the model and version that served them: tags of low
     * cardinality, since model names are the operator's and versions are few.
     */
    public Counter requests(Endpoint endpoint, Outcome outcome, String model, String version) {
        return Counter.builder("alexnet.requests").tag("endpoint", endpoint.tag()).tag("outcome", outcome.tag())
                .tag("model", model).tag("version", version)
                .description("API requests by endpoint, outcome, model and version").register(registry);
    }

    public Counter images(Endpoint endpoint) {
        return images(endpoint, NO_MODEL, NO_MODEL);
    }

    public Counter images(Endpoint endpoint, String model, String version) {
        return Counter.builder("alexnet.images").tag("endpoint", endpoint.tag()).tag("model", model).tag("version", version)
                .description("Images classified").register(registry);
    }

    public Timer duration(Endpoint endpoint) {
        return duration(endpoint, NO_MODEL, NO_MODEL);
    }

    public Timer duration(Endpoint endpoint, String model, String version) {
        return Timer.builder("alexnet.request.duration").tag("endpoint", endpoint.tag()).tag("model", model).tag("version", version)
                .description("API request duration").serviceLevelObjectives(LATENCY_BUCKETS).register(registry);
    }

    public Counter rejected(RejectReason reason) {
        return Counter.builder("alexnet.rejected").tag("reason", reason.tag())
                .description("Requests refused, by reason").register(registry);
    }

    /** A model version load finished: {@code alexnet_model_loads_total{outcome="success"|"failure"}}. */
    public Counter modelLoads(boolean success) {
        return Counter.builder("alexnet.model.loads").tag("outcome", success ? "success" : "failure")
                .description("Model version loads (start-up and live), by outcome").register(registry);
    }

    /** {@code alexnet_models_loaded}: the model versions being served now. */
    public void bindLoadedModels(java.util.function.IntSupplier loaded) {
        Gauge.builder("alexnet.models.loaded", loaded::getAsInt).description("Model versions being served").register(registry);
    }

    public void preprocessed(long nanos) {
        preprocess.record(nanos, TimeUnit.NANOSECONDS);
    }

    /** The in-flight request count behind {@code alexnet_inflight_requests}; the request filter moves it. */
    public AtomicInteger inflight() {
        return inflight;
    }

    @Override
    public void batch(int size, long inferenceNanos) {
        batchSize.record(size);
        inference.record(inferenceNanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void queueWait(long nanos) {
        queueWait.record(nanos, TimeUnit.NANOSECONDS);
    }
}
