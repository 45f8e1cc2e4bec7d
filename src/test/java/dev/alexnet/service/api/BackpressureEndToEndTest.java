package dev.alexnet.service.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import dev.alexnet.service.engine.Batcher;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;

/** A queue of 2 images in front of one-image passes, hit by 48 concurrent clients: only 200s and 503s, none lost. */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "alexnet.weights=", "alexnet.batching.max-batch-size=1", "alexnet.batching.queue-capacity=2",
        "alexnet.batching.max-delay=0ms"})
class BackpressureEndToEndTest {

    @LocalServerPort
    int port;

    @Autowired
    Batcher batcher;

    @Test
    void aFullQueueAnswers503WithRetryAfterAndLosesNoRequest() throws Exception {
        int clients = 48;
        byte[] jpeg = ClassifyEndToEndTest.noiseJpeg(1, 64, 64);
        long refusedBefore = batcher.rejectedQueueFull();
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        List<Future<Http.Response>> responses = new ArrayList<>();
        try {
            for (int i = 0; i < clients; i++) {
                responses.add(pool.submit(() -> new Http(port).multipart("/classify", List.of(Http.Part.image("x.jpg", jpeg)))));
            }
            int ok = 0;
            int busy = 0;
            for (Future<Http.Response> f : responses) {
                Http.Response r = f.get();
                if (r.status() == 200) {
                    ok++;
                    assertThat(r.json().at("/results/0/predictions")).hasSize(5);
                } else {
                    assertThat(r.status()).as(r.text()).isEqualTo(503);
                    assertThat(r.retryAfter()).isNotNull();
                    assertThat(r.contentType()).startsWith("application/problem+json");
                    assertThat(r.json().get("type").asString()).isEqualTo("urn:alexnet:problem:queue-full");
                    busy++;
                }
            }
            assertThat(ok + busy).isEqualTo(clients);
            assertThat(ok).isPositive();
            assertThat(busy).isPositive();
            assertThat(batcher.rejectedQueueFull() - refusedBefore).isEqualTo(busy);
        } finally {
            pool.shutdownNow();
        }
        assertThat(batcher.queueDepth()).isZero();
    }
}
