package dev.alexnet.service.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import com.google.protobuf.ByteString;
import dev.alexnet.service.api.v2.proto.GRPCInferenceServiceGrpc;
import dev.alexnet.service.api.v2.proto.ModelInferRequest;
import dev.alexnet.service.api.v2.proto.ModelInferResponse;
import dev.alexnet.service.api.v2.proto.ModelMetadataRequest;
import dev.alexnet.service.model.AlexNetArchitecture;
import dev.alexnet.service.model.repository.RepositoryFixtures;
import dev.alexnet.service.preprocess.TestImages;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;

/**
 * The service on a model repository (real weights files, reduced in size): requests name a model,
 * each answers with its own labels and width, and the repository extension loads, reloads and
 * unloads live, for an admin key only. Ordered: the later steps change the repository.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "alexnet.weights=", "alexnet.model-repository.control=explicit", "alexnet.default-model=alexnet",
        "alexnet.security.api-keys=user-key", "alexnet.security.admin-api-keys=admin-key"})
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RepositoryEndToEndTest {

    private static final Path REPO = repository();

    @LocalServerPort
    int port;

    @org.springframework.beans.factory.annotation.Autowired
    io.micrometer.core.instrument.MeterRegistry meters;

    private static Path repository() {
        try {
            Path repo = Files.createTempDirectory("alexnet-repository-test");
            version(repo, "alexnet", 1, 10, 1);
            version(repo, "flowers", 1, 3, 2);
            Path broken = version(repo, "broken", 1, 10, 3);
            Files.writeString(broken.resolve("labels.txt"), "only\ntwo\n");
            return repo;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    static Path version(Path repo, String model, long version, int classes, long seed) throws IOException {
        return RepositoryFixtures.version(repo, model, version, classes, seed);
    }

    private static final int GRPC_PORT = GrpcTestPort.free();


    @DynamicPropertySource
    static void repository(DynamicPropertyRegistry properties) {
        properties.add("alexnet.model-repository.path", REPO::toString);
        GrpcTestPort.bind(properties, GRPC_PORT);
    }

    @AfterAll
    static void remove() throws IOException {
        RepositoryFixtures.delete(REPO);
    }

    private Http.Response classify(String query) {
        byte[] jpeg = TestImages.jpeg(TestImages.quadrants(300, 200), 0.9f, false);
        return new Http(port).post("/classify" + query, "image/jpeg", jpeg, "X-API-Key", "user-key");
    }

    private Http.Response admin(String path, String key) {
        return new Http(port).post(path, "application/json", new byte[0], key == null ? null : "X-API-Key", key);
    }

    private static String v2Request() {
        StringBuilder json = new StringBuilder("{\"id\":\"r1\",\"inputs\":[{\"name\":\"data\",\"datatype\":\"FP32\",\"shape\":[1,3,227,227],\"data\":[");
        for (int i = 0; i < AlexNetArchitecture.INPUT_FLOATS; i++) {
            json.append(i == 0 ? "" : ",").append((i * 7) % 200 - 100);
        }
        return json.append("]}]}").toString();
    }

    @Test
    @Order(1)
    void requestsNameTheirModelAndGetItsLabelsAndWidth() {
        Http.Response alexnet = classify("");
        assertThat(alexnet.status()).as(alexnet.text()).isEqualTo(200);
        assertThat(alexnet.json().at("/model/name").asString()).isEqualTo("alexnet");
        assertThat(alexnet.json().at("/results/0/predictions/0/label").asString()).startsWith("alexnet class ");

        Http.Response flowers = classify("?model=flowers");
        assertThat(flowers.status()).as(flowers.text()).isEqualTo(200);
        assertThat(flowers.json().at("/model/name").asString()).isEqualTo("flowers");
        assertThat(flowers.json().at("/results/0/predictions")).hasSize(3);
        assertThat(flowers.json().at("/results/0/predictions/0/label").asString()).startsWith("flowers class ");
        assertThat(classify("?model=flowers&topk=4").status()).as("k is bounded by this model's classes").isEqualTo(400);
        assertThat(meters.find("alexnet.requests").tag("model", "flowers").tag("version", "1").tag("outcome", "success").counter().count())
                .as("requests are counted by model and version").isEqualTo(1);
        assertThat(meters.find("alexnet.requests").tag("model", "flowers").tag("outcome", "client_error").counter().count()).isEqualTo(1);

        Http.Response v2 = new Http(port).post("/v2/models/flowers/versions/1/infer", "application/json",
                v2Request().getBytes(StandardCharsets.UTF_8), "X-API-Key", "user-key");
        assertThat(v2.status()).as(v2.text()).isEqualTo(200);
        assertThat(v2.json().get("model_name").asString()).isEqualTo("flowers");
        assertThat(v2.json().get("model_version").asString()).isEqualTo("1");
        assertThat(v2.json().at("/outputs/0/shape").toString()).isEqualTo("[1,3]");
        JsonNode metadata = new Http(port).get("/v2/models/flowers", "X-API-Key", "user-key").json();
        assertThat(metadata.get("versions").toString()).isEqualTo("[\"1\"]");

        ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", GRPC_PORT).usePlaintext().build();
        try {
            Metadata key = new Metadata();
            key.put(Metadata.Key.of("x-api-key", Metadata.ASCII_STRING_MARSHALLER), "user-key");
            var stub = GRPCInferenceServiceGrpc.newBlockingStub(channel).withInterceptors(MetadataUtils.newAttachHeadersInterceptor(key))
                    .withDeadlineAfter(60, java.util.concurrent.TimeUnit.SECONDS);
            ByteBuffer raw = ByteBuffer.allocate(AlexNetArchitecture.INPUT_FLOATS * 4).order(ByteOrder.LITTLE_ENDIAN);
            ModelInferResponse grpc = stub.modelInfer(ModelInferRequest.newBuilder().setModelName("flowers")
                    .addInputs(ModelInferRequest.InferInputTensor.newBuilder().setName("data").setDatatype("FP32")
                            .addShape(1).addShape(3).addShape(227).addShape(227))
                    .addRawInputContents(ByteString.copyFrom(raw.array())).build());
            assertThat(grpc.getModelName()).isEqualTo("flowers");
            assertThat(grpc.getModelVersion()).isEqualTo("1");
            assertThat(grpc.getOutputs(0).getShapeList()).containsExactly(1L, 3L);
            assertThat(stub.modelMetadata(ModelMetadataRequest.newBuilder().setName("flowers").build()).getOutputs(0).getShapeList())
                    .containsExactly(-1L, 3L);
            assertThatThrownBy(() -> stub.modelInfer(ModelInferRequest.newBuilder().setModelName("absent").build()))
                    .isInstanceOfSatisfying(StatusRuntimeException.class,
                            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND));
        } finally {
            channel.shutdownNow();
        }
    }

    @Test
    @Order(2)
    void unknownNamesAndVersionsAreClear4xx() {
        Http.Response absent = classify("?model=absent");
        assertThat(absent.status()).isEqualTo(404);
        assertThat(absent.json().get("type").asString()).isEqualTo("urn:alexnet:problem:not-found");
        assertThat(absent.json().get("detail").asString()).contains("'absent' is not being served");
        assertThat(classify("?model=..%2Fetc").status()).isEqualTo(400);
        assertThat(classify("?model=flowers&version=x").status()).isEqualTo(400);
        Http.Response broken = classify("?model=broken");
        assertThat(broken.status()).isEqualTo(404);
        assertThat(broken.json().get("detail").asString()).contains("has 2 names, but the model's fc8 has 10");
        Http.Response v2 = new Http(port).post("/v2/models/flowers/versions/7/infer", "application/json",
                v2Request().getBytes(StandardCharsets.UTF_8), "X-API-Key", "user-key");
        assertThat(v2.status()).isEqualTo(404);
        assertThat(v2.json().get("error").asString()).contains("version 7 of model 'flowers' is not being served");
    }

    @Test
    @Order(3)
    void theRepositoryIsForAdminKeysOnlyAndSaysWhatIsWrong() {
        assertThat(admin("/v2/repository/index", null).status()).isEqualTo(401);
        Http.Response user = admin("/v2/repository/index", "user-key");
        assertThat(user.status()).isEqualTo(403);
        assertThat(user.json().get("error").asString()).as("the protocol's error form under /v2").contains("needs an admin key");
        Http.Response index = admin("/v2/repository/index", "admin-key");
        assertThat(index.status()).as(index.text()).isEqualTo(200);
        assertThat(index.json().toString()).contains("{\"name\":\"alexnet\",\"version\":\"1\",\"state\":\"READY\",\"reason\":\"\"}")
                .contains("{\"name\":\"flowers\",\"version\":\"1\",\"state\":\"READY\",\"reason\":\"\"}")
                .contains("\"name\":\"broken\",\"version\":\"1\",\"state\":\"UNAVAILABLE\",\"reason\":\"labels labels.txt has 2 names");
        Http.Response load = admin("/v2/repository/models/broken/load", "admin-key");
        assertThat(load.status()).isEqualTo(409);
        assertThat(load.json().get("error").asString()).contains("failed to load").contains("has 2 names");
        assertThat(admin("/v2/repository/models/..%2Fx/load", "admin-key").status()).isBetween(400, 404);
        assertThat(admin("/v2/repository/models/absent/load", "admin-key").status()).isEqualTo(404);
    }

    @Test
    @Order(4)
    void aNewVersionLoadsLiveAndAnUnloadRefusesNewRequests() throws IOException {
        version(REPO, "flowers", 2, 3, 20);
        String before = classify("?model=flowers").json().at("/results/0/predictions").toString();
        Http.Response load = admin("/v2/repository/models/flowers/load", "admin-key");
        assertThat(load.status()).as(load.text()).isEqualTo(200);
        assertThat(load.json().get("versions").toString()).contains("\"version\":\"2\",\"state\":\"READY\"")
                .contains("\"version\":\"1\",\"state\":\"UNAVAILABLE\",\"reason\":\"not chosen by the version policy\"");
        assertThat(classify("?model=flowers").json().at("/results/0/predictions").toString()).as("the new weights answer")
                .isNotEqualTo(before);
        Http.Response models = new Http(port).get("/models", "X-API-Key", "user-key");
        assertThat(models.json().get("defaultModel").asString()).isEqualTo("alexnet");
        assertThat(models.json().get("models").toString()).contains("{\"name\":\"flowers\",\"version\":2,\"state\":\"READY\",\"classes\":3}");

        assertThat(admin("/v2/repository/models/flowers/unload", "admin-key").status()).isEqualTo(200);
        Http.Response gone = classify("?model=flowers");
        assertThat(gone.status()).isEqualTo(404);
        assertThat(gone.json().get("detail").asString()).contains("unloaded");
        assertThat(classify("").status()).as("the other models serve on").isEqualTo(200);
    }
}
