package dev.alexnet.service.config;

import dev.alexnet.service.engine.Batcher;
import dev.alexnet.service.engine.InferenceEngine;
import dev.alexnet.service.model.Labels;
import dev.alexnet.service.preprocess.ImageDecoder;
import dev.alexnet.service.preprocess.Preprocessor;
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

    @Bean(destroyMethod = "close")
    Batcher batcher(InferenceEngine engine, BatchingProperties batching) {
        return new Batcher(engine, new Batcher.Settings(batching.maxBatchSize(), batching.maxDelay(),
                batching.queueCapacity(), batching.timeout()));
    }

    /**
     * On shutdown (SIGTERM) readiness goes down and new work is refused with 503 before the web
     * server drains: queued and in-flight requests still complete.
     */
    @Bean
    ApplicationListener<ContextClosedEvent> drainOnShutdown(Batcher batcher, ApplicationContext context) {
        return event -> {
            if (event.getApplicationContext() == context) {
                AvailabilityChangeEvent.publish(context, ReadinessState.REFUSING_TRAFFIC);
                batcher.stopAccepting();
            }
        };
    }
}
