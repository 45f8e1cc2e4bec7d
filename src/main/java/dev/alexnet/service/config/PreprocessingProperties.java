package dev.alexnet.service.config;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Image preprocessing.
 *
 * @param mode                 {@code center-crop} (resize to 256x256, crop the central 227x227) or {@code resize} (to 227x227)
 * @param maxConcurrentDecodes full-size decodes at once; bounds the heap that large uploads can take
 */
@ConfigurationProperties("alexnet.preprocessing")
public record PreprocessingProperties(@DefaultValue("center-crop") String mode, @DefaultValue("4") int maxConcurrentDecodes) {
}
