package dev.alexnet.service.config;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import dev.alexnet.service.classify.Classifier;
import dev.alexnet.service.classify.ModelRegistry;
import dev.alexnet.service.classify.VersionLoader;
import dev.alexnet.service.engine.Batcher;
import dev.alexnet.service.engine.InferenceEngine;
import dev.alexnet.service.engine.InferenceThread;
import dev.alexnet.service.engine.PassSetting;
import dev.alexnet.service.model.Precision;
import dev.alexnet.service.metrics.AlexNetMetrics;
import dev.alexnet.service.model.repository.ModelRepository;
import dev.alexnet.service.preprocess.ImageDecoder;
import dev.alexnet.service.preprocess.Preprocessor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The models served: without {@code alexnet.model-repository.path} the one model the service
 * started with (as before); with it, every model of the repository, loaded at start (one that
 * fails is UNAVAILABLE with its reason and the rest are served), and in {@code poll} mode followed
 * as the folder changes.
 */
@Configuration(proxyBeanMethods = false)
public class RepositoryConfiguration {

    private static final Logger log = LoggerFactory.getLogger(RepositoryConfiguration.class);

    /** The registry, and what it started (the repository's inference thread, the poll), stopped after it. */
    static final class Served implements DisposableBean {
        final ModelRegistry registry;
        private final InferenceThread inferenceThread;
        private final ScheduledExecutorService poller;

        Served(ModelRegistry registry, InferenceThread inferenceThread, ScheduledExecutorService poller) {
            this.registry = registry;
            this.inferenceThread = inferenceThread;
            this.poller = poller;
        }

        @Override
        public void destroy() {
            if (poller != null) {
                poller.shutdownNow();
            }
            registry.close();
            if (inferenceThread != null) {
                inferenceThread.shutdown();
            }
        }
    }

    @Bean
    Served servedModels(Classifier classifier, RepositoryProperties repository, ModelProperties model, Batcher batcher,
                        AlexNetMetrics metrics, PreprocessingProperties preprocessing, LimitsProperties limits,
                        BatchingProperties batching, BackendProperties backend) {
        if (repository.path() == null) {
            ModelRegistry single = ModelRegistry.single(classifier);
            metrics.bindLoadedModels(single::loadedCount);
            return new Served(single, null, null);
        }
        // The repository's versions share one inference thread: passes never overlap (the batcher runs one at a
        // time), and one thread's workspace serves them all.
        InferenceThread inferenceThread = InferenceEngine.newInferenceThread();
        Preprocessor.Mode mode = Preprocessor.Mode.parse(preprocessing.mode());
        VersionLoader loader = new VersionLoader(batcher, inferenceThread, metrics, mode,
                m -> new Preprocessor(new ImageDecoder(limits.maxPixels()), m, preprocessing.maxConcurrentDecodes(),
                        preprocessing.scaledJpeg()),
                batching.maxBatchSize(), limits.maxImagesPerRequest(), PassSetting.parse(backend.forwardPass()),
                Precision.parse(model.precision()));
        String defaultModel = model.defaultModel() == null || model.defaultModel().isBlank() ? null : model.defaultModel().trim();
        ModelRegistry registry = new ModelRegistry(new ModelRepository(repository.path()), loader, repository.maxLoaded(),
                batching.timeout().toMillis(), defaultModel);
        registry.listener((name, version, success) -> metrics.modelLoads(success).increment());
        metrics.bindLoadedModels(registry::loadedCount);
        registry.loadAll();
        log.info("Model repository {} ({} control): serving {}; default model {}", registry.repository().root(),
                repository.controlMode().name().toLowerCase(java.util.Locale.ROOT), registry.readyModels(),
                registry.defaultModel() == null ? "none (requests must name one)" : registry.defaultModel());
        ScheduledExecutorService poller = null;
        if (repository.controlMode() == RepositoryProperties.Control.POLL) {
            poller = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "alexnet-repository-poll");
                t.setDaemon(true);
                return t;
            });
            long every = repository.pollInterval().toMillis();
            poller.scheduleWithFixedDelay(() -> {
                try {
                    registry.poll();
                } catch (RuntimeException e) {
                    log.warn("Repository poll failed: {}", e.toString());
                }
            }, every, every, TimeUnit.MILLISECONDS);
        }
        return new Served(registry, inferenceThread, poller);
    }

    @Bean
    ModelRegistry modelRegistry(Served served) {
        return served.registry;
    }

    /**
     * Part of readiness ({@code management.endpoint.health.group.readiness.include}): UP when the
     * default model (without a default, any model) has a READY version, so that a replica whose
     * default model failed to load takes no traffic while its other models stay inspectable.
     */
    @Bean
    org.springframework.boot.health.contributor.HealthIndicator modelsHealthIndicator(ModelRegistry registry) {
        return () -> {
            String name = registry.defaultModel();
            var health = registry.defaultReady() ? org.springframework.boot.health.contributor.Health.up()
                    : org.springframework.boot.health.contributor.Health.down();
            return health.withDetail("defaultModel", name == null ? "none" : name).withDetail("ready", registry.readyModels()).build();
        };
    }
}
