package dev.alexnet.service.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import dev.alexnet.service.AlexNetServiceApplication;
import dev.alexnet.service.engine.Batcher;
import dev.alexnet.service.engine.InferenceRejectedException;
import org.junit.jupiter.api.Test;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.availability.ApplicationAvailability;
import org.springframework.boot.availability.ReadinessState;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;

/** Closing the application (what SIGTERM does) while requests are in flight: they all complete, new work is refused. */
class GracefulShutdownTest {

    @Test
    void inFlightRequestsCompleteAndNewWorkIsRefused() throws Exception {
        ConfigurableApplicationContext context = SpringApplication.run(AlexNetServiceApplication.class,
                "--server.port=0", "--server.address=127.0.0.1", "--management.server.port=0", "--alexnet.weights=",
                "--alexnet.batching.max-batch-size=2", "--alexnet.shutdown.drain-delay=2s");
        int port = ((WebServerApplicationContext) context).getWebServer().getPort();
        Batcher batcher = context.getBean(Batcher.class);
        ApplicationAvailability availability = context.getBean(ApplicationAvailability.class);
        byte[] jpeg = ClassifyEndToEndTest.noiseJpeg(3, 320, 240);
        int clients = 12;
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        try {
            List<Future<Http.Response>> inFlight = new ArrayList<>();
            for (int i = 0; i < clients; i++) {
                inFlight.add(pool.submit(() -> new Http(port).multipart("/classify", List.of(Http.Part.image("x.jpg", jpeg)))));
            }
            while (batcher.queueDepth() + batcher.batches() < 4) {
                Thread.sleep(2);
            }
            context.close();
            int ok = 0;
            for (Future<Http.Response> f : inFlight) {
                Http.Response r = f.get();
                // A request that had not reached the batcher when the drain began gets 503; none is lost or fails.
                assertThat(r.status()).as(r.text()).isIn(200, 503);
                if (r.status() == 200) {
                    ok++;
                } else {
                    assertThat(r.json().get("type").asString()).isEqualTo("urn:alexnet:problem:shutting-down");
                    assertThat(r.retryAfter()).isNotNull();
                }
            }
            assertThat(ok).as("requests already queued when the drain began").isGreaterThanOrEqualTo(2);
            assertThat(availability.getReadinessState()).isEqualTo(ReadinessState.REFUSING_TRAFFIC);
            assertThat(batcher.isAccepting()).isFalse();
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> batcher.reserve(1))
                    .isInstanceOf(InferenceRejectedException.class);
        } finally {
            pool.shutdownNow();
            context.close();
        }
    }
}
