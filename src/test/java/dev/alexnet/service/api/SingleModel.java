package dev.alexnet.service.api;

import dev.alexnet.service.classify.Classifier;
import dev.alexnet.service.classify.ModelRegistry;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;

/** For controller slices: the service without a repository, serving the (mocked) classifier as alexnet/1. */
@TestConfiguration(proxyBeanMethods = false)
public class SingleModel {

    @Bean
    ModelRegistry modelRegistry(Classifier classifier) {
        return ModelRegistry.single(classifier);
    }
}
