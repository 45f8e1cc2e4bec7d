package dev.alexnet.service.api.v2;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.TimeUnit;

import com.google.protobuf.ByteString;
import com.google.rpc.RetryInfo;
import dev.alexnet.service.api.GrpcTestPort;
import dev.alexnet.service.api.v2.proto.GRPCInferenceServiceGrpc;
import dev.alexnet.service.api.v2.proto.ModelInferRequest;
import dev.alexnet.service.api.v2.proto.ModelReadyRequest;
import dev.alexnet.service.api.v2.proto.ServerLiveRequest;
import dev.alexnet.service.api.v2.proto.ServerReadyRequest;
import dev.alexnet.service.engine.Batcher;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.availability.AvailabilityChangeEvent;
import org.springframework.boot.availability.ReadinessState;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.context.ApplicationContext;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * A draining replica over gRPC, as the shutdown hook leaves it (readiness refusing traffic, the
 * queue closed): still live, not ready, and an inference call is UNAVAILABLE with a RetryInfo
 * telling the client when to come back, which grpc-java's and Python's retry policies act on.
 */
@SpringBootTest(properties = "alexnet.weights=")
@DirtiesContext
class GrpcDrainingEndToEndTest {

    private static final int GRPC_PORT = GrpcTestPort.free();

    @Autowired
    private Batcher batcher;

    @Autowired
    private ApplicationContext context;


    @DynamicPropertySource
    static void grpc(DynamicPropertyRegistry properties) {
        GrpcTestPort.bind(properties, GRPC_PORT);
    }

    @Test
    void aDrainingReplicaIsLiveNotReadyAndAnswersUnavailableWithRetryInfo() {
        ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", GRPC_PORT).usePlaintext().build();
        try {
            var stub = GRPCInferenceServiceGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
            ModelInferRequest request = ModelInferRequest.newBuilder().setModelName("alexnet")
                    .addInputs(ModelInferRequest.InferInputTensor.newBuilder().setName("data").setDatatype("FP32")
                            .addShape(1).addShape(3).addShape(227).addShape(227))
                    .addRawInputContents(ByteString.copyFrom(new byte[3 * 227 * 227 * 4])).build();
            assertThat(stub.modelInfer(request).getRawOutputContentsCount()).isEqualTo(1);

            AvailabilityChangeEvent.publish(context, ReadinessState.REFUSING_TRAFFIC);
            batcher.stopAccepting();

            assertThat(stub.serverLive(ServerLiveRequest.getDefaultInstance()).getLive()).isTrue();
            assertThat(stub.serverReady(ServerReadyRequest.getDefaultInstance()).getReady()).isFalse();
            assertThat(stub.modelReady(ModelReadyRequest.newBuilder().setName("alexnet").build()).getReady()).isFalse();
            assertThatThrownBy(() -> stub.modelInfer(request)).isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
                com.google.rpc.Status detail = StatusProto.fromThrowable(e);
                assertThat(detail).isNotNull();
                assertThat(detail.getDetailsList()).singleElement().satisfies(any -> {
                    try {
                        assertThat(any.unpack(RetryInfo.class).getRetryDelay().getSeconds()).isEqualTo(5);
                    } catch (com.google.protobuf.InvalidProtocolBufferException ex) {
                        throw new AssertionError(ex);
                    }
                });
            });
        } finally {
            channel.shutdownNow();
        }
    }
}
