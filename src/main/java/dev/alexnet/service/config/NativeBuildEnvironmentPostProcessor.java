package dev.alexnet.service.config;

import dev.alexnet.service.model.runtime.NativeBuild;
import org.springframework.boot.EnvironmentPostProcessor;
import org.springframework.boot.SpringApplication;
import org.springframework.core.env.ConfigurableEnvironment;

/**
 * Selects the ND4J native build from {@code alexnet.backend.cpu-extension} as soon as the
 * configuration is read, before any bean can load ND4J.
 */
public class NativeBuildEnvironmentPostProcessor implements EnvironmentPostProcessor {

    @Override
    public void postProcessEnvironment(ConfigurableEnvironment environment, SpringApplication application) {
        NativeBuild.select(environment.getProperty("alexnet.backend.cpu-extension", "auto"));
    }
}
