package dev.alexnet.service.api.v2;

import io.grpc.netty.NettyServerBuilder;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.grpc.server.ServerBuilderCustomizer;

/**
 * Bounds on the gRPC server beyond the message size (which is Spring's
 * {@code spring.grpc.server.max-inbound-message-size}). grpc-java lets one connection open
 * unbounded concurrent streams, and each ModelInfer holds its message (up to 64 MB) while it
 * waits: a client that opens 500 streams at once could pin gigabytes. The server advertises
 * HTTP/2 MAX_CONCURRENT_STREAMS instead, so a well-behaved client queues the extra calls on its
 * side and one that ignores the setting has its streams refused by the protocol.
 */
@Configuration(proxyBeanMethods = false)
class GrpcServerLimits {

    @Bean
    ServerBuilderCustomizer<NettyServerBuilder> grpcConcurrentCalls(
            @Value("${alexnet.grpc.max-concurrent-calls-per-connection:100}") int maxCalls) {
        if (maxCalls < 1) {
            throw new IllegalArgumentException("alexnet.grpc.max-concurrent-calls-per-connection must be at least 1: " + maxCalls);
        }
        return builder -> builder.maxConcurrentCallsPerConnection(maxCalls);
    }
}
