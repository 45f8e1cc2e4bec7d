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
                "--server.port=0", "--alexnet.weights=")) {
            InferenceEngine engine = context.getBean(InferenceEngine.class);
            assertThat(engine.source().name()).isEqualTo("random-init");
            assertThat(engine.isWarm()).isTrue();
            assertThat(engine.passes()).isEqualTo(1);
        }
    }

    @Test
    void badWeightsFileFailsStartUpWithItsName(@TempDir Path dir) throws Exception {
        Path bad = Files.writeString(dir.resolve("bvlc_alexnet.npy"), "<html>404 Not Found</html>");
        assertThatThrownBy(() -> SpringApplication.run(AlexNetServiceApplication.class,
                "--server.port=0", "--alexnet.weights=" + bad).close())
                .rootCause().hasMessageContaining(bad.toString()).hasMessageContaining("not an NPY file");
    }
}
