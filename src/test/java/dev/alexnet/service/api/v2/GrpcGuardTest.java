package dev.alexnet.service.api.v2;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import dev.alexnet.service.api.http.ApiKeys;
import dev.alexnet.service.api.v2.proto.GRPCInferenceServiceGrpc;
import dev.alexnet.service.api.v2.proto.ModelInferRequest;
import dev.alexnet.service.api.v2.proto.ModelMetadataRequest;
import dev.alexnet.service.api.v2.proto.ServerLiveRequest;
import dev.alexnet.service.api.v2.proto.ServerMetadataRequest;
import dev.alexnet.service.config.SecurityProperties;
import dev.alexnet.service.engine.Batcher;
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

/**
 * API keys as gRPC metadata, over a real loopback connection: UNAUTHENTICATED without one, health
 * calls open, request ids echoed; and ModelInfer refused from its headers when the queue is full or
 * the service drains.
 */
class GrpcGuardTest {

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final AlexNetMetrics metrics = new AlexNetMetrics(registry);
    /** A queue of one image whose passes never finish: one reservation fills it. */
    private final Batcher batcher = new Batcher((input, n) -> {
        throw new IllegalStateException("no pass runs in these tests");
    }, new Batcher.Settings(1, Duration.ZERO, 1, Duration.ofSeconds(10)));
    private Server server;
    private ManagedChannel channel;

    @BeforeEach
    void start() throws Exception {
        // The calls made here never reach the classifier: serverLive and serverMetadata do not use it,
        // and refused calls stop in the guard (a ModelInfer that reached the service would fail on its null registry).
        ApiKeys keys = new ApiKeys(new SecurityProperties(List.of("s3cret"), List.of()));
        server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .addService(ServerInterceptors.intercept(new GrpcInferenceService(null, null, metrics),
                        new GrpcGuard(keys, batcher, metrics)))
                .build().start();
        channel = NettyChannelBuilder.forAddress("127.0.0.1", server.getPort()).usePlaintext().build();
    }

    @AfterEach
    void stop() throws Exception {
        channel.shutdownNow();
        server.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
        batcher.close();
    }

    @Test
    void modelInferIsRefusedUnreadWhileTheQueueIsFullAndWhileTheServiceDrains() {
        Metadata key = new Metadata();
        key.put(GrpcGuard.API_KEY, "s3cret");
        AtomicReference<Metadata> trailers = new AtomicReference<>();
        ModelInferRequest request = ModelInferRequest.newBuilder().setModelName("alexnet").build();
        Batcher.Reservation full = batcher.reserve(1);
        assertThatThrownBy(() -> stub(key, trailers).modelInfer(request))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
                    assertThat(e.getStatus().getDescription()).contains("queue is full");
                    com.google.rpc.Status details = io.grpc.protobuf.StatusProto.fromThrowable(e);
                    assertThat(details).isNotNull();
                    assertThat(details.getDetailsList()).anyMatch(d -> d.is(com.google.rpc.RetryInfo.class));
                });
        assertThat(registry.get("alexnet.rejected").tag("reason", "queue_full").counter().count()).isEqualTo(1);
        assertThat(registry.get("alexnet.requests").tag("endpoint", "grpc_infer").tag("outcome", "rejected").tag("model", "none").counter().count())
                .isEqualTo(1);
        full.close();
        batcher.stopAccepting();
        assertThatThrownBy(() -> stub(key, trailers).modelInfer(request))
                .isInstanceOfSatisfying(StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
        assertThat(registry.get("alexnet.rejected").tag("reason", "shutting_down").counter().count()).isEqualTo(1);
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
