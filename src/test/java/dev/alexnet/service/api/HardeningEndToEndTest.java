package dev.alexnet.service.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.atomic.AtomicBoolean;

import dev.alexnet.service.engine.ForwardPass;
import dev.alexnet.service.engine.InferenceEngine;
import dev.alexnet.service.preprocess.TestImages;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;
import tools.jackson.databind.JsonNode;

/** API keys, request ids, and a fault injected into a forward pass. */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "alexnet.weights=", "management.server.port=0", "alexnet.security.api-keys=k-one,k-two",
        "spring.main.allow-bean-definition-overriding=true"})
class HardeningEndToEndTest {

    /** Fails the next forward pass once armed, then lets the engine serve again. */
    @TestConfiguration
    static class FaultInjection {
        static final AtomicBoolean ARMED = new AtomicBoolean();

        @Bean
        ForwardPass batchForwardPass(InferenceEngine engine) {
            return (input, n) -> {
                if (ARMED.getAndSet(false)) {
                    throw new IllegalStateException("injected fault in the forward pass");
                }
                return engine.infer(input, n);
            };
        }
    }

    @LocalServerPort
    int port;

    private final byte[] png = TestImages.encode(TestImages.quadrants(64, 48), "png");

    private HttpResponse<String> classify(String... headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/classify"))
                .header("Content-Type", "image/png").POST(HttpRequest.BodyPublishers.ofByteArray(png));
        for (int i = 0; i < headers.length; i += 2) {
            request.header(headers[i], headers[i + 1]);
        }
        return HttpClient.newHttpClient().send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void apiKeysAreRequiredOnTheApiOnly() throws Exception {
        HttpResponse<String> missing = classify();
        assertThat(missing.statusCode()).isEqualTo(401);
        assertThat(missing.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith("application/problem+json"));
        assertThat(Http.JSON.readTree(missing.body()).get("type").asString()).isEqualTo("urn:alexnet:problem:unauthorized");
        assertThat(classify("X-API-Key", "wrong").statusCode()).isEqualTo(401);
        assertThat(classify("X-API-Key", "k-one").statusCode()).isEqualTo(200);
        assertThat(classify("Authorization", "Bearer k-two").statusCode()).isEqualTo(200);
        Http http = new Http(port);
        assertThat(http.get("/v2/health/ready").status()).isEqualTo(200);
        assertThat(http.get("/v2/models/alexnet").status()).isEqualTo(401);
        assertThat(http.get("/v2/models/alexnet").json().get("error").asString()).contains("API key");
        assertThat(http.get("/").status()).isEqualTo(200);
        assertThat(http.get("/readyz").status()).isEqualTo(200);
    }

    @Test
    void requestIdsAreEchoedOrGenerated() throws Exception {
        HttpResponse<String> given = classify("X-API-Key", "k-one", "X-Request-Id", "abc-123");
        assertThat(given.headers().firstValue("X-Request-Id")).hasValue("abc-123");
        HttpResponse<String> generated = classify("X-API-Key", "k-one", "X-Request-Id", "bad id with spaces");
        assertThat(generated.headers().firstValue("X-Request-Id").orElseThrow()).matches("[0-9a-f-]{36}");
        HttpResponse<String> problem = classify("X-Request-Id", "req-42");
        assertThat(Http.JSON.readTree(problem.body()).get("requestId").asString()).isEqualTo("req-42");
    }

    @Test
    void aFaultInAForwardPassFailsOnlyThatBatchWith500() throws Exception {
        FaultInjection.ARMED.set(true);
        HttpResponse<String> failed = classify("X-API-Key", "k-one");
        assertThat(failed.statusCode()).isEqualTo(500);
        JsonNode problem = Http.JSON.readTree(failed.body());
        assertThat(problem.get("type").asString()).isEqualTo("urn:alexnet:problem:inference-failed");
        assertThat(failed.body()).doesNotContain("injected fault").doesNotContain("Exception").doesNotContain("\tat ");
        for (int i = 0; i < 3; i++) {
            assertThat(classify("X-API-Key", "k-one").statusCode()).as("the engine keeps serving").isEqualTo(200);
        }
    }
}
