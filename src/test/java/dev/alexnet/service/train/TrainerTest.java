package dev.alexnet.service.train;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import dev.alexnet.service.cli.Launcher;
import dev.alexnet.service.model.AlexNetArchitecture;
import dev.alexnet.service.model.weights.AlexNetWeights;
import dev.alexnet.service.model.runtime.NativeBuild;
import dev.alexnet.service.model.weights.NpyWeightsReader;
import dev.alexnet.service.model.weights.NpyWeightsWriter;
import dev.alexnet.service.model.network.TrainableAlexNet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Training end to end on a generated dataset with a reduced-width network: the loss falls and
 * held-out images are classified better than chance; checkpoints resume, also after a stop in
 * the middle of an epoch; the command's outputs are what the service reads.
 */
class TrainerTest {

    static final AlexNetArchitecture REDUCED = new AlexNetArchitecture(8, 16, 24, 24, 16, 32, 32, 10);

    @BeforeAll
    static void backend() {
        NativeBuild.select(null);
    }

    /** A reduced network "pretrained" on 10 classes: He weights at unit scale, as fine-tuning starts from. */
    public static Path pretrained(Path dir) throws Exception {
        Path file = dir.resolve("pretrained.npy");
        new NpyWeightsWriter().write(AlexNetWeights.heForTraining(REDUCED, 5), file);
        return file;
    }

    record Run(int status, String out, String err) {
    }

