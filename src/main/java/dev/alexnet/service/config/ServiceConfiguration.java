package dev.alexnet.service.config;

import dev.alexnet.service.classify.Classifier;
import java.time.Duration;

import dev.alexnet.service.engine.Batcher;
import dev.alexnet.service.engine.ForwardPass;
import dev.alexnet.service.engine.InferenceEngine;
import dev.alexnet.service.engine.PassTimes;
import dev.alexnet.service.metrics.AlexNetMetrics;
import dev.alexnet.service.model.Labels;
import dev.alexnet.service.model.runtime.LoadingGarbage;
import dev.alexnet.service.preprocess.ImageDecoder;
import dev.alexnet.service.preprocess.Preprocessor;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.availability.ApplicationAvailability;
import org.springframework.boot.availability.AvailabilityChangeEvent;
import org.springframework.boot.availability.ReadinessState;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.ApplicationContext;
import org.springframework.context.ApplicationListener;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.event.ContextClosedEvent;

/** Labels, preprocessing, the batcher and the classification use case, and the order in which they stop. */
@Configuration(proxyBeanMethods = false)
public class ServiceConfiguration {

    private static final Duration MIN_DEFAULT_QUEUE_WAIT = Duration.ofSeconds(1);

    private static Duration max(Duration a, Duration b) {
        return a.compareTo(b) >= 0 ? a : b;
    }

    @Bean
    Labels labels(ModelProperties model, InferenceEngine engine) {
        Labels labels = model.labels() == null ? Labels.imagenet() : Labels.read(model.labels());
        return labels.requireCount(engine.architecture().classes());
    }

    @Bean
    Preprocessor preprocessor(PreprocessingProperties preprocessing, LimitsProperties limits) {
        return new Preprocessor(new ImageDecoder(limits.maxPixels()), Preprocessor.Mode.parse(preprocessing.mode()),
                preprocessing.maxConcurrentDecodes(), preprocessing.scaledJpeg());
    }

    @Bean
    Classifier classifier(Preprocessor preprocessor, Batcher batcher, InferenceEngine engine, Labels labels, AlexNetMetrics metrics,
                          LimitsProperties limits) {
        return new Classifier(preprocessor, batcher, engine, labels, metrics, limits.maxImagesPerRequest());
    }

    @Bean
    AlexNetMetrics alexNetMetrics(MeterRegistry registry) {
        return new AlexNetMetrics(registry);
    }

    /** What the batcher runs its batches on: the engine (tests put a fault injector here). */
    @Bean
    ForwardPass batchForwardPass(InferenceEngine engine) {
        return engine::infer;
    }

    @Bean(destroyMethod = "close")
    Batcher batcher(@Qualifier("batchForwardPass") ForwardPass forwardPass, InferenceEngine engine,
                    BatchingProperties batching, AlexNetMetrics metrics, ApplicationAvailability availability,
                    @Value("${server.tomcat.threads.max:200}") int requestThreads) {
        if (requestThreads <= batching.queueCapacity()) {
            // Requests wait for their batch on a request thread. With fewer threads than queue places the queue
            // can never fill, so nothing is refused: the excess waits unseen in Tomcat's accept queue instead.
            org.slf4j.LoggerFactory.getLogger(ServiceConfiguration.class).warn(
                    "server.tomcat.threads.max ({}) is not above alexnet.batching.queue-capacity ({}): under overload, requests "
                            + "will wait in Tomcat's accept queue instead of getting 503; raise the threads or lower the capacity",
                    requestThreads, batching.queueCapacity());
        }
        PassTimes times = engine.passTimes();
        // By default, a full queue's passes on an idle machine; never below the floor, which leaves time to decode an
        // upload even on a busy machine with a small queue.
        Duration maxQueueWait = batching.maxQueueWait() != null ? batching.maxQueueWait()
                : max(Duration.ofNanos(times.drainNanos(batching.queueCapacity(), batching.maxBatchSize())), MIN_DEFAULT_QUEUE_WAIT);
        org.slf4j.LoggerFactory.getLogger(ServiceConfiguration.class).info(
                "Inference queue: at most {} images and {} of work ({}); a pass takes {} ms at batch 1 and {} ms at batch {} here",
                batching.queueCapacity(),
                maxQueueWait.isZero() ? "no time bound" : String.format(java.util.Locale.ROOT, "%.2f s", maxQueueWait.toNanos() / 1e9),
                batching.maxQueueWait() != null ? "alexnet.batching.max-queue-wait"
                        : "a full queue's passes at the speed measured at start, at least " + MIN_DEFAULT_QUEUE_WAIT.toMillis() + " ms",
                times.nanos(1) / 1_000_000, times.nanos(batching.maxBatchSize()) / 1_000_000, batching.maxBatchSize());
        Batcher batcher = new Batcher(forwardPass, new Batcher.Settings(batching.maxBatchSize(), batching.maxDelay(),
                batching.queueCapacity(), batching.timeout(), maxQueueWait, times), metrics, true);
        metrics.bind(engine, batcher, () -> engine.isWarm() && batcher.isAccepting()
                && availability.getReadinessState() == ReadinessState.ACCEPTING_TRAFFIC);
        return batcher;
    }

    /**
     * Before readiness (Spring publishes it after this event), one full collection frees what reading
     * the weights left in the heap: G1 would otherwise keep it, and serve with a heap twice the size
     * and young pauses five times as long ({@link LoadingGarbage}).
     */
    @Bean
    ApplicationListener<ApplicationReadyEvent> releaseLoadingGarbage(ApplicationContext context) {
        return event -> {
            if (event.getApplicationContext() == context) {
                org.slf4j.LoggerFactory.getLogger(ServiceConfiguration.class).info(
                        "Freed what loading left in the heap before taking traffic: {}", LoadingGarbage.release());
            }
        };
    }

    /**
     * On shutdown (SIGTERM) readiness goes down and new work is refused with 503; for
     * {@code alexnet.shutdown.drain-delay} the server keeps answering (so that requests already on
     * their way get a 503 rather than a closed connection) before it stops accepting connections and
     * waits for queued and in-flight requests to complete.
     */
    @Bean
    ApplicationListener<ContextClosedEvent> drainOnShutdown(Batcher batcher, ApplicationContext context,
                                                            @Value("${alexnet.shutdown.drain-delay:1s}") Duration drainDelay) {
        return event -> {
            if (event.getApplicationContext() == context) {
                AvailabilityChangeEvent.publish(context, ReadinessState.REFUSING_TRAFFIC);
                batcher.stopAccepting();
                try {
                    Thread.sleep(drainDelay.toMillis());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        };
    }
}
