package dev.alexnet.service.config;

import dev.alexnet.service.engine.DensePathProbe;
import dev.alexnet.service.engine.EngineLoader;
import dev.alexnet.service.engine.InferenceEngine;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The singleton engine: weights are read, and start-up fails on a bad file, before the server takes traffic. */
@Configuration(proxyBeanMethods = false)
public class EngineConfiguration {

    @Bean(destroyMethod = "close")
    InferenceEngine inferenceEngine(ModelProperties model, BackendProperties backend, BatchingProperties batching) {
        InferenceEngine engine = EngineLoader.load(model.weights(), model.randomSeed(), backend.cpuExtension());
        engine.warmUp(batching.maxBatchSize(), DensePathProbe.Setting.parse(backend.batchOneDense()));
        return engine;
    }
}
