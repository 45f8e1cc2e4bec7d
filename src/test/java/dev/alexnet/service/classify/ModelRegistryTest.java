package dev.alexnet.service.classify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import dev.alexnet.service.engine.Batcher;
import dev.alexnet.service.engine.ForwardPass;
import dev.alexnet.service.engine.InferenceEngine;
import dev.alexnet.service.engine.InferenceThread;
import dev.alexnet.service.metrics.AlexNetMetrics;
import dev.alexnet.service.model.AlexNetArchitecture;
import dev.alexnet.service.model.ForwardResult;
import dev.alexnet.service.model.repository.ModelRepository;
import dev.alexnet.service.model.repository.RepositoryFixtures;
import dev.alexnet.service.model.repository.RepositoryException;
import dev.alexnet.service.preprocess.ImageDecoder;
import dev.alexnet.service.preprocess.Preprocessor;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The registry on a real repository folder with real (reduced) weights files: loads, reloads that
 * switch under traffic without one failed request, unloads that wait for the requests holding a
 * version, the version policy, max-loaded, and every way a version can be broken.
 */
class ModelRegistryTest {

    @TempDir
    Path dir;

    private Path repo;
    private InferenceThread inferenceThread;
    private Batcher batcher;
    private ModelRegistry registry;

    @BeforeEach
    void setUp() throws IOException {
        repo = Files.createDirectories(dir.resolve("repo"));
        inferenceThread = InferenceEngine.newInferenceThread();
        ForwardPass none = (input, n) -> {
            throw new IllegalStateException("no default network in this test");
        };
        batcher = new Batcher(none, new Batcher.Settings(8, Duration.ofMillis(2), 64, Duration.ofSeconds(30)));
        registry = registry(4);
    }

    private ModelRegistry registry(int maxLoaded) {
        Preprocessor.Mode mode = Preprocessor.Mode.CENTER_CROP;
        VersionLoader loader = new VersionLoader(batcher, inferenceThread, new AlexNetMetrics(new SimpleMeterRegistry()), mode,
                m -> new Preprocessor(new ImageDecoder(40_000_000), m, 2), 8, 16);
        return new ModelRegistry(new ModelRepository(repo), loader, maxLoaded, 10_000);
    }

    @AfterEach
    void tearDown() {
        registry.close();
        batcher.close();
        inferenceThread.shutdownNow();
    }

    private Path version(String model, long version, int classes, long seed) throws IOException {
        return RepositoryFixtures.version(repo, model, version, classes, seed);
    }

    private static float[] image(int seed) {
        float[] t = new float[AlexNetArchitecture.INPUT_FLOATS];
        for (int i = 0; i < t.length; i++) {
            t[i] = ((i * 31 + seed * 17) % 255) - 120f;
        }
        return t;
    }

    private float[] classify(String model, Long version) {
        try (ModelRegistry.Lease lease = registry.acquire(model, version)) {
            return lease.classifier().classifyTensors(image(1), 1).get(0).probabilities();
        }
    }

    @Test
    void twoModelsWithTheirOwnLabelsAndWidths() throws IOException {
        version("alexnet", 1, 10, 1);
        version("flowers", 1, 3, 2);
        registry.loadAll();

        assertThat(registry.readyModels()).containsExactly("alexnet", "flowers");
        assertThat(classify("alexnet", null)).hasSize(10);
        try (ModelRegistry.Lease lease = registry.acquire("flowers", 1L)) {
            Classifier flowers = lease.classifier();
            float[] probabilities = flowers.classifyTensors(image(1), 1).get(0).probabilities();
            assertThat(probabilities).hasSize(3);
            assertThat(flowers.top(probabilities, 1).get(0).label()).startsWith("flowers class ");
            assertThat(flowers.name()).isEqualTo("flowers");
            assertThat(flowers.version()).isEqualTo("1");
        }
        assertThat(registry.index()).extracting(e -> e.model() + "/" + e.version() + " " + e.state())
                .containsExactly("alexnet/1 READY", "flowers/1 READY");
    }

