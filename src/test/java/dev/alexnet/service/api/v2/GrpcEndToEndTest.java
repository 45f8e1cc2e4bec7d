package dev.alexnet.service.api.v2;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.DataInputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import com.google.protobuf.ByteString;
import com.google.protobuf.DescriptorProtos;
import dev.alexnet.service.api.GrpcTestPort;
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
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.grpc.reflection.v1.ServerReflectionRequest;
import io.grpc.reflection.v1.ServerReflectionResponse;
import io.grpc.stub.StreamObserver;
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
    private static final int GRPC_PORT = GrpcTestPort.free();
    private static ManagedChannel channel;

    @LocalServerPort
    private int httpPort;

    @Autowired
    private MeterRegistry registry;


    @DynamicPropertySource
    static void grpc(DynamicPropertyRegistry properties) {
        GrpcTestPort.bind(properties, GRPC_PORT);
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

    @Test
    void reflectionListsTheProtocolAndServesItsDescriptor() throws Exception {
        stub();
        List<ServerReflectionResponse> answers = new CopyOnWriteArrayList<>();
        CountDownLatch done = new CountDownLatch(1);
        StreamObserver<ServerReflectionRequest> requests = ServerReflectionGrpc.newStub(channel)
                .serverReflectionInfo(new StreamObserver<>() {
                    @Override
                    public void onNext(ServerReflectionResponse value) {
                        answers.add(value);
                    }

                    @Override
                    public void onError(Throwable t) {
                        done.countDown();
                    }

                    @Override
                    public void onCompleted() {
                        done.countDown();
                    }
                });
        requests.onNext(ServerReflectionRequest.newBuilder().setListServices("").build());
        requests.onNext(ServerReflectionRequest.newBuilder().setFileContainingSymbol("inference.GRPCInferenceService").build());
        requests.onCompleted();
        assertThat(done.await(30, TimeUnit.SECONDS)).isTrue();
        assertThat(answers).hasSize(2);
        assertThat(answers.get(0).getListServicesResponse().getServiceList()).extracting(s -> s.getName())
                .contains("inference.GRPCInferenceService", "grpc.health.v1.Health");
        DescriptorProtos.FileDescriptorProto file = DescriptorProtos.FileDescriptorProto.parseFrom(
                answers.get(1).getFileDescriptorResponse().getFileDescriptorProto(0));
        assertThat(file.getPackage()).isEqualTo("inference");
        assertThat(file.getServiceList()).singleElement().satisfies(service -> assertThat(service.getMethodList())
                .extracting(m -> m.getName())
                .contains("ServerLive", "ServerReady", "ModelReady", "ServerMetadata", "ModelMetadata", "ModelInfer"));
    }

    /** The stream limit is on the wire: the server's first HTTP/2 SETTINGS frame carries MAX_CONCURRENT_STREAMS = 100. */
    @Test
    void theServerAdvertisesItsStreamLimitInItsHttp2Settings() throws Exception {
        try (Socket socket = new Socket("127.0.0.1", GRPC_PORT)) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.write(new byte[] {0, 0, 0, 4, 0, 0, 0, 0, 0}); // an empty SETTINGS frame
            out.flush();
            DataInputStream in = new DataInputStream(socket.getInputStream());
            int length = (in.readUnsignedByte() << 16) | in.readUnsignedShort();
            int type = in.readUnsignedByte();
            in.readUnsignedByte(); // flags
            in.readInt(); // stream 0
            assertThat(type).as("the first frame is SETTINGS").isEqualTo(4);
            Map<Integer, Long> settings = new java.util.HashMap<>();
            for (int read = 0; read < length; read += 6) {
                settings.put(in.readUnsignedShort(), in.readInt() & 0xFFFFFFFFL);
            }
            assertThat(settings).containsEntry(0x3, 100L);
        }
    }

    /**
     * 500 calls at once on one connection: the server advertises at most 100 concurrent streams,
     * so the client queues the rest; every call ends with a status (answered, or refused with a
     * RetryInfo because the queue is full or past its time bound), none is lost, and the service
     * serves afterwards.
     */
    @Test
    void fiveHundredStreamsOnOneConnectionEachGetAStatus() throws Exception {
        ManagedChannel crowd = ManagedChannelBuilder.forAddress("127.0.0.1", GRPC_PORT).usePlaintext().build();
        try {
            ModelInferRequest one = request("alexnet", 1, image(5)).build();
            GRPCInferenceServiceGrpc.GRPCInferenceServiceStub async = GRPCInferenceServiceGrpc.newStub(crowd)
                    .withDeadlineAfter(120, TimeUnit.SECONDS);
            Map<Status.Code, AtomicInteger> codes = new ConcurrentHashMap<>();
            CountDownLatch finished = new CountDownLatch(500);
            for (int i = 0; i < 500; i++) {
                async.modelInfer(one, new StreamObserver<>() {
                    @Override
                    public void onNext(ModelInferResponse value) {
                    }

                    @Override
                    public void onError(Throwable t) {
                        Status.Code code = Status.fromThrowable(t).getCode();
                        com.google.rpc.Status detail = io.grpc.protobuf.StatusProto.fromThrowable(t);
                        boolean retryInfo = detail != null && detail.getDetailsList().stream()
                                .anyMatch(a -> a.is(com.google.rpc.RetryInfo.class));
                        // The server's refusals (a full queue, or its time bound: REST's 503s) carry a RetryInfo.
                        codes.computeIfAbsent(code == Status.Code.OK || retryInfo ? code : Status.Code.UNKNOWN, c -> new AtomicInteger())
                                .incrementAndGet();
                        finished.countDown();
                    }

                    @Override
                    public void onCompleted() {
                        codes.computeIfAbsent(Status.Code.OK, c -> new AtomicInteger()).incrementAndGet();
                        finished.countDown();
                    }
                });
            }
            assertThat(finished.await(150, TimeUnit.SECONDS)).as("every call ended: %s", codes).isTrue();
            System.out.println("500 streams on one connection ended as " + codes);
            assertThat(codes.keySet()).as("codes %s", codes)
                    .isSubsetOf(Status.Code.OK, Status.Code.RESOURCE_EXHAUSTED, Status.Code.DEADLINE_EXCEEDED);
            assertThat(codes.get(Status.Code.OK)).as("codes %s", codes).isNotNull();
            assertThat(codes.values().stream().mapToInt(AtomicInteger::get).sum()).isEqualTo(500);
        } finally {
            crowd.shutdownNow();
        }
        assertThat(stub().modelInfer(request("alexnet", 1, image(6)).build()).getRawOutputContentsCount()).isEqualTo(1);
    }
}
