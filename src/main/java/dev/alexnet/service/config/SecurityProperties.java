package dev.alexnet.service.config;

import java.util.List;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Optional API-key authentication of the API endpoints.
 *
 * @param apiKeys accepted keys ({@code ALEXNET_SECURITY_API_KEYS}, comma-separated); empty = no authentication
 */
@ConfigurationProperties("alexnet.security")
public record SecurityProperties(@DefaultValue List<String> apiKeys) {
}
