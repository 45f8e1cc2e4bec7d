package dev.alexnet.service.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import dev.alexnet.service.model.runtime.OpenMpSpin;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

class LauncherTest {

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(String... args) {
        return Launcher.runCommand(Launcher.mode(args), args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @Test
    void noArgumentsOrServeOrSpringOptionsServe() {
        assertThat(Launcher.mode(new String[0])).isEqualTo(Launcher.Mode.SERVE);
        assertThat(Launcher.mode(new String[] {"serve"})).isEqualTo(Launcher.Mode.SERVE);
        assertThat(Launcher.mode(new String[] {"--server.port=0"})).isEqualTo(Launcher.Mode.SERVE);
    }

    @Test
    void unknownModeIsAUsageError() {
        assertThatThrownBy(() -> Launcher.mode(new String[] {"frobnicate"}))
                .isInstanceOf(UsageException.class).hasMessageContaining("frobnicate");
    }

    @Test
    void badBenchFlagsPrintUsageAndExit2() {
        assertThat(run("bench", "--batches", "0")).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("--batches must be at least 1").contains("usage:");
        assertThat(run("bench", "--frobnicate")).isEqualTo(2);
        assertThat(run("bench", "--seconds")).isEqualTo(2);
        assertThat(run("bench", "--seconds", "abc")).isEqualTo(2);
        assertThat(run("bench", "--seed", "abc")).isEqualTo(2);
        assertThat(run("bench", "--warmup-seconds", "-1")).isEqualTo(2);
        assertThat(run("bench", "--weights", "/nonexistent/file.npy")).isEqualTo(2);
        assertThat(run("bench", "--pass", "bogus")).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("--pass takes auto, onednn or nd4j: bogus");
        assertThat(run("bench", "--dense", "sgemm")).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("--dense takes auto, gemv or batched: sgemm");
        assertThat(out.size()).isZero();
    }

    @Test
    void helpExits0() {
        assertThat(run("help")).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("bench").contains("serve");
    }

    @Test
    void benchJsonReportsEveryBatch() {
        assertThat(run("bench", "--batches", "1,2", "--seconds", "0.2", "--warmup", "1", "--warmup-seconds", "0.5", "--json")).isZero();
        String printed = out.toString(StandardCharsets.UTF_8).trim();
        JsonNode report = JsonMapper.builder().build().readTree(printed.substring(printed.lastIndexOf('\n') + 1));
        assertThat(report.get("nativeBuild").asString()).startsWith("linux-x86_64");
        assertThat(report.get("openMpSpin").asString()).isEqualTo(OpenMpSpin.fromEnvironment().toString());
        assertThat(report.get("pass").asString()).isEqualTo("onednn");
        assertThat(report.get("densePath").asString()).matches("(inner product|1x1 convolution) \\(batch-1 pass: inner product "
                + "[0-9.]+ ms, 1x1 convolution [0-9.]+ ms; median of 15 interleaved passes each\\)");
        assertThat(report.get("densePath").asString()).startsWith(report.get("batchOneGemv").asBoolean() ? "inner" : "1x1");
        assertThat(report.get("loadSeconds").asDouble()).isPositive();
        assertThat(report.get("rssBytes").asLong()).isGreaterThan(100L << 20);
        assertThat(report.get("results")).hasSize(2);
        JsonNode second = report.get("results").get(1);
        assertThat(second.get("batch").asInt()).isEqualTo(2);
        assertThat(second.get("msPerBatch").asDouble()).isPositive();
        assertThat(second.get("imagesPerSecond").asDouble())
                .isCloseTo(2000 / second.get("msPerBatch").asDouble(), org.assertj.core.data.Offset.offset(1e-6));
        assertThat(second.get("gflops").asDouble()).isCloseTo(second.get("imagesPerSecond").asDouble() * 1.4488,
                org.assertj.core.data.Offset.offset(second.get("gflops").asDouble() * 0.01));
    }

    @Test
    void benchOnTheNd4jPassMeasuresItsDensePath() {
        assertThat(run("bench", "--pass", "nd4j", "--batches", "1", "--seconds", "0.2", "--warmup", "1", "--warmup-seconds", "0.5",
                "--json")).isZero();
        String printed = out.toString(StandardCharsets.UTF_8).trim();
        JsonNode report = JsonMapper.builder().build().readTree(printed.substring(printed.lastIndexOf('\n') + 1));
        assertThat(report.get("pass").asString()).isEqualTo("nd4j");
        // The batch-1 dense path was measured, both ways, and the report says which one won.
        String dense = report.get("densePath").asString();
        assertThat(dense).matches("(sgemv|Mmul) \\(batch-1 pass: sgemv [0-9.]+ ms, Mmul [0-9.]+ ms; median of 15 interleaved passes each\\)");
        assertThat(dense).startsWith(report.get("batchOneGemv").asBoolean() ? "sgemv" : "Mmul");
        assertThat(report.get("results")).hasSize(1);
    }
}
