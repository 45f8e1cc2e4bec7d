package dev.alexnet.service.api;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;

import org.springframework.test.context.DynamicPropertyRegistry;

/**
 * A free port on 127.0.0.1 for a Spring test's gRPC server, known before the context starts (Spring
 * gRPC does not report the port it bound), so that the test's client can dial it.
 */
public final class GrpcTestPort {

    private GrpcTestPort() {
    }

    public static int free() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Binds the context's gRPC server to 127.0.0.1:{@code port} (Spring gRPC takes the port from the address when one is given). */
    public static void bind(DynamicPropertyRegistry properties, int port) {
        properties.add("spring.grpc.server.address", () -> "127.0.0.1:" + port);
    }
}
