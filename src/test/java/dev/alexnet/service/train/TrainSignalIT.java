package dev.alexnet.service.train;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import dev.alexnet.service.model.AlexNetArchitecture;
import dev.alexnet.service.model.weights.AlexNetWeights;
import dev.alexnet.service.model.weights.NpyWeightsWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.json.JsonMapper;

/**
 * The packaged jar's {@code train} mode, stopped by a real SIGTERM (what Ctrl-C's SIGINT also
 * triggers: the JVM's shutdown hooks) in the middle of an epoch: it saves a checkpoint, exits
 * with 143 (128 + SIGTERM), and {@code --resume} finishes the run. Bounded: a reduced network, 36 images.
 */
class TrainSignalIT {

    @Test
    void sigtermSavesACheckpointAndTheRunResumes(@TempDir Path dir) throws Exception {
        SyntheticDataset.write(dir.resolve("data"), 12, 3);
        Path pretrained = dir.resolve("pretrained.npy");
        new NpyWeightsWriter().write(AlexNetWeights.heForTraining(new AlexNetArchitecture(8, 16, 24, 24, 16, 32, 32, 10), 5),
                pretrained);
        Path out = dir.resolve("out");
        Path log = dir.resolve("train.log");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = List.of(java, "-jar", "target/alexnet-service.jar", "train", "--data", dir.resolve("data").toString(),
                "--out", out.toString(), "--from", pretrained.toString(), "--freeze", "conv", "--epochs", "1000", "--batch", "2");
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (System.nanoTime() < deadline && process.isAlive() && !Files.readString(log).contains("epoch 2/1000 batch")) {
                Thread.sleep(100);
            }
            assertThat(Files.readString(log)).as("training reached its second epoch").contains("epoch 2/1000 batch");
            process.destroy();
            assertThat(process.waitFor(30, TimeUnit.SECONDS)).as("exited after SIGTERM").isTrue();
        } finally {
            process.destroyForcibly();
        }
        String text = Files.readString(log);
        // The JVM exits with the signal's status, 128 + 15, once the shutdown hook has saved the checkpoint.
        assertThat(process.exitValue()).as(text).isEqualTo(143);
        assertThat(text).contains("stopped: checkpoint saved at epoch");
        var report = JsonMapper.builder().build().readTree(Files.readString(out.resolve(Trainer.REPORT)));
        assertThat(report.get("status").asString()).isEqualTo("interrupted");
        int epochsDone = report.get("epochs").size();
        assertThat(epochsDone).isGreaterThanOrEqualTo(1);

        Process resumed = new ProcessBuilder(List.of(java, "-jar", "target/alexnet-service.jar", "train", "--resume",
                "--out", out.toString(), "--epochs", String.valueOf(epochsDone + 1)))
                .redirectErrorStream(true).redirectOutput(dir.resolve("resume.log").toFile()).start();
        assertThat(resumed.waitFor(120, TimeUnit.SECONDS)).isTrue();
        String resumedLog = Files.readString(dir.resolve("resume.log"));
        assertThat(resumed.exitValue()).as(resumedLog).isZero();
        assertThat(resumedLog).contains("resuming at epoch " + (epochsDone + 1));
        report = JsonMapper.builder().build().readTree(Files.readString(out.resolve(Trainer.REPORT)));
        assertThat(report.get("status").asString()).isEqualTo("completed");
        assertThat(report.get("epochs").size()).isEqualTo(epochsDone + 1);
    }
}
