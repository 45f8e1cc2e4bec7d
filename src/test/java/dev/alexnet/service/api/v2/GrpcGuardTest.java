package dev.alexnet.service.api.v2;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import dev.alexnet.service.api.http.ApiKeys;
import dev.alexnet.service.api.v2.proto.GRPCInferenceServiceGrpc;
import dev.alexnet.service.api.v2.proto.ModelMetadataRequest;
import dev.alexnet.service.api.v2.proto.ServerLiveRequest;
import dev.alexnet.service.api.v2.proto.ServerMetadataRequest;
import dev.alexnet.service.config.SecurityProperties;
import dev.alexnet.service.metrics.AlexNetMetrics;
import io.grpc.ClientInterceptor;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.MetadataUtils;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** API keys as gRPC metadata, over a real loopback connection: UNAUTHENTICATED without one, health calls open, request ids echoed. */
class GrpcGuardTest {

    private Server server;
    private ManagedChannel channel;

    @BeforeEach
    void start() throws Exception {
        // The calls made here never reach the classifier: serverLive and serverMetadata do not use it,
        // and refused calls stop in the guard.
        ApiKeys keys = new ApiKeys(new SecurityProperties(List.of("s3cret"), List.of()));
        server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .addService(ServerInterceptors.intercept(new GrpcInferenceService(null, null,
                        new AlexNetMetrics(new SimpleMeterRegistry())), new GrpcGuard(keys)))
                .build().start();
        channel = NettyChannelBuilder.forAddress("127.0.0.1", server.getPort()).usePlaintext().build();
    }

    @AfterEach
    void stop() throws Exception {
        channel.shutdownNow();
        server.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    }

    private GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub stub(Metadata headers, AtomicReference<Metadata> trailers) {
        ClientInterceptor send = MetadataUtils.newAttachHeadersInterceptor(headers);
        AtomicReference<Metadata> responseHeaders = new AtomicReference<>();
        return GRPCInferenceServiceGrpc.newBlockingStub(channel)
                .withInterceptors(send, MetadataUtils.newCaptureMetadataInterceptor(responseHeaders, trailers))
                .withDeadlineAfter(10, TimeUnit.SECONDS);
    }

    @Test
    void aKeyIsNeededForModelCallsButNotForLiveness() {
        AtomicReference<Metadata> trailers = new AtomicReference<>();
        assertThat(stub(new Metadata(), trailers).serverLive(ServerLiveRequest.getDefaultInstance()).getLive()).isTrue();
        assertThatThrownBy(() -> stub(new Metadata(), trailers).modelMetadata(ModelMetadataRequest.newBuilder().setName("alexnet").build()))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
                    assertThat(e.getStatus().getDescription()).contains("x-api-key");
                });
        Metadata wrong = new Metadata();
        wrong.put(GrpcGuard.API_KEY, "guess");
        assertThatThrownBy(() -> stub(wrong, trailers).modelMetadata(ModelMetadataRequest.newBuilder().setName("alexnet").build()))
                .isInstanceOfSatisfying(StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getDescription()).isEqualTo("the API key is not valid"));
        Metadata bearer = new Metadata();
        bearer.put(GrpcGuard.AUTHORIZATION, "Bearer s3cret");
        bearer.put(GrpcGuard.REQUEST_ID, "trace-42");
        assertThat(stub(bearer, trailers).serverMetadata(ServerMetadataRequest.getDefaultInstance()).getName())
                .isEqualTo("alexnet-service");
        assertThat(trailers.get().get(GrpcGuard.REQUEST_ID)).isEqualTo("trace-42");
    }
}