    static Run train(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        List<String> all = new ArrayList<>(List.of("train"));
        all.addAll(List.of(args));
        int status = Launcher.runCommand(Launcher.Mode.TRAIN, all.toArray(String[]::new),
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    static JsonNode report(Path out) throws Exception {
        return JsonMapper.builder().build().readTree(Files.readString(out.resolve(Trainer.REPORT)));
    }

    @Test
    void fineTuningLowersTheLossAndBeatsChanceOnHeldOutImages(@TempDir Path dir) throws Exception {
        SyntheticDataset.write(dir.resolve("data"), 24, 1);
        Path out = dir.resolve("out");
        Run run = train("--data", dir.resolve("data").toString(), "--out", out.toString(), "--from", pretrained(dir).toString(),
                "--freeze", "conv", "--epochs", "4", "--batch", "16", "--val-split", "0.25");
        assertThat(run.status()).as(run.out() + run.err()).isZero();
        JsonNode epochs = report(out).get("epochs");
        assertThat(epochs.size()).isEqualTo(4);
        double firstLoss = epochs.get(0).get("trainLoss").asDouble();
        double lastLoss = epochs.get(3).get("trainLoss").asDouble();
        assertThat(lastLoss).as("training loss, first vs last epoch").isLessThan(0.8 * firstLoss);
        assertThat(epochs.get(3).get("validationTop1").asDouble()).as("held-out top-1 (chance 1/3)").isGreaterThanOrEqualTo(0.75);
        assertThat(report(out).get("status").asString()).isEqualTo("completed");
        assertThat(report(out).at("/pca/eigenvalues").size()).isEqualTo(3);
        assertThat(Files.readAllLines(out.resolve(Trainer.LABELS))).containsExactlyElementsOf(SyntheticDataset.CLASSES);
        AlexNetWeights trained = new NpyWeightsReader().read(out.resolve(Trainer.WEIGHTS));
        assertThat(trained.architecture()).isEqualTo(REDUCED.withClasses(3));
        // Frozen: conv1 to conv5 are the pretrained file's, bit for bit.
        AlexNetWeights before = new NpyWeightsReader().read(dir.resolve("pretrained.npy"));
        for (String layer : List.of("conv1", "conv2", "conv3", "conv4", "conv5")) {
            assertThat(trained.layer(layer).weights()).isEqualTo(before.layer(layer).weights());
        }
        assertThat(trained.layer("fc6").weights()).isNotEqualTo(before.layer("fc6").weights());
        assertThat(run.out()).contains("epoch 4/4 done").contains("val top-1");
    }

    @Test
    void aStoppedRunResumesFromItsCheckpoint(@TempDir Path dir) throws Exception {
        SyntheticDataset.write(dir.resolve("data"), 12, 2);
        Path out = dir.resolve("out");
        Path from = pretrained(dir);
        Trainer.Options options = dev.alexnet.service.cli.TrainCommandAccess.parse(List.of("--data", dir.resolve("data").toString(),
                "--out", out.toString(), "--from", from.toString(), "--epochs", "2", "--batch", "8", "--lr", "0.001"));
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        PrintStream print = new PrintStream(log, true, StandardCharsets.UTF_8);
        Trainer[] trainer = new Trainer[1];
        // Ctrl-C arrives after the second batch of the first epoch.
        Progress stopper = new Progress(print, false) {
            @Override
            void batch(int done, int images, double loss, double seconds) {
                super.batch(done, images, loss, seconds);
                if (done == 2) {
                    trainer[0].requestStop();
                }
            }
        };
        trainer[0] = new Trainer(options, List.of("--data", dir.resolve("data").toString(), "--out", out.toString(),
                "--from", from.toString(), "--epochs", "2", "--batch", "8", "--lr", "0.001"), stopper, print);
        assertThat(trainer[0].run()).isEqualTo(Trainer.Ending.INTERRUPTED);
        assertThat(log.toString(StandardCharsets.UTF_8)).contains("checkpoint saved at epoch 1, batch 2");
        assertThat(report(out).get("status").asString()).isEqualTo("interrupted");
        assertThat(Files.exists(out.resolve(Trainer.CHECKPOINT).resolve("momentum.npy"))).isTrue();

        Run resumed = train("--resume", "--out", out.toString());
        assertThat(resumed.status()).as(resumed.out() + resumed.err()).isZero();
        assertThat(resumed.out()).contains("resuming at epoch 1, batch 2").contains("epoch 2/2 done");
        assertThat(report(out).get("epochs").size()).isEqualTo(2);
        assertThat(report(out).get("status").asString()).isEqualTo("completed");

        // A finished run can be extended.
        Run extended = train("--resume", "--out", out.toString(), "--epochs", "3");
        assertThat(extended.status()).as(extended.out() + extended.err()).isZero();
        assertThat(extended.out()).contains("resuming at epoch 3, batch 0").contains("epoch 3/3 done");
        assertThat(report(out).get("epochs").size()).isEqualTo(3);
    }

    @Test
    void fromScratchTheBackwardPassAndSgdFitABatch() {
        AlexNetArchitecture arch = REDUCED.withClasses(3);
        SplittableRandom random = new SplittableRandom(3);
        int n = 12;
        float[] x = new float[n * 3 * 227 * 227];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (random.nextDouble() * 255 - 120);
        }
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            labels[i] = i % 3;
        }
        try (TrainableAlexNet net = new TrainableAlexNet(AlexNetWeights.random(arch, 1), DataType.FLOAT)) {
            Sgd sgd = new Sgd(1e-4, 0.9, 5e-4);
            double first = net.step(x, n, labels, null, true, sgd).loss();
            TrainableAlexNet.StepResult last = null;
            for (int step = 0; step < 40; step++) {
                last = net.step(x, n, labels, null, true, sgd);
            }
            assertThat(last.loss()).as("loss after 40 steps, from %f", first).isLessThan(0.5 * first);
            assertThat(last.correct()).isEqualTo(n);
        }
    }

    @Test
    void badCommandLinesAreUsageErrors(@TempDir Path dir) {
        assertThat(train("--out", dir.toString()).status()).isEqualTo(2);
        assertThat(train("--data", dir.toString(), "--out", dir.toString(), "--freeze", "conv").status()).isEqualTo(2);
        assertThat(train("--data", dir.toString(), "--out", dir.toString(), "--val", "a", "--val-split", "0.1").status()).isEqualTo(2);
        assertThat(train("--data", dir.toString(), "--out", dir.toString(), "--widths", "8,16").status()).isEqualTo(2);
        assertThat(train("--resume", "--out", dir.toString()).status()).isEqualTo(2);
        Run notAFolder = train("--data", dir.resolve("missing").toString(), "--out", dir.resolve("o").toString());
        assertThat(notAFolder.status()).isEqualTo(1);
        assertThat(notAFolder.err()).contains("no such folder");
    }
}
