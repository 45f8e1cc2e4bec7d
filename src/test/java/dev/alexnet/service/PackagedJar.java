package dev.alexnet.service;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * target/alexnet-service.jar started as its own process on free loopback ports (API and
 * management), its output in target/LOG; closing it sends SIGTERM, then SIGKILL after 60 s.
 */
final class PackagedJar implements AutoCloseable {

    final int port;
    final int management;
    final int grpc;
    final Process process;
    private final Path log;

    private PackagedJar(int port, int management, int grpc, Process process, Path log) {
        this.port = port;
        this.management = management;
        this.grpc = grpc;
        this.process = process;
        this.log = log;
    }

    static PackagedJar start(String logName, String... extraArguments) throws IOException {
        return start(logName, List.of(), extraArguments);
    }

    /**
     * With the README's memory settings (a capped heap, Serial GC, two malloc arenas), for a test
     * that reads the process's RSS: then it follows the models' native memory, not the heap's growth.
     */
    static PackagedJar startCapped(String logName, String... extraArguments) throws IOException {
        return start(logName, List.of("-Xmx512m", "-XX:MaxMetaspaceSize=128m", "-XX:ReservedCodeCacheSize=64m", "-XX:+UseSerialGC"),
                extraArguments);
    }

    private static PackagedJar start(String logName, List<String> jvmOptions, String... extraArguments) throws IOException {
        int port = freePort();
        int management = freePort();
        int grpc = freePort();
        Path log = Path.of("target", logName);
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        command.addAll(jvmOptions);
        command.addAll(List.of("-jar", "target/alexnet-service.jar", "--server.address=127.0.0.1", "--server.port=" + port,
                "--management.server.address=127.0.0.1", "--management.server.port=" + management,
                "--spring.grpc.server.address=127.0.0.1:" + grpc));
        command.addAll(List.of(extraArguments));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        if (!jvmOptions.isEmpty()) {
            builder.environment().put("MALLOC_ARENA_MAX", "2");
        }
        Process process = builder.start();
        return new PackagedJar(port, management, grpc, process, log);
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    URI api(String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }

    URI managementUri(String path) {
        return URI.create("http://127.0.0.1:" + management + path);
    }

    /** Waits up to 90 s for readiness on the management port; fails if the jar exits or never gets there. */
    void awaitReady(HttpClient client) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (System.nanoTime() < deadline && process.isAlive()) {
            try {
                if (client.send(HttpRequest.newBuilder(managementUri("/actuator/health/readiness")).timeout(Duration.ofSeconds(5)).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            }
            Thread.sleep(300);
        }
        throw new AssertionError("the jar did not become ready; see " + log);
    }

    private static final Pattern SAMPLE = Pattern.compile("^([a-z_]+)(\\{[^}]*\\})? ([-0-9.eE+]+)$", Pattern.MULTILINE);

    /** The Prometheus scrape: unlabelled samples, and labelled ones summed by name (or by name and labels when asked). */
    Map<String, Double> scrape(HttpClient client) throws IOException, InterruptedException {
        String text = client.send(HttpRequest.newBuilder(managementUri("/actuator/prometheus")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        Map<String, Double> values = new HashMap<>();
        Matcher m = SAMPLE.matcher(text);
        while (m.find()) {
            values.merge(m.group(1), Double.parseDouble(m.group(3)), Double::sum);
            if (m.group(2) != null) {
                values.merge(m.group(1) + m.group(2), Double.parseDouble(m.group(3)), Double::sum);
            }
        }
        return values;
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
    }
}
