package dev.alexnet.service.classify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;

import dev.alexnet.service.engine.Batcher;
import dev.alexnet.service.engine.EngineLoader;
import dev.alexnet.service.engine.InferenceEngine;
import dev.alexnet.service.engine.InferenceRejectedException;
import dev.alexnet.service.engine.PassTimes;
import dev.alexnet.service.metrics.AlexNetMetrics;
import dev.alexnet.service.model.Labels;
import dev.alexnet.service.preprocess.ImageDecoder;
import dev.alexnet.service.preprocess.Preprocessor;
import dev.alexnet.service.preprocess.TestImages;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The use case on the reduced fixture network: a request's images, and a folder's where a bad file stops nothing. */
class ClassifierTest {

    private static InferenceEngine engine;
    private static Batcher batcher;
    private static Classifier classifier;

    @BeforeAll
    static void setUp(@TempDir Path dir) throws Exception {
        engine = EngineLoader.load(Path.of(ClassifierTest.class.getResource("/fixtures/reduced.npy").toURI()), 42, null);
        batcher = new Batcher(engine, new Batcher.Settings(4, Duration.ofMillis(200), 8, Duration.ofSeconds(30)));
        classifier = new Classifier(new Preprocessor(new ImageDecoder(40_000_000), Preprocessor.Mode.CENTER_CROP, 1), batcher,
                engine, Labels.read(Files.writeString(dir.resolve("labels.txt"),
                        "zero\none\ntwo\nthree\nfour\nfive\nsix\nseven\neight\nnine\n")), new AlexNetMetrics(new SimpleMeterRegistry()), 3);
    }

    @AfterAll
    static void tearDown() {
        batcher.close();
        engine.close();
    }

    @Test
    void eachUploadGetsItsAnswerOrItsReasonInOrder() throws Exception {
        byte[] png = TestImages.encode(TestImages.quadrants(64, 48), "png");
        byte[] jpeg = TestImages.jpeg(TestImages.quadrants(300, 200), 0.9f, false);
        byte[] cut = Arrays.copyOf(jpeg, jpeg.length / 3);
        List<Classifier.Outcome> outcomes = classifier.classifyEach(List.of(new Upload("a.png", png),
                new Upload("cut.jpg", cut), new Upload("text", "not an image".getBytes()), new Upload("b.jpg", jpeg)));

        assertThat(outcomes).extracting(o -> o.upload().filename()).containsExactly("a.png", "cut.jpg", "text", "b.jpg");
        assertThat(outcomes).extracting(Classifier.Outcome::ok).containsExactly(true, false, false, true);
        assertThat(outcomes.get(1).error()).contains("truncated");
        assertThat(outcomes.get(2).error()).contains("not an image");
        assertThat(outcomes.get(0).classified().width()).isEqualTo(64);
        assertThat(outcomes.get(3).classified().height()).isEqualTo(200);

        // The same images as one request give the same numbers (to float rounding: a pass's kernels
        // depend on its batch size, and the two calls may be batched differently).
        Classifier.Answer answer = classifier.classify(List.of(new Upload("a.png", png), new Upload("b.jpg", jpeg)));
        assertThat(outcomes.get(0).classified().probabilities()).containsExactly(answer.images().get(0).probabilities(), within(1e-6f));
        assertThat(outcomes.get(3).classified().probabilities()).containsExactly(answer.images().get(1).probabilities(), within(1e-6f));
    }

    @Test
    void aFolderChunkIsNotBoundByTheRequestLimitButARequestIs() {
        byte[] png = TestImages.encode(TestImages.quadrants(32, 32), "png");
        List<Upload> four = List.of(new Upload("1", png), new Upload("2", png), new Upload("3", png), new Upload("4", png));
        assertThat(classifier.classifyEach(four)).allMatch(Classifier.Outcome::ok);
        assertThatThrownBy(() -> classifier.classify(four)).isInstanceOf(ClassifyRequestException.class)
                .hasMessageContaining("the limit is 3");
    }

    @Test
    void nothingDecodableStillAnswersEveryFile() {
        List<Classifier.Outcome> outcomes = classifier.classifyEach(List.of(new Upload("x", new byte[] {1, 2, 3})));
        assertThat(outcomes).singleElement().satisfies(o -> {
            assertThat(o.ok()).isFalse();
            assertThat(o.error()).isNotBlank();
        });
    }

    @Test
    void aRequestPastTheQueuesTimeBoundBeforeItsDecodeIsRefusedUndecoded() throws Exception {
        // A 1 ns bound has passed before any decode can start: the pass loop would drop the image after decoding it.
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (Batcher bounded = new Batcher(engine, new Batcher.Settings(4, Duration.ZERO, 8, Duration.ofSeconds(30), Duration.ofNanos(1),
                new PassTimes(1_000_000, 1_000_000)))) {
            Classifier tight = new Classifier(new Preprocessor(new ImageDecoder(40_000_000), Preprocessor.Mode.CENTER_CROP, 1), bounded,
                    engine, Labels.read(Files.writeString(Files.createTempFile("labels", ".txt"),
                            "zero\none\ntwo\nthree\nfour\nfive\nsix\nseven\neight\nnine\n")), new AlexNetMetrics(registry), 3);
            byte[] jpeg = TestImages.jpeg(TestImages.quadrants(300, 200), 0.9f, false);

            assertThatThrownBy(() -> tight.classify(List.of(new Upload("a.jpg", jpeg))))
                    .isInstanceOfSatisfying(InferenceRejectedException.class,
                            e -> assertThat(e.reason()).isEqualTo(InferenceRejectedException.Reason.TIMEOUT))
                    .hasMessageContaining("to be decoded");
            assertThat(registry.get("alexnet.preprocess").timer().count()).as("decodes run").isZero();
            assertThat(bounded.queueDepth()).as("room given back").isZero();
        }
    }
}
