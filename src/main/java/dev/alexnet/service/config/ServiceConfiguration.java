package dev.alexnet.service.config;

import java.time.Duration;

import dev.alexnet.service.engine.Batcher;
import dev.alexnet.service.engine.ForwardPass;
import dev.alexnet.service.engine.InferenceEngine;
import dev.alexnet.service.metrics.AlexNetMetrics;
import dev.alexnet.service.model.Labels;
import dev.alexnet.service.preprocess.ImageDecoder;
import dev.alexnet.service.preprocess.Preprocessor;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.availability.ApplicationAvailability;
import org.springframework.boot.availability.AvailabilityChangeEvent;
import org.springframework.boot.availability.ReadinessState;
import org.springframework.context.ApplicationContext;
import org.springframework.context.ApplicationListener;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.event.ContextClosedEvent;

/** Labels, preprocessing and the batcher, and the order in which they stop. */
@Configuration(proxyBeanMethods = false)
public class ServiceConfiguration {

    @Bean
    Labels labels(ModelProperties model, InferenceEngine engine) {
        Labels labels = model.labels() == null ? Labels.imagenet() : Labels.read(model.labels());
        return labels.requireCount(engine.architecture().classes());
    }

    @Bean
    Preprocessor preprocessor(PreprocessingProperties preprocessing, LimitsProperties limits) {
        return new Preprocessor(new ImageDecoder(limits.maxPixels()), Preprocessor.Mode.parse(preprocessing.mode()),
                preprocessing.maxConcurrentDecodes());
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
        Batcher batcher = new Batcher(forwardPass, new Batcher.Settings(batching.maxBatchSize(), batching.maxDelay(),
                batching.queueCapacity(), batching.timeout()), metrics);
        metrics.bind(engine, batcher, () -> engine.isWarm() && batcher.isAccepting()
                && availability.getReadinessState() == ReadinessState.ACCEPTING_TRAFFIC);
        return batcher;
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