    @Test
    void everyBrokenVersionIsUnavailableWithItsReasonAndTheOthersServe() throws IOException {
        version("alexnet", 1, 10, 1);
        Path mismatch = version("mismatch", 1, 10, 3);
        Files.writeString(mismatch.resolve(ModelRepository.LABELS), "one\ntwo\nthree\n");
        Path truncated = version("truncated", 1, 10, 4);
        byte[] bytes = Files.readAllBytes(truncated.resolve(ModelRepository.WEIGHTS));
        Files.write(truncated.resolve(ModelRepository.WEIGHTS), Arrays.copyOf(bytes, bytes.length / 2));
        version("config", 1, 10, 5);
        Files.writeString(repo.resolve("config/model.json"), "{\"version_policy\": {\"latest\": {}}}");
        version("badmode", 1, 10, 6);
        Files.writeString(repo.resolve("badmode/model.json"), "{\"preprocessing\": \"stretch\"}");

        registry.loadAll();

        assertThat(registry.readyModels()).containsExactly("alexnet");
        assertThat(registry.index()).extracting(e -> e.model() + " " + e.state() + " " + e.reason()).containsExactly(
                "alexnet READY null",
                "badmode UNAVAILABLE unknown preprocessing mode 'stretch': use center-crop or resize",
                "config UNAVAILABLE model.json: 'version_policy.latest' needs exactly {\"num_versions\": N} with N a positive integer",
                "mismatch UNAVAILABLE labels labels.txt has 3 names, but the model's fc8 has 10 outputs: they must be equal",
                "truncated UNAVAILABLE weights file " + truncated.resolve(ModelRepository.WEIGHTS).toRealPath()
                        + ": truncated: the pickle ends early, after " + bytes.length / 2 + " of " + bytes.length / 2
                        + " bytes (an interrupted download? the full bvlc_alexnet.npy is 243,861,814 bytes)");
        assertThatThrownBy(() -> registry.acquire("mismatch", null)).isInstanceOfSatisfying(RepositoryException.class, e -> {
            assertThat(e.reason()).isEqualTo(RepositoryException.Reason.NOT_FOUND);
            assertThat(e.getMessage()).contains("has 3 names");
        });
        assertThat(classify("alexnet", 1L)).hasSize(10);
    }

    @Test
    void theVersionPolicyChoosesAndAReloadFollowsTheFolder() throws IOException {
        version("alexnet", 1, 10, 1);
        version("alexnet", 2, 10, 2);
        version("alexnet", 3, 10, 3);
        Files.writeString(repo.resolve("alexnet/model.json"), "{\"version_policy\": {\"latest\": {\"num_versions\": 2}}}");
        registry.load("alexnet");
        assertThat(registry.loadedCount()).isEqualTo(2);
        assertThatThrownBy(() -> registry.acquire("alexnet", 1L)).isInstanceOf(RepositoryException.class);
        assertThat(classify("alexnet", 2L)).isNotEqualTo(classify("alexnet", 3L));
        assertThat(classify("alexnet", null)).isEqualTo(classify("alexnet", 3L));

        Files.writeString(repo.resolve("alexnet/model.json"), "{\"version_policy\": {\"specific\": {\"versions\": [1]}}}");
        registry.load("alexnet");
        assertThat(registry.loadedCount()).isEqualTo(1);
        assertThat(registry.index()).extracting(e -> e.version() + " " + e.state() + " " + e.reason())
                .containsExactly("1 READY null", "2 UNAVAILABLE not chosen by the version policy", "3 UNAVAILABLE not chosen by the version policy");
    }

    @Test
    void maxLoadedRefusesALoadWithAClearReason() throws IOException {
        registry.close();
        registry = registry(2);
        version("a", 1, 10, 1);
        version("b", 1, 10, 2);
        version("c", 1, 10, 3);
        registry.load("a");
        registry.load("b");
        assertThat(registry.load("a")).as("a reload of a loaded model does not count twice").hasSize(1);
        assertThatThrownBy(() -> registry.load("c")).isInstanceOfSatisfying(RepositoryException.class, e -> {
            assertThat(e.reason()).isEqualTo(RepositoryException.Reason.TOO_MANY_LOADED);
            assertThat(e.getMessage()).contains("max-loaded is 2");
        });
        registry.unload("b");
        assertThat(registry.load("c")).extracting(ModelRegistry.Entry::state).containsExactly(ModelRegistry.State.READY);
    }

