package dev.alexnet.service.config;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Bounds on what one request may ask for.
 *
 * @param maxImagesPerRequest images in one request ({@code image} parts, or v2 batch size)
 * @param maxPixels           pixels an image's header may declare; larger ones are refused before decoding
 * @param uploadTimeout       the longest a raw image body may take to arrive, however steadily it trickles
 *                            (each read also times out after {@code server.tomcat.connection-timeout})
 */
@ConfigurationProperties("alexnet")
public record LimitsProperties(@DefaultValue("32") int maxImagesPerRequest, @DefaultValue("40000000") long maxPixels,
                               @DefaultValue("30s") java.time.Duration uploadTimeout) {
}
