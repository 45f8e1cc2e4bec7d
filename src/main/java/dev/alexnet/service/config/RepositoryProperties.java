package dev.alexnet.service.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * A model repository: several models and versions, changed live.
 *
 * @param path         the folder ({@code ALEXNET_MODEL_REPOSITORY}): {@code DIR/<model>/<version>/weights.npy}
 *                     and {@code labels.txt}, optional {@code DIR/<model>/model.json}; unset serves the one
 *                     model of {@code alexnet.weights} as before
 * @param control      {@code none} (the repository is read at start only; no repository endpoints),
 *                     {@code explicit} (the {@code /v2/repository} endpoints load and unload) or
 *                     {@code poll} (the folder is followed every {@code pollInterval}, and the endpoints too)
 * @param pollInterval how often {@code poll} looks at the folder
 * @param maxLoaded    the most versions loaded at once, over every model: each full-size AlexNet holds
 *                     about 240 MB of weights
 */
@ConfigurationProperties("alexnet.model-repository")
public record RepositoryProperties(Path path, @DefaultValue("none") String control, @DefaultValue("30s") Duration pollInterval,
                                   @DefaultValue("4") int maxLoaded) {

    /** How the repository may change while the service runs. */
    public enum Control { NONE, EXPLICIT, POLL }

    public RepositoryProperties {
        mode(control);
        if (maxLoaded < 1) {
            throw new IllegalArgumentException("alexnet.model-repository.max-loaded must be at least 1: " + maxLoaded);
        }
        if (pollInterval.isNegative() || pollInterval.isZero()) {
            throw new IllegalArgumentException("alexnet.model-repository.poll-interval must be positive: " + pollInterval);
        }
    }

    public Control controlMode() {
        return mode(control);
    }

    private static Control mode(String control) {
        return switch (control.trim().toLowerCase(Locale.ROOT)) {
            case "none", "" -> Control.NONE;
            case "explicit" -> Control.EXPLICIT;
            case "poll" -> Control.POLL;
            default -> throw new IllegalArgumentException("alexnet.model-repository.control must be none, explicit or poll: " + control);
        };
    }
}
