package dev.alexnet.service.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.alexnet.service.preprocess.TestImages;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalManagementPort;
import org.springframework.boot.test.web.server.LocalServerPort;

/**
 * Each meter moves as it should after real requests (a success, a bad image, a rejection), read
 * back from the Prometheus exposition on the management port.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "alexnet.weights=", "management.server.port=0", "alexnet.batching.queue-capacity=2"})
class MetricsEndToEndTest {

    @LocalServerPort
    int port;

    @LocalManagementPort
    int managementPort;

    private final HttpClient client = HttpClient.newHttpClient();

    private int post(String path, String contentType, byte[] body) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .header("Content-Type", contentType).POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
                HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    /** Every sample of the exposition, keyed by name and labels as printed. */
    private Map<String, Double> scrape() throws Exception {
        String text = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + managementPort + "/actuator/prometheus"))
                .GET().build(), HttpResponse.BodyHandlers.ofString()).body();
        Map<String, Double> samples = new HashMap<>();
        Matcher m = Pattern.compile("(?m)^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\\{[^}]*\\})?) ([-+0-9.eEnaNIf]+)$").matcher(text);
        while (m.find()) {
            samples.put(m.group(1).replaceAll(",?application=\"[^\"]*\"", "").replace("{,", "{").replace("{}", ""),
                    Double.parseDouble(m.group(2)));
        }
        return samples;
    }

    private static double value(Map<String, Double> samples, String name, String... labels) {
        return samples.entrySet().stream().filter(e -> e.getKey().startsWith(name + "{") || e.getKey().equals(name))
                .filter(e -> {
                    for (String label : labels) {
                        if (!e.getKey().contains(label)) {
                            return false;
                        }
                    }
                    return true;
                })
                .mapToDouble(Map.Entry::getValue).sum();
    }

    @Test
    void metersMoveWithSuccessesBadImagesAndRejections() throws Exception {
        Map<String, Double> before = scrape();
        assertThat(value(before, "alexnet_model_info", "weights=\"random-init\"", "device=\"cpu\"", "sha256=\"none\"")).isEqualTo(1.0);
        assertThat(value(before, "alexnet_model_load_seconds")).isPositive();
        assertThat(value(before, "alexnet_queue_capacity")).isEqualTo(2.0);
        assertThat(before).containsKey("alexnet_native_memory_bytes{kind=\"total\"}");
        assertThat(value(before, "alexnet_native_memory_bytes", "kind=\"physical\"")).isGreaterThan(200e6);
        assertThat(value(before, "alexnet_ready")).isEqualTo(1.0);

        byte[] png = TestImages.encode(TestImages.quadrants(64, 48), "png");
        assertThat(post("/classify", "image/png", png)).isEqualTo(200);
        assertThat(post("/classify", "image/png", new byte[] {'P', 'K', 3, 4, 1, 2, 3, 4})).isEqualTo(422);
        // A request of 3 images cannot fit a queue of 2: refused at once.
        String boundary = "b0undary";
        byte[] body;
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        for (int i = 0; i < 3; i++) {
            out.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"image\"; filename=\"" + i
                    + ".png\"\r\nContent-Type: image/png\r\n\r\n").getBytes());
            out.writeBytes(png);
            out.writeBytes("\r\n".getBytes());
        }
        out.writeBytes(("--" + boundary + "--\r\n").getBytes());
        body = out.toByteArray();
        assertThat(post("/classify", "multipart/form-data; boundary=" + boundary, body)).isEqualTo(503);

        Map<String, Double> after = scrape();
        assertThat(delta(before, after, "alexnet_requests_total", "endpoint=\"classify\"", "outcome=\"success\"")).isEqualTo(1);
        assertThat(delta(before, after, "alexnet_requests_total", "endpoint=\"classify\"", "outcome=\"client_error\"")).isEqualTo(1);
        assertThat(delta(before, after, "alexnet_requests_total", "endpoint=\"classify\"", "outcome=\"rejected\"")).isEqualTo(1);
        assertThat(delta(before, after, "alexnet_images_total", "endpoint=\"classify\"")).isEqualTo(1);
        assertThat(delta(before, after, "alexnet_rejected_total", "reason=\"bad_image\"")).isEqualTo(1);
        assertThat(delta(before, after, "alexnet_rejected_total", "reason=\"queue_full\"")).isEqualTo(1);
        assertThat(delta(before, after, "alexnet_request_duration_seconds_count", "endpoint=\"classify\"")).isEqualTo(3);
        assertThat(delta(before, after, "alexnet_request_duration_seconds_bucket", "endpoint=\"classify\"", "le=\"+Inf\"")).isEqualTo(3);
        assertThat(delta(before, after, "alexnet_preprocess_seconds_count")).isEqualTo(1);
        assertThat(delta(before, after, "alexnet_queue_wait_seconds_count")).isEqualTo(1);
        assertThat(delta(before, after, "alexnet_inference_seconds_count")).isEqualTo(1);
        assertThat(delta(before, after, "alexnet_inference_seconds_sum")).isPositive();
        assertThat(delta(before, after, "alexnet_batch_size_count")).isEqualTo(1);
        assertThat(delta(before, after, "alexnet_batch_size_bucket", "le=\"1.0\"")).isEqualTo(1);
        assertThat(delta(before, after, "alexnet_batch_size_bucket", "le=\"64.0\"")).isEqualTo(1);
        assertThat(value(after, "alexnet_queue_depth")).isZero();
        assertThat(value(after, "alexnet_inflight_requests")).isZero();
        assertThat(after.keySet()).anyMatch(k -> k.startsWith("http_server_requests_seconds_count"));
        assertThat(after.keySet()).anyMatch(k -> k.startsWith("jvm_memory_used_bytes"));
        assertThat(after.keySet()).anyMatch(k -> k.startsWith("process_cpu_usage"));
        // No user input reaches a label: file names never appear.
        assertThat(after.keySet()).noneMatch(k -> k.contains(".png"));
    }

    private static double delta(Map<String, Double> before, Map<String, Double> after, String name, String... labels) {
        return value(after, name, labels) - value(before, name, labels);
    }
}
