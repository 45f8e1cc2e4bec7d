package dev.alexnet.service.api.v2;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import com.google.protobuf.ByteString;
import dev.alexnet.service.api.v2.proto.GRPCInferenceServiceGrpc;
import dev.alexnet.service.api.v2.proto.InferParameter;
import dev.alexnet.service.api.v2.proto.ModelInferRequest;
import dev.alexnet.service.api.v2.proto.ModelInferResponse;
import dev.alexnet.service.api.v2.proto.ModelMetadataRequest;
import dev.alexnet.service.api.v2.proto.ServerLiveRequest;
import dev.alexnet.service.api.v2.proto.ServerReadyRequest;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The gRPC endpoint on a real port with a real gRPC client: the same answers as REST bit for bit,
 * the protocol's error codes, a message over the size limit refused, health checking on, metrics.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {"alexnet.weights=", "alexnet.batching.max-delay=0ms", "spring.grpc.server.max-inbound-message-size=32MB"})
class GrpcEndToEndTest {

    private static final int IMAGE = 3 * 227 * 227;
    private static final int GRPC_PORT = freePort();
    private static ManagedChannel channel;

    @LocalServerPort
    private int httpPort;

    @Autowired
    private MeterRegistry registry;

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @DynamicPropertySource
    static void grpc(DynamicPropertyRegistry properties) {
        // Spring gRPC takes the port from the address when one is given.
        properties.add("spring.grpc.server.address", () -> "127.0.0.1:" + GRPC_PORT);
    }

