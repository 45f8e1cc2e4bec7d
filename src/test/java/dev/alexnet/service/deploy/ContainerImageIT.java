package dev.alexnet.service.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;

import dev.alexnet.service.model.AlexNetArchitecture;
import dev.alexnet.service.model.weights.AlexNetWeights;
import dev.alexnet.service.model.weights.NpyWeightsWriter;
import dev.alexnet.service.preprocess.TestImages;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.testcontainers.containers.BindMode;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.images.builder.ImageFromDockerfile;
import org.testcontainers.junit.jupiter.Testcontainers;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The container image, built from the repository's Dockerfile with the packaged jar and run with a
 * generated full-size weights file mounted at /models, read-only and as uid 10001. Skipped only
 * where no Docker engine is reachable; .ci/run starts one.
 */
@Testcontainers(disabledWithoutDocker = true)
class ContainerImageIT {

    private static Path models;
    private static GenericContainer<?> container;
    private static String sha256;

    @BeforeAll
    static void start() throws Exception {
        models = Files.createTempDirectory("alexnet-models");
        Files.setPosixFilePermissions(models, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path weights = models.resolve("bvlc_alexnet.npy");
        new NpyWeightsWriter().write(AlexNetWeights.random(AlexNetArchitecture.FULL, 7), weights);
        Files.setPosixFilePermissions(weights, PosixFilePermissions.fromString("rw-r--r--"));
        sha256 = java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(weights)));

        ImageFromDockerfile image = new ImageFromDockerfile("alexnet-service-it", false)
                .withFileFromPath("Dockerfile", Path.of("Dockerfile"))
                .withFileFromPath("docker/entrypoint.sh", Path.of("docker/entrypoint.sh"))
                .withFileFromPath("target/alexnet-service.jar", Path.of("target/alexnet-service.jar"))
                .withTarget("runtime");
        container = new GenericContainer<>(image)
                .withExposedPorts(8080, 8081)
                .withFileSystemBind(models.toString(), "/models", BindMode.READ_ONLY)
                .withTmpFs(java.util.Map.of("/tmp", "rw,exec,size=2g"))
                .withCreateContainerCmdModifier(cmd -> cmd.getHostConfig().withReadonlyRootfs(true))
                .waitingFor(Wait.forHttp("/actuator/health/readiness").forPort(8081).withStartupTimeout(Duration.ofMinutes(3)));
        container.start();
    }

    @AfterAll
    static void stop() throws Exception {
        if (container != null) {
            container.stop();
        }
        if (models != null) {
            Files.deleteIfExists(models.resolve("bvlc_alexnet.npy"));
            Files.deleteIfExists(models);
        }
    }

    private static HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
        return HttpClient.newHttpClient().send(request.timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static URI uri(int port, String path) {
        return URI.create("http://" + container.getHost() + ":" + container.getMappedPort(port) + path);
    }

    @Test
    void classifiesWithTheMountedWeights() throws Exception {
        HttpResponse<String> response = send(HttpRequest.newBuilder(uri(8080, "/classify")).header("Content-Type", "image/png")
                .POST(HttpRequest.BodyPublishers.ofByteArray(TestImages.encode(TestImages.quadrants(200, 150), "png"))));
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        JsonNode body = JsonMapper.builder().build().readTree(response.body());
        assertThat(body.at("/model/weights").asString()).isEqualTo("bvlc_alexnet.npy");
        assertThat(body.at("/model/sha256").asString()).isEqualTo(sha256);
        assertThat(body.at("/results/0/predictions")).hasSize(5);
    }

    @Test
    void decodesJpegsWithTurboJpegAndRunsThePassOnOneDnn() throws Exception {
        byte[] jpeg = java.nio.file.Files.readAllBytes(Path.of("src/test/resources/images/load-500x375.jpg"));
        HttpResponse<String> response = send(HttpRequest.newBuilder(uri(8080, "/classify")).header("Content-Type", "image/jpeg")
                .POST(HttpRequest.BodyPublishers.ofByteArray(jpeg)));
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        JsonNode model = JsonMapper.builder().build().readTree(send(HttpRequest.newBuilder(uri(8080, "/model")).GET()).body());
        assertThat(model.get("jpegDecoding").asString()).isEqualTo("turbojpeg-scaled");
        // The image carries oneDNN's runtime (and the OpenCL loader it links), so the default pass runs on it.
        assertThat(model.get("forwardPass").asString()).isEqualTo("onednn");
        assertThat(model.get("precision").asString()).as("the default precision").isEqualTo("fp32");
        // Its batch-1 dense path, timed at start-up in the container: the inner product or the 1x1 convolutions.
        assertThat(model.get("batchOneDense").asString()).isIn("inner product", "1x1 convolution");
        assertThat(container.getLogs()).contains("JPEG decoding: TurboJPEG").contains("Forward pass on oneDNN's primitives (oneDNN 2.5.2")
                .contains("Batch-1 dense layers: ")
                .contains("oneDNN's kernels for one image: ")
                // JNA reaches the libgomp ND4J loaded, so OpenMP's waits follow the load (engine.TeamThrottle).
                .contains("OpenMP waits steered through ")
                .doesNotContain("could not run the network")
                .doesNotContain("TurboJPEG not found");
    }

    @Test
    void v2ReadinessAndPrometheusThroughTheMappedPorts() throws Exception {
        assertThat(send(HttpRequest.newBuilder(uri(8080, "/v2/health/ready")).GET()).statusCode()).isEqualTo(200);
        HttpResponse<String> metrics = send(HttpRequest.newBuilder(uri(8081, "/actuator/prometheus")).GET());
        assertThat(metrics.statusCode()).isEqualTo(200);
        assertThat(metrics.body()).contains("alexnet_model_info{").contains("weights=\"bvlc_alexnet.npy\"").contains("sha256=\"" + sha256 + "\"");
        assertThat(send(HttpRequest.newBuilder(uri(8080, "/actuator/prometheus")).GET()).statusCode()).as("not on the API port").isEqualTo(404);
    }

    @Test
    void runsAsNonRootOnAReadOnlyFilesystem() throws Exception {
        var id = container.execInContainer("id", "-u");
        assertThat(id.getStdout().trim()).isEqualTo("10001");
        var write = container.execInContainer("sh", "-c", "touch /app/probe && echo wrote || echo refused");
        assertThat(write.getStdout()).contains("refused");
    }
}
