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

import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;

/**
 * A queue of one image, default batching, and 8 clients each sending phone-size uploads three
 * times in a row, as `hey -c 8` does: every refusal reaches the client as the 503 it is.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "alexnet.weights=", "alexnet.batching.queue-capacity=1"})
class LargeUploadRefusalEndToEndTest {

    @LocalServerPort
    int port;

    /**
     * Refusals of 5 MB uploads (more than Tomcat drains, and more than the loopback socket buffers hold): each
     * must reach the client as the 503 it is, with the connection closed, and never be replaced by
     * an error page. Before the valve ran at the engine level, most came out as 500s. The body is
     * sent from a thread of its own, so that a server that closes early cannot block the test.
     */
    @Test
    void largeUploadsRefusedAtAFullQueueAre503sNeverErrorPages() throws Exception {
        int clients = 8;
        int each = 3;
        byte[] jpeg = ClassifyEndToEndTest.noiseJpeg(2, 2600, 2400);
        assertThat(jpeg.length).isGreaterThan(5 << 20);
        ExecutorService pool = Executors.newFixedThreadPool(2 * clients);
        List<Future<String>> statusLines = new ArrayList<>();
        try {
            List<Future<List<String>>> perClient = new ArrayList<>();
            for (int i = 0; i < clients; i++) {
                perClient.add(pool.submit(() -> {
                    List<String> answers = new ArrayList<>();
                    for (int r = 0; r < each; r++) {
                        answers.add(rawPost(pool, jpeg));
                    }
                    return answers;
                }));
            }
            for (Future<List<String>> f : perClient) {
                for (String answer : f.get()) {
                    statusLines.add(java.util.concurrent.CompletableFuture.completedFuture(answer));
                }
            }
            int ok = 0;
            int busy = 0;
            for (Future<String> f : statusLines) {
                String head = f.get();
                assertThat(head).as(head).matches("(?s)HTTP/1\\.1 (200|503) .*");
                if (head.startsWith("HTTP/1.1 200")) {
                    ok++;
                } else {
                    assertThat(head).contains("Retry-After").contains("queue-full");
                    busy++;
                }
            }
            assertThat(ok + busy).isEqualTo(clients * each);
            assertThat(busy).isPositive();
        } finally {
            pool.shutdownNow();
        }
    }

    /** POSTs the body as image/jpeg on a socket of its own and returns the answer's head and body as text. */
    private String rawPost(ExecutorService pool, byte[] body) throws Exception {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(60_000);
            OutputStream out = socket.getOutputStream();
            out.write(("POST /classify HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: image/jpeg\r\nContent-Length: " + body.length
                    + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            pool.submit(() -> {
                try {
                    out.write(body);
                    out.flush();
                } catch (java.io.IOException e) {
                    // The server answered and closed before the whole body was sent: expected for a refusal.
                }
                return null;
            });
            InputStream in = socket.getInputStream();
            ByteArrayOutputStream answer = new ByteArrayOutputStream();
            byte[] buffer = new byte[8192];
            for (int n; (n = in.read(buffer)) > 0; ) {
                answer.write(buffer, 0, n);
                String text = answer.toString(StandardCharsets.ISO_8859_1);
                int headEnd = text.indexOf("\r\n\r\n");
                if (headEnd > 0 && text.substring(headEnd + 4).contains("}")) {
                    break;
                }
            }
            return answer.toString(StandardCharsets.ISO_8859_1);
        }
    }
}