    @Test
    void aReloadSwitchesUnderTrafficWithoutOneFailedRequest() throws Exception {
        version("alexnet", 1, 10, 1);
        registry.load("alexnet");
        float[] before = classify("alexnet", null);
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicInteger answered = new AtomicInteger();
        List<Throwable> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
        List<CompletableFuture<Void>> clients = new ArrayList<>();
        for (int c = 0; c < 4; c++) {
            clients.add(CompletableFuture.runAsync(() -> {
                while (running.get()) {
                    try {
                        assertThat(classify("alexnet", null)).hasSize(10);
                        answered.incrementAndGet();
                    } catch (Throwable t) {
                        failures.add(t);
                    }
                }
            }));
        }
        for (long seed = 10; seed < 13; seed++) {
            version("alexnet", 1, 10, seed); // new weights in the same version folder
            registry.load("alexnet");
        }
        Thread.sleep(200);
        running.set(false);
        CompletableFuture.allOf(clients.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);

        assertThat(failures).as("requests failed during three reloads").isEmpty();
        assertThat(answered.get()).isGreaterThan(10);
        assertThat(classify("alexnet", null)).as("the last weights serve").isNotEqualTo(before);
    }

    @Test
    void anUnloadWaitsForTheRequestsHoldingTheVersionThenNewOnesAreRefused() throws Exception {
        version("alexnet", 1, 10, 1);
        registry.load("alexnet");
        ModelRegistry.Lease held = registry.acquire("alexnet", null);
        CompletableFuture<List<ModelRegistry.Entry>> unload = CompletableFuture.supplyAsync(() -> registry.unload("alexnet"));
        Thread.sleep(300);
        assertThat(unload).as("the unload waits for the request holding the version").isNotDone();
        assertThatThrownBy(() -> registry.acquire("alexnet", null)).isInstanceOfSatisfying(RepositoryException.class,
                e -> assertThat(e.getMessage()).contains("not being served").contains("unloaded"));
        assertThat(held.classifier().classifyTensors(image(2), 1).get(0).probabilities()).as("the held version still answers").hasSize(10);
        held.close();
        assertThat(unload.get(30, TimeUnit.SECONDS)).extracting(e -> e.state() + " " + e.reason()).containsExactly("UNAVAILABLE unloaded");
        assertThat(registry.loadedCount()).isZero();
    }

    @Test
    void namesAndMissingModelsAreRefused() {
        assertThatThrownBy(() -> registry.load("../etc")).isInstanceOfSatisfying(RepositoryException.class,
                e -> assertThat(e.reason()).isEqualTo(RepositoryException.Reason.BAD_NAME));
        assertThatThrownBy(() -> registry.unload("a/b")).isInstanceOfSatisfying(RepositoryException.class,
                e -> assertThat(e.reason()).isEqualTo(RepositoryException.Reason.BAD_NAME));
        assertThatThrownBy(() -> registry.load("absent")).isInstanceOfSatisfying(RepositoryException.class,
                e -> assertThat(e.reason()).isEqualTo(RepositoryException.Reason.NOT_FOUND));
        assertThatThrownBy(() -> registry.unload("absent")).isInstanceOfSatisfying(RepositoryException.class,
                e -> assertThat(e.reason()).isEqualTo(RepositoryException.Reason.NOT_FOUND));
    }

    @Test
    void requestsNameAModelOrGetTheDefaultAndVersionsAreNumbers() throws IOException {
        version("alexnet", 1, 10, 1);
        registry.load("alexnet");
        try (ModelRegistry.Lease lease = registry.resolve(null, "")) {
            assertThat(lease.classifier().name()).as("the only model is the default").isEqualTo("alexnet");
        }
        version("flowers", 1, 3, 2);
        registry.load("flowers");
        assertThatThrownBy(() -> registry.resolve(null, null)).isInstanceOfSatisfying(RepositoryException.class,
                e -> assertThat(e.getMessage()).contains("several models are served (alexnet, flowers)"));
        try (ModelRegistry.Lease lease = registry.resolve("flowers", "1")) {
            assertThat(lease.classifier().labels().size()).isEqualTo(3);
        }
        for (String bad : List.of("0", "-1", "one", "1.5")) {
            assertThatThrownBy(() -> registry.resolve("flowers", bad)).isInstanceOfSatisfying(RepositoryException.class,
                    e -> assertThat(e.reason()).isEqualTo(RepositoryException.Reason.BAD_NAME));
        }
        assertThatThrownBy(() -> registry.resolve("Flowers", null)).isInstanceOfSatisfying(RepositoryException.class,
                e -> assertThat(e.reason()).isEqualTo(RepositoryException.Reason.BAD_NAME));
    }

