package dev.alexnet.service.config;

import dev.alexnet.service.engine.DensePathProbe;
import dev.alexnet.service.engine.EngineLoader;
import dev.alexnet.service.engine.InferenceEngine;
import dev.alexnet.service.engine.PassSetting;
import dev.alexnet.service.model.Precision;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The singleton engine: weights are read, and start-up fails on a bad file, before the server takes traffic. */
@Configuration(proxyBeanMethods = false)
public class EngineConfiguration {

    /**
     * With a model repository the models come from there: this network only measures the machine
     * (pass times for the queue's time bound, the batch-1 dense path), then its 233 MB of weights
     * are freed.
     */
    @Bean(destroyMethod = "close")
    InferenceEngine inferenceEngine(ModelProperties model, BackendProperties backend, BatchingProperties batching,
                                    RepositoryProperties repository) {
        boolean fromRepository = repository.path() != null;
        PassSetting pass = PassSetting.parse(backend.forwardPass());
        Precision precision = Precision.parse(model.precision());
        // With a repository the versions compute in the same precision, so the pass times measured here are theirs.
        InferenceEngine engine = fromRepository
                ? EngineLoader.loadForMeasurement(model.randomSeed(), backend.cpuExtension(), pass, precision)
                : EngineLoader.load(model.weights(), model.randomSeed(), backend.cpuExtension(), pass, precision, null);
        engine.warmUp(batching.maxBatchSize(), DensePathProbe.Setting.parse(backend.batchOneDense()));
        if (fromRepository) {
            engine.releaseWeights();
        }
        return engine;
    }
}
