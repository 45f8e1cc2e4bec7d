package dev.alexnet.service.config;

import java.time.Duration;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Dynamic batching and backpressure.
 *
 * @param maxBatchSize  images per forward pass; 1 turns batching off
 * @param maxDelay      how long the first waiting image waits for others
 * @param queueCapacity images that may wait; past it requests get 503 at once
 * @param timeout       each request's deadline
 * @param maxQueueWait  the most work the queue may hold, as time at the engine's current speed; past
 *                      it requests get 503 at once. Unset: a full queue's passes at the speed
 *                      measured at start, at least 1 s; zero: no time bound, only the image count
 */
@ConfigurationProperties("alexnet.batching")
public record BatchingProperties(@DefaultValue("32") int maxBatchSize, @DefaultValue("5ms") Duration maxDelay,
                                 @DefaultValue("256") int queueCapacity, @DefaultValue("30s") Duration timeout,
                                 Duration maxQueueWait) {
}
