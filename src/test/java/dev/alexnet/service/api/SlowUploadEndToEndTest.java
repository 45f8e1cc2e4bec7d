package dev.alexnet.service.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import dev.alexnet.service.preprocess.TestImages;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;

/**
 * Slow clients cannot hold the server: a body or a multipart part trickled byte by byte gets 408
 * once the upload timeout has passed even though every single read succeeds, and the connection is
 * closed rather than the rest of the body read; a body or multipart part that stops
 * arriving gets 408 when one read times out; a request whose headers stop arriving is closed.
 * Meanwhile, and after each, a normal request is served. Timeouts shortened for the test.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "alexnet.weights=", "server.tomcat.connection-timeout=1s", "alexnet.upload-timeout=3s"})
class SlowUploadEndToEndTest {

    /** A raw image upload that declares 100,000 bytes and sends none of them yet. */
    private static final String RAW_HEAD =
            "POST /classify HTTP/1.1\r\nHost: x\r\nContent-Type: image/png\r\nContent-Length: 100000\r\n\r\n";
    /** A multipart upload that declares 100,000 bytes, up to the start of its image part's data. */
    private static final String MULTIPART_HEAD =
            "POST /classify HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: 100000\r\n\r\n"
                    + "--b\r\nContent-Disposition: form-data; name=\"image\"; filename=\"a.png\"\r\nContent-Type: image/png\r\n\r\n";

    @LocalServerPort
    int port;

    private record Answer(String head, double seconds) {
    }

    /** Sends {@code head}, then {@code trickle} bytes one at a time every {@code gapMillis} (or until the server answers). */
    private Answer send(String head, int trickle, long gapMillis) throws Exception {
        long start = System.nanoTime();
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(20_000);
            OutputStream out = socket.getOutputStream();
            InputStream in = socket.getInputStream();
            out.write(head.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            CompletableFuture<String> response = CompletableFuture.supplyAsync(() -> readAll(in));
            try {
                for (int i = 0; i < trickle && !response.isDone(); i++) {
                    Thread.sleep(gapMillis);
                    out.write('x');
                    out.flush();
                }
            } catch (SocketException closedByServer) {
                // the server gave up on us: what matters is what it answered
            }
            String text = response.get(30, TimeUnit.SECONDS);
            return new Answer(text, (System.nanoTime() - start) / 1e9);
        }
    }

    private static String readAll(InputStream in) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        byte[] buffer = new byte[4096];
        try {
            int n;
            while ((n = in.read(buffer)) != -1) {
                bytes.write(buffer, 0, n);
                if (bytes.toString(StandardCharsets.ISO_8859_1).contains("\r\n\r\n{") && bytes.toString(StandardCharsets.ISO_8859_1).endsWith("}")) {
                    break;
                }
            }
        } catch (IOException e) {
            // reset by the server
        }
        return bytes.toString(StandardCharsets.ISO_8859_1);
    }

    private void stillServing() {
        Http.Response ok = new Http(port).post("/classify", "image/png",
                TestImages.encode(TestImages.quadrants(64, 64), "png"));
        assertThat(ok.status()).isEqualTo(200);
    }

    @Test
    void aBodyTrickledByteByByteIsCutOffAtTheUploadTimeout() throws Exception {
        Answer answer = send(RAW_HEAD, 30, 200);
        assertThat(answer.head()).startsWith("HTTP/1.1 408").contains("application/problem+json").contains("upload-too-slow")
                .doesNotContain("Exception");
        assertThat(answer.seconds()).as("answered after the 3 s upload timeout, not the whole trickle").isBetween(2.9, 8.0);
        stillServing();
    }

    @Test
    void aMultipartPartTrickledByteByByteIsCutOffAtTheUploadTimeout() throws Exception {
        Answer answer = send(MULTIPART_HEAD, 50, 200);
        assertThat(answer.head()).startsWith("HTTP/1.1 408").contains("application/problem+json").contains("upload-too-slow");
        assertThat(answer.seconds()).as("answered at the 3 s upload timeout, while the client still sends (10 s)").isBetween(2.9, 6.0);
        stillServing();
    }

    @Test
    void afterThe408TheRestOfATrickledBodyIsNotReadButTheConnectionClosed() throws Exception {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(20_000);
            OutputStream out = socket.getOutputStream();
            InputStream in = socket.getInputStream();
            out.write(RAW_HEAD.getBytes(StandardCharsets.ISO_8859_1));
            long start = System.nanoTime();
            CompletableFuture<String> response = CompletableFuture.supplyAsync(() -> readAll(in));
            for (int i = 0; i < 50 && !response.isDone(); i++) {
                Thread.sleep(200);
                out.write('x');
                out.flush();
            }
            assertThat(response.get(10, TimeUnit.SECONDS)).startsWith("HTTP/1.1 408");
            long answered = System.nanoTime();
            assertThat((answered - start) / 1e9).as("the 408 arrives at the 3 s upload timeout, while the client still sends")
                    .isLessThan(6.0);
            // The client keeps trickling. Reading the rest of the declared body would hold a request thread for as
            // long as the client cares to send (a byte every 200 ms never trips the 1 s read timeout).
            CompletableFuture<Integer> next = CompletableFuture.supplyAsync(() -> {
                try {
                    return in.read();
                } catch (IOException reset) {
                    return -1;
                }
            });
            boolean refused = false;
            for (int i = 0; i < 25 && !next.isDone() && !refused; i++) {
                Thread.sleep(200);
                try {
                    out.write('x');
                    out.flush();
                } catch (IOException closed) {
                    refused = true;
                }
            }
            assertThat(next.isDone() || refused).as("the server closed the connection while the client still sent").isTrue();
            if (next.isDone()) {
                assertThat(next.get()).as("nothing after the 408 but the end of the stream").isEqualTo(-1);
            }
            assertThat((System.nanoTime() - answered) / 1e9).isLessThan(3.0);
        }
        stillServing();
    }

    @Test
    void aBodyThatStopsArrivingTimesOut() throws Exception {
        Answer answer = send(RAW_HEAD + "0123456789", 0, 0);
        assertThat(answer.head()).startsWith("HTTP/1.1 408").contains("upload-too-slow");
        assertThat(answer.seconds()).isBetween(0.9, 6.0);
        stillServing();
    }

    @Test
    void aMultipartPartThatStopsArrivingTimesOut() throws Exception {
        Answer answer = send(MULTIPART_HEAD + "0123456789", 0, 0);
        assertThat(answer.head()).startsWith("HTTP/1.1 408").contains("upload-too-slow");
        assertThat(answer.seconds()).isBetween(0.9, 6.0);
        stillServing();
    }

    @Test
    void headersThatStopArrivingGetTheConnectionClosed() throws Exception {
        Answer answer = send("POST /classify HTTP/1.1\r\nHost: x\r\n", 0, 0);
        assertThat(answer.head()).doesNotStartWith("HTTP/1.1 2").doesNotStartWith("HTTP/1.1 5");
        assertThat(answer.seconds()).as("closed after the 1 s connection timeout").isBetween(0.9, 6.0);
        stillServing();
    }

    @Test
    void slowClientsDoNotStopOthersBeingServed() throws Exception {
        List<CompletableFuture<Answer>> slow = List.of(
                CompletableFuture.supplyAsync(() -> quietly(RAW_HEAD)),
                CompletableFuture.supplyAsync(() -> quietly(RAW_HEAD)));
        Thread.sleep(300);
        long start = System.nanoTime();
        stillServing();
        assertThat((System.nanoTime() - start) / 1e9).as("a normal request while two slow ones hang on").isLessThan(2.5);
        for (CompletableFuture<Answer> f : slow) {
            assertThat(f.get(30, TimeUnit.SECONDS).head()).startsWith("HTTP/1.1 408");
        }
    }

    private Answer quietly(String head) {
        try {
            return send(head, 30, 200);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
