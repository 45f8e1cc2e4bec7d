package dev.alexnet.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;

import dev.alexnet.service.engine.InferenceEngine;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.SpringApplication;
import org.springframework.context.ConfigurableApplicationContext;

/** Start-up: serves random-init without weights, and fails fast, naming the file, on a bad one. */
class AlexNetServiceApplicationTest {

    @Test
    void startsOnRandomInitAndWarmsUp() {
        try (ConfigurableApplicationContext context = SpringApplication.run(AlexNetServiceApplication.class,
                "--server.port=0", "--management.server.port=0", "--alexnet.weights=")) {
            InferenceEngine engine = context.getBean(InferenceEngine.class);
            assertThat(engine.source().name()).isEqualTo("random-init");
            assertThat(engine.isWarm()).isTrue();
            // On oneDNN's primitives (the default on this CPU) the dense-path probe's batch-1 passes
            // (3 warm-up and 15 timed on the inner product and on the 1x1 convolutions), then three
            // passes at batch 1 and three at the largest batch (32): the fastest of each give the pass times.
            assertThat(engine.passName()).isEqualTo("onednn");
            assertThat(engine.densePath().measured()).isTrue();
            assertThat(engine.densePath().live()).isFalse();
            assertThat(engine.densePath().path()).isIn("inner product", "1x1 convolution");
            assertThat(engine.passes()).isEqualTo(2 * (3 + 15) + 6);
            assertThat(engine.images()).isEqualTo(2 * (3 + 15) + 3 + 3 * 32);
            assertThat(engine.passTimes().nanos(32)).isGreaterThan(engine.passTimes().nanos(1));
        }
    }

    @Test
    void theNd4jPassProbesItsBatchOneDensePathAtStart() {
        try (ConfigurableApplicationContext context = SpringApplication.run(AlexNetServiceApplication.class,
                "--server.port=0", "--management.server.port=0", "--alexnet.weights=", "--alexnet.backend.forward-pass=nd4j")) {
            InferenceEngine engine = context.getBean(InferenceEngine.class);
            assertThat(engine.passName()).isEqualTo("nd4j");
            // The dense-path probe's batch-1 passes (3 warm-up and 15 timed on each path), then the six above.
            assertThat(engine.densePath().measured()).isTrue();
            assertThat(engine.passes()).isEqualTo(2 * (3 + 15) + 6);
            assertThat(engine.images()).isEqualTo(2 * (3 + 15) + 3 + 3 * 32);
        }
    }

    @Test
    void labelsThatDoNotMatchFc8FailStartUp(@TempDir Path dir) throws Exception {
        Path labels = Files.writeString(dir.resolve("labels.txt"), "cat\ndog\n");
        assertThatThrownBy(() -> SpringApplication.run(AlexNetServiceApplication.class,
                "--server.port=0", "--management.server.port=0", "--alexnet.weights=", "--alexnet.labels=" + labels).close())
                .rootCause().hasMessageContaining("labels.txt has 2 names").hasMessageContaining("fc8 has 1000 outputs");
    }

    @Test
    void aFineTunedModelServesItsOwnLabels(@TempDir Path dir) throws Exception {
        Path weights = Path.of(AlexNetServiceApplicationTest.class.getResource("/fixtures/reduced.npy").toURI());
        StringBuilder names = new StringBuilder();
        for (int i = 0; i < 10; i++) {
            names.append("class-").append(i).append('\n');
        }
        Path labels = Files.writeString(dir.resolve("labels.txt"), names);
        try (ConfigurableApplicationContext context = SpringApplication.run(AlexNetServiceApplication.class,
                "--server.port=0", "--management.server.port=0", "--alexnet.weights=" + weights, "--alexnet.labels=" + labels)) {
            InferenceEngine engine = context.getBean(InferenceEngine.class);
            assertThat(engine.architecture().classes()).isEqualTo(10);
            assertThat(engine.source().name()).isEqualTo("reduced.npy");
            dev.alexnet.service.model.Labels bean = context.getBean(dev.alexnet.service.model.Labels.class);
            assertThat(bean.name(7)).isEqualTo("class-7");
        }
    }

    @Test
    void badWeightsFileFailsStartUpWithItsName(@TempDir Path dir) throws Exception {
        Path bad = Files.writeString(dir.resolve("bvlc_alexnet.npy"), "<html>404 Not Found</html>");
        assertThatThrownBy(() -> SpringApplication.run(AlexNetServiceApplication.class,
                "--server.port=0", "--management.server.port=0", "--alexnet.weights=" + bad).close())
                .rootCause().hasMessageContaining(bad.toString()).hasMessageContaining("not an NPY file");
    }
}
