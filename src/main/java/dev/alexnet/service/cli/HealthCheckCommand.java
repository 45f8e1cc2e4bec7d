package dev.alexnet.service.cli;

import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;

/**
 * {@code healthcheck}: exits 0 when the local service reports ready, 1 otherwise. The container's
 * HEALTHCHECK runs it, so the image needs neither curl nor wget.
 */
public final class HealthCheckCommand {

    /** Usage text for this mode. */
    public static final String USAGE = """
            healthcheck [--url http://127.0.0.1:8081/actuator/health/readiness]
              Exits 0 if the URL answers 200 within 3 s, else 1 (for container health checks).""";

    private final PrintStream out;

    public HealthCheckCommand(PrintStream out) {
        this.out = out;
    }

    public int run(List<String> args) {
        String url = "http://127.0.0.1:8081/actuator/health/readiness";
        for (int i = 0; i < args.size(); i++) {
            if (args.get(i).equals("--url")) {
                url = Launcher.value(args, ++i, "--url");
            } else {
                throw new UsageException("unknown option for healthcheck: " + args.get(i));
            }
        }
        try {
            HttpResponse<String> response = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build()
                    .send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(3)).GET().build(),
                            HttpResponse.BodyHandlers.ofString());
            out.println(response.statusCode() + " " + response.body());
            return response.statusCode() == 200 ? 0 : 1;
        } catch (Exception e) {
            out.println("unhealthy: " + e);
            return 1;
        }
    }
}