    @Test
    void withoutARepositoryTheOneModelIsAlwaysReadyAndNothingLoads() throws IOException {
        version("alexnet", 1, 10, 1);
        registry.load("alexnet");
        Classifier started;
        try (ModelRegistry.Lease lease = registry.acquire("alexnet", 1L)) {
            started = lease.classifier();
        }
        ModelRegistry single = ModelRegistry.single(started);
        try (ModelRegistry.Lease lease = single.resolve(null, null)) {
            assertThat(lease.classifier()).isSameAs(started);
        }
        assertThat(single.index()).extracting(e -> e.model() + "/" + e.version() + " " + e.state()).containsExactly("alexnet/1 READY");
        assertThatThrownBy(() -> single.load("alexnet")).hasMessageContaining("no model repository is configured");
        assertThatThrownBy(() -> single.resolve("alexnet", "2")).isInstanceOfSatisfying(RepositoryException.class,
                e -> assertThat(e.reason()).isEqualTo(RepositoryException.Reason.NOT_FOUND));
        single.close();
        try (ModelRegistry.Lease lease = registry.acquire("alexnet", 1L)) {
            assertThat(lease.classifier().classifyTensors(image(3), 1)).as("closing the single view frees nothing it did not load")
                    .hasSize(1);
        }
    }

    @Test
    void pollingFollowsTheFolderAndRetriesABrokenModelOnlyWhenItChanges() throws Exception {
        version("alexnet", 1, 10, 1);
        registry.poll();
        assertThat(registry.readyModels()).containsExactly("alexnet");
        float[] first = classify("alexnet", null);

        registry.poll();
        assertThat(classify("alexnet", null)).as("nothing changed: nothing reloaded").isEqualTo(first);

        version("alexnet", 2, 10, 2);
        version("flowers", 1, 3, 3);
        Path broken = version("broken", 1, 10, 4);
        Files.writeString(broken.resolve(ModelRepository.LABELS), "x\n");
        registry.poll();
        assertThat(registry.readyModels()).containsExactly("alexnet", "flowers");
        assertThat(registry.readyVersions("alexnet")).containsExactly("2");
        assertThat(classify("alexnet", null)).isNotEqualTo(first);
        String brokenReason = registry.index().stream().filter(e -> e.model().equals("broken")).findFirst().orElseThrow().reason();
        assertThat(brokenReason).contains("has 1 names");

        // Same files: the broken model is not tried again (no log spam every poll); fixed: it loads.
        registry.poll();
        Files.writeString(broken.resolve(ModelRepository.LABELS), "0\n1\n2\n3\n4\n5\n6\n7\n8\n9\n");
        Files.setLastModifiedTime(broken.resolve(ModelRepository.LABELS), java.nio.file.attribute.FileTime.fromMillis(
                System.currentTimeMillis() + 5000));
        registry.poll();
        assertThat(registry.readyModels()).containsExactly("alexnet", "broken", "flowers");

        // New weights in a served version's folder are reloaded; a removed model folder is unloaded.
        float[] before = classify("flowers", 1L);
        version("flowers", 1, 3, 30);
        Files.setLastModifiedTime(repo.resolve("flowers/1").resolve(ModelRepository.WEIGHTS),
                java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() + 10000));
        registry.poll();
        assertThat(classify("flowers", 1L)).isNotEqualTo(before);
        try (var files = Files.walk(repo.resolve("broken"))) {
            for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
        registry.poll();
        assertThat(registry.readyModels()).containsExactly("alexnet", "flowers");
    }
}
