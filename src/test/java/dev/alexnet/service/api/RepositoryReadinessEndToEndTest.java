package dev.alexnet.service.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import dev.alexnet.service.model.repository.RepositoryFixtures;
import dev.alexnet.service.preprocess.TestImages;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * A start-up where the default model is broken: the service starts and serves the other models,
 * but is not ready (a load balancer must not send it the default model's traffic) until its
 * default model loads.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "alexnet.weights=", "alexnet.model-repository.control=explicit", "alexnet.default-model=main"})
class RepositoryReadinessEndToEndTest {

    private static final Path REPO = repository();

    @LocalServerPort
    int port;

    private static Path repository() {
        try {
            Path repo = Files.createTempDirectory("alexnet-readiness-test");
            RepositoryEndToEndTest.version(repo, "other", 1, 10, 1);
            Path main = RepositoryEndToEndTest.version(repo, "main", 1, 10, 2);
            Files.writeString(main.resolve("labels.txt"), "too few\n");
            return repo;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @DynamicPropertySource
    static void repository(DynamicPropertyRegistry properties) {
        properties.add("alexnet.model-repository.path", REPO::toString);
    }

    @AfterAll
    static void remove() throws IOException {
        RepositoryFixtures.delete(REPO);
    }

    @Test
    void notReadyUntilTheDefaultModelLoadsWhileTheOthersServe() throws IOException {
        Http http = new Http(port);
        assertThat(http.get("/readyz").status()).as("the default model failed to load").isEqualTo(503);
        assertThat(http.get("/livez").status()).isEqualTo(200);
        byte[] jpeg = TestImages.jpeg(TestImages.quadrants(100, 100), 0.9f, false);
        assertThat(http.post("/classify?model=other", "image/jpeg", jpeg).status()).isEqualTo(200);
        assertThat(http.post("/classify", "image/jpeg", jpeg).status()).as("the default model is not served").isEqualTo(404);

        StringBuilder labels = new StringBuilder();
        for (int i = 0; i < 10; i++) {
            labels.append("main ").append(i).append('\n');
        }
        Files.writeString(REPO.resolve("main/1/labels.txt"), labels);
        assertThat(http.post("/v2/repository/models/main/load", "application/json", new byte[0]).status()).isEqualTo(200);
        assertThat(http.get("/readyz").status()).isEqualTo(200);
        assertThat(http.post("/classify", "image/jpeg", jpeg).json().at("/results/0/predictions/0/label").asString()).startsWith("main ");
    }
}