    private static GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub stub() {
        if (channel == null) {
            channel = ManagedChannelBuilder.forAddress("127.0.0.1", GRPC_PORT).usePlaintext().maxInboundMessageSize(64 << 20).build();
        }
        return GRPCInferenceServiceGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS);
    }

    @AfterAll
    static void close() {
        if (channel != null) {
            channel.shutdownNow();
        }
    }

    private static float[] image(int seed) {
        float[] data = new float[IMAGE];
        SplittableRandom random = new SplittableRandom(seed);
        for (int i = 0; i < data.length; i++) {
            data[i] = (random.nextInt(2048) - 1024) / 8f;
        }
        return data;
    }

    private static ByteString raw(float[] values) {
        ByteBuffer buffer = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        buffer.asFloatBuffer().put(values);
        return ByteString.copyFrom(buffer.array());
    }

    private static ModelInferRequest.Builder request(String model, long n, float[] data) {
        return ModelInferRequest.newBuilder().setModelName(model).setId("grpc-1")
                .addInputs(ModelInferRequest.InferInputTensor.newBuilder().setName("data").setDatatype("FP32")
                        .addShape(n).addShape(3).addShape(227).addShape(227))
                .addRawInputContents(raw(data));
    }

    @Test
    void healthMetadataAndInferenceAnswerAsRestDoesBitForBit() throws Exception {
        assertThat(stub().serverLive(ServerLiveRequest.getDefaultInstance()).getLive()).isTrue();
        assertThat(stub().serverReady(ServerReadyRequest.getDefaultInstance()).getReady()).isTrue();
        assertThat(HealthGrpc.newBlockingStub(channel).check(HealthCheckRequest.getDefaultInstance()).getStatus())
                .isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
        var metadata = stub().modelMetadata(ModelMetadataRequest.newBuilder().setName("alexnet").build());
        assertThat(metadata.getInputs(0).getShapeList()).containsExactly(-1L, 3L, 227L, 227L);
        assertThat(metadata.getOutputs(1).getName()).isEqualTo("fc7");

        float[] data = image(3);
        double before = registry.find("alexnet.requests").tag("endpoint", "grpc_infer").tag("outcome", "success").counters().stream()
                .mapToDouble(c -> c.count()).sum();
        ModelInferResponse answer = stub().modelInfer(request("alexnet", 1, data)
                .addOutputs(ModelInferRequest.InferRequestedOutputTensor.newBuilder().setName("prob"))
                .addOutputs(ModelInferRequest.InferRequestedOutputTensor.newBuilder().setName("fc7")
                        .putParameters("classification", InferParameter.newBuilder().setInt64Param(2).build()))
                .build());
        assertThat(answer.getId()).isEqualTo("grpc-1");
        assertThat(answer.getOutputs(0).getShapeList()).containsExactly(1L, 1000L);
        assertThat(answer.getOutputs(1).getDatatype()).isEqualTo("BYTES");

        StringBuilder json = new StringBuilder("{\"inputs\":[{\"name\":\"data\",\"datatype\":\"FP32\",\"shape\":[1,3,227,227],\"data\":[");
        for (int i = 0; i < data.length; i++) {
            json.append(i == 0 ? "" : ",").append(data[i]);
        }
        json.append("]}],\"outputs\":[{\"name\":\"prob\"},{\"name\":\"fc7\",\"parameters\":{\"classification\":2}}]}");
        HttpResponse<String> rest = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + httpPort + "/v2/models/alexnet/infer"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json.toString())).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(rest.statusCode()).isEqualTo(200);
        JsonNode outputs = JsonMapper.builder().build().readTree(rest.body()).get("outputs");
        ByteBuffer prob = answer.getRawOutputContents(0).asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < 1000; i++) {
            assertThat(Float.floatToIntBits(prob.getFloat())).isEqualTo(Float.floatToIntBits(outputs.get(0).get("data").get(i).floatValue()));
        }
        ByteBuffer strings = answer.getRawOutputContents(1).asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < 2; i++) {
            byte[] s = new byte[strings.getInt()];
            strings.get(s);
            assertThat(new String(s, StandardCharsets.UTF_8)).isEqualTo(outputs.get(1).get("data").get(i).asString()).matches("[0-9.-]+:[0-9]+");
        }
        double after = registry.find("alexnet.requests").tag("endpoint", "grpc_infer").tag("outcome", "success").counters().stream()
                .mapToDouble(c -> c.count()).sum();
        assertThat(after - before).isEqualTo(1);
    }

    private static void assertStatus(ModelInferRequest request, Status.Code code, String mentions) {
        assertThatThrownBy(() -> stub().modelInfer(request)).isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
            assertThat(e.getStatus().getCode()).isEqualTo(code);
            assertThat(e.getStatus().getDescription()).contains(mentions);
        });
    }

    @Test
    void hostileRequestsGetAStatusAndTheServiceServesAfterwards() {
        float[] data = image(4);
        assertStatus(request("resnet", 1, data).build(), Status.Code.NOT_FOUND, "resnet");
        assertStatus(request("alexnet", 2, data).build(), Status.Code.INVALID_ARGUMENT, "needs 309174");
        assertStatus(request("alexnet", 1, data).setRawInputContents(0, ByteString.copyFrom(new byte[7])).build(),
                Status.Code.INVALID_ARGUMENT, "not a whole number of FP32 values");
        ModelInferRequest.Builder fp64 = request("alexnet", 1, data);
        fp64.setInputs(0, fp64.getInputs(0).toBuilder().setDatatype("FP64"));
        assertStatus(fp64.build(), Status.Code.INVALID_ARGUMENT, "FP64");
        assertStatus(request("alexnet", 1, data).addRawInputContents(raw(data)).build(), Status.Code.INVALID_ARGUMENT,
                "2 raw_input_contents for 1 inputs");
        assertStatus(request("alexnet", 1, data).addOutputs(ModelInferRequest.InferRequestedOutputTensor.newBuilder().setName("fc9")).build(),
                Status.Code.INVALID_ARGUMENT, "fc9");
        float[] beyond = data.clone();
        beyond[10] = Float.POSITIVE_INFINITY;
        assertStatus(request("alexnet", 1, beyond).build(), Status.Code.INVALID_ARGUMENT, "index 10");
        // 40 MB: over this test's 32 MB message limit.
        assertThatThrownBy(() -> stub().modelInfer(request("alexnet", 65, new float[65 * IMAGE]).build()))
                .isInstanceOfSatisfying(StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED));
        assertThat(stub().modelInfer(request("alexnet", 1, data).build()).getRawOutputContentsCount()).isEqualTo(1);
    }
}
