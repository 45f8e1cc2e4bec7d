package dev.alexnet.service.config;

import java.util.List;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Optional API-key authentication of the API endpoints.
 *
 * @param apiKeys      accepted keys ({@code ALEXNET_SECURITY_API_KEYS}, comma-separated); empty = no authentication
 * @param adminApiKeys keys that may also change the model repository ({@code ALEXNET_SECURITY_ADMIN_API_KEYS});
 *                     when any key is configured, the repository endpoints need one of these
 */
@ConfigurationProperties("alexnet.security")
public record SecurityProperties(@DefaultValue List<String> apiKeys, @DefaultValue List<String> adminApiKeys) {
}
