package dev.alexnet.service;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.alexnet.service.model.AlexNetArchitecture;
import dev.alexnet.service.model.weights.AlexNetWeights;
import dev.alexnet.service.model.weights.NpyWeightsWriter;
import dev.alexnet.service.preprocess.TestImages;
import dev.alexnet.service.train.SyntheticDataset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The model repository on the packaged jar, live: 16 clients classify against {@code alexnet/1}
 * (full-size, random-init) throughout, while {@code train} writes a 3-class model into
 * {@code flowers/1}, it is loaded and answers with its labels, {@code alexnet/2} (other weights) is
 * loaded and the answers switch with no request failing, and a full-size model is loaded and
 * unloaded with the process's RSS read before, between and after. Bounded: about two minutes.
 */
class RepositoryIT {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    /** The first prediction, index and probability: what tells two random-init weights apart. */
    private static final Pattern TOP = Pattern.compile("\"predictions\":\\[(\\{[^}]*\\})");

    private record Answer(long atNanos, int status, String top) {
    }

    private static long rssKiB(long pid) throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new IllegalStateException("no VmRSS for " + pid);
    }

    private static void fullSize(Path repo, String model, long version, long seed) throws Exception {
        Path folder = Files.createDirectories(repo.resolve(model).resolve(String.valueOf(version)));
        new NpyWeightsWriter().write(AlexNetWeights.random(AlexNetArchitecture.FULL, seed), folder.resolve("weights.npy"));
        StringBuilder labels = new StringBuilder();
        for (int i = 0; i < 1000; i++) {
            labels.append(model).append(" class ").append(i).append('\n');
        }
        Files.writeString(folder.resolve("labels.txt"), labels);
    }

    private static HttpResponse<String> post(HttpClient client, URI uri) throws Exception {
        return client.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(120)).POST(HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void modelsChangeLiveUnderLoadWithoutOneFailedRequest(@TempDir Path dir) throws Exception {
        Path repo = Files.createDirectories(dir.resolve("repo"));
        fullSize(repo, "alexnet", 1, 1);
        Path tiny = Files.createDirectories(repo.resolve("tiny/1"));
        new NpyWeightsWriter().write(AlexNetWeights.heForTraining(new AlexNetArchitecture(8, 16, 24, 24, 16, 32, 32, 10), 5),
                tiny.resolve("weights.npy"));
        Files.writeString(tiny.resolve("labels.txt"), "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\n");
        SyntheticDataset.write(dir.resolve("data"), 6, 3);

        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        ExecutorService clients = Executors.newFixedThreadPool(16);
        try (PackagedJar jar = PackagedJar.startCapped("repository.log", "--alexnet.model-repository.path=" + repo,
                "--alexnet.model-repository.control=explicit", "--alexnet.default-model=alexnet")) {
            jar.awaitReady(client);
            long pid = jar.process.pid();
            byte[] jpeg = TestImages.jpeg(TestImages.quadrants(320, 240), 0.9f, false);
            List<Answer> answers = new CopyOnWriteArrayList<>();
            AtomicBoolean running = new AtomicBoolean(true);
            List<Future<?>> loops = new ArrayList<>();
            for (int c = 0; c < 16; c++) {
                loops.add(clients.submit(() -> {
                    while (running.get()) {
                        HttpResponse<String> r = client.send(HttpRequest.newBuilder(jar.api("/classify")).timeout(Duration.ofSeconds(60))
                                .header("Content-Type", "image/jpeg").POST(HttpRequest.BodyPublishers.ofByteArray(jpeg)).build(),
                                HttpResponse.BodyHandlers.ofString());
                        Matcher top = TOP.matcher(r.body());
                        answers.add(new Answer(System.nanoTime(), r.statusCode(), top.find() ? top.group(1) : r.body()));
                    }
                    return null;
                }));
            }
            Thread.sleep(3000);

            // train writes a servable version straight into the repository, and says where it started.
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            Process train = new ProcessBuilder(List.of(java, "-jar", "target/alexnet-service.jar", "train",
                    "--data", dir.resolve("data").toString(), "--out", repo.resolve("flowers/1").toString(),
                    "--from", tiny.resolve("weights.npy").toString(), "--freeze", "conv", "--epochs", "2", "--batch", "3"))
                    .redirectErrorStream(true).redirectOutput(dir.resolve("train.log").toFile()).start();
            assertThat(train.waitFor(120, TimeUnit.SECONDS)).isTrue();
            assertThat(train.exitValue()).as(Files.readString(dir.resolve("train.log"))).isZero();
            JsonNode report = JSON.readTree(Files.readString(repo.resolve("flowers/1/training.json")));
            assertThat(report.at("/startedFrom/model").asString()).isEqualTo("tiny");
            assertThat(report.at("/startedFrom/version").asLong()).isEqualTo(1);

            long rssBeforeFlowers = rssKiB(pid);
            HttpResponse<String> loadFlowers = post(client, jar.api("/v2/repository/models/flowers/load"));
            assertThat(loadFlowers.statusCode()).as(loadFlowers.body()).isEqualTo(200);
            long rssWithFlowers = rssKiB(pid);
            HttpResponse<String> flowers = client.send(HttpRequest.newBuilder(jar.api("/classify?model=flowers"))
                    .header("Content-Type", "image/jpeg").POST(HttpRequest.BodyPublishers.ofByteArray(jpeg)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(flowers.statusCode()).as(flowers.body()).isEqualTo(200);
            assertThat(JSON.readTree(flowers.body()).at("/results/0/predictions/0/label").asString()).isIn(SyntheticDataset.CLASSES);

            // alexnet/2, other weights: the answers switch, and no request fails on the way.
            fullSize(repo, "alexnet", 2, 2);
            long switchStart = System.nanoTime();
            HttpResponse<String> loadTwo = post(client, jar.api("/v2/repository/models/alexnet/load"));
            long switchEnd = System.nanoTime();
            assertThat(loadTwo.statusCode()).as(loadTwo.body()).isEqualTo(200);
            Thread.sleep(2000);

            // A full-size model in and out: what a version costs in memory, and that an unload gives it back.
            fullSize(repo, "copy", 1, 3);
            long rssBeforeCopy = rssKiB(pid);
            assertThat(post(client, jar.api("/v2/repository/models/copy/load")).statusCode()).isEqualTo(200);
            long rssWithCopy = rssKiB(pid);
            assertThat(post(client, jar.api("/v2/repository/models/copy/unload")).statusCode()).isEqualTo(200);
            assertThat(post(client, jar.api("/v2/repository/models/flowers/unload")).statusCode()).isEqualTo(200);
            Thread.sleep(1000);
            long rssAfterUnload = rssKiB(pid);

            running.set(false);
            for (Future<?> loop : loops) {
                loop.get(120, TimeUnit.SECONDS);
            }
            Map<Integer, AtomicInteger> statuses = new ConcurrentHashMap<>();
            answers.forEach(a -> statuses.computeIfAbsent(a.status(), s -> new AtomicInteger()).incrementAndGet());
            String before = answers.stream().filter(a -> a.atNanos() < switchStart).reduce((a, b) -> b).orElseThrow().top();
            String after = answers.get(answers.size() - 1).top();
            long duringSwitch = answers.stream().filter(a -> a.atNanos() >= switchStart && a.atNanos() <= switchEnd).count();
            System.out.printf("repository: %d requests by 16 clients, statuses %s; %d answered during the %.1f s switch to alexnet/2; "
                            + "top-1 before %s, after %s; RSS before flowers %d MiB, with flowers %d MiB; before a full-size load %d MiB, "
                            + "with it %d MiB, after unloading it and flowers %d MiB%n",
                    answers.size(), statuses, duringSwitch, (switchEnd - switchStart) / 1e9, before, after, rssBeforeFlowers / 1024,
                    rssWithFlowers / 1024, rssBeforeCopy / 1024, rssWithCopy / 1024, rssAfterUnload / 1024);

            long started = answers.get(0).atNanos();
            List<String> failed = answers.stream().filter(a -> a.status() != 200).limit(5)
                    .map(a -> String.format("%.1f s: %d %s", (a.atNanos() - started) / 1e9, a.status(), a.top())).toList();
            assertThat(statuses.keySet()).as("every request of the 16 clients answered 200, through every change (switch from %.1f to %.1f s; "
                            + "first failures %s)", (switchStart - started) / 1e9, (switchEnd - started) / 1e9, failed).containsOnly(200);
            assertThat(duringSwitch).as("requests answered while alexnet/2 was loading").isPositive();
            assertThat(after).as("alexnet/2's weights answer after the switch").isNotEqualTo(before);
            assertThat(rssWithCopy - rssBeforeCopy).as("a full-size version's RSS, KiB").isGreaterThan(150_000);
            assertThat(rssAfterUnload).as("RSS after the unload, KiB").isLessThan(rssWithCopy - 150_000);
            JsonNode index = JSON.readTree(post(client, jar.api("/v2/repository/index")).body());
            assertThat(index.toString()).contains("{\"name\":\"alexnet\",\"version\":\"2\",\"state\":\"READY\",\"reason\":\"\"}")
                    .contains("\"name\":\"flowers\",\"version\":\"1\",\"state\":\"UNAVAILABLE\",\"reason\":\"unloaded\"");
        } finally {
            clients.shutdownNow();
        }
    }
}
