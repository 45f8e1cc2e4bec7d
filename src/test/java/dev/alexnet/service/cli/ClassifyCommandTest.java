package dev.alexnet.service.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import dev.alexnet.service.model.AlexNetArchitecture;
import dev.alexnet.service.model.weights.AlexNetWeights;
import dev.alexnet.service.model.weights.NpyWeightsReader;
import dev.alexnet.service.model.weights.NpyWeightsWriter;
import dev.alexnet.service.preprocess.TestImages;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** {@code classify} over a folder of good and bad files, in both output formats, with its exit codes. */
class ClassifyCommandTest {

    @TempDir
    Path dir;

    private Path weights;
    private Path labels;
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    @BeforeEach
    void setUp() throws Exception {
        weights = Path.of(ClassifyCommandTest.class.getResource("/fixtures/reduced.npy").toURI());
        StringBuilder names = new StringBuilder();
        for (int i = 0; i < 10; i++) {
            names.append("class ").append(i).append(", with a comma\n");
        }
        labels = Files.writeString(dir.resolve("labels.txt"), names);
        Path images = Files.createDirectories(dir.resolve("images/nested"));
        Files.write(dir.resolve("images/a.png"), TestImages.encode(TestImages.quadrants(64, 48), "png"));
        Files.write(dir.resolve("images/b.jpg"), TestImages.jpeg(TestImages.quadrants(300, 200), 0.9f, false));
        Files.writeString(dir.resolve("images/readme.txt"), "not an image");
        byte[] jpeg = TestImages.jpeg(TestImages.quadrants(64, 64), 0.9f, false);
        Files.write(images.resolve("cut.jpg"), Arrays.copyOf(jpeg, jpeg.length / 3));
        Files.write(images.resolve("c.gif"), TestImages.encode(TestImages.palette(20, 10), "gif"));
    }

    private int run(String... args) {
        return Launcher.runCommand(Launcher.mode(args), args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @Test
    void jsonLinesForAMixedFolderAndExit1() {
        int status = run("classify", dir.resolve("images").toString(), "--weights", weights.toString(),
                "--labels", labels.toString(), "--topk", "3", "--batch", "2");
        assertThat(status).isEqualTo(1);
        List<JsonNode> lines = out.toString(StandardCharsets.UTF_8).lines().map(JsonMapper.builder().build()::readTree).toList();
        assertThat(lines).extracting(l -> Path.of(l.get("file").asString()).getFileName().toString())
                .containsExactly("a.png", "b.jpg", "c.gif", "cut.jpg", "readme.txt");
        assertThat(lines).filteredOn(l -> l.get("ok").asBoolean()).hasSize(3)
                .allSatisfy(l -> {
                    assertThat(l.get("predictions")).hasSize(3);
                    assertThat(l.at("/predictions/0/label").asString()).startsWith("class ");
                    assertThat(l.at("/predictions/0/probability").asDouble()).isGreaterThanOrEqualTo(l.at("/predictions/1/probability").asDouble());
                });
        assertThat(lines.get(0).get("width").asInt()).isEqualTo(64);
        assertThat(lines.get(3).get("ok").asBoolean()).isFalse();
        assertThat(lines.get(3).get("error").asString()).contains("truncated");
        assertThat(lines.get(4).get("error").asString()).contains("not an image");
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("done: 5 files").contains("2 failed");
    }

    @Test
    void csvWithQuotingAndToAFile() throws Exception {
        Path outFile = dir.resolve("out.csv");
        int status = run("classify", dir.resolve("images/a.png").toString(), dir.resolve("images/readme.txt").toString(),
                "--weights", weights.toString(), "--labels", labels.toString(), "--format", "csv", "--topk", "2", "--out", outFile.toString());
        assertThat(status).isEqualTo(1);
        List<String> rows = Files.readAllLines(outFile);
        assertThat(rows.get(0)).isEqualTo("file,status,rank,index,label,probability,error");
        assertThat(rows).hasSize(1 + 2 + 1);
        assertThat(rows.get(1)).contains(",ok,1,").contains("\"class ").contains(", with a comma\"");
        assertThat(rows.get(3)).contains(",error,").contains("not an image");
        assertThat(out.size()).isZero();
    }

    @Test
    void allGoodExits0() {
        assertThat(run("classify", dir.resolve("images/a.png").toString(), dir.resolve("images/nested/c.gif").toString(),
                "--weights", weights.toString(), "--labels", labels.toString())).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8).lines()).hasSize(2);
    }

    @Test
    void missingPathsAreReportedAndBadFlagsExit2() {
        assertThat(run("classify", dir.resolve("absent.jpg").toString(), "--weights", weights.toString(),
                "--labels", labels.toString())).isEqualTo(1);
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("no such file or folder");
        assertThat(run("classify")).isEqualTo(2);
        assertThat(run("classify", "x.jpg", "--format", "xml")).isEqualTo(2);
        assertThat(run("classify", "x.jpg", "--topk", "0")).isEqualTo(2);
        assertThat(run("classify", "x.jpg", "--frobnicate")).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("usage:");
    }

    @Test
    void aModelOfARepositorySuppliesWeightsLabelsAndMode() throws Exception {
        Path flowers = Files.createDirectories(dir.resolve("repo/flowers/2"));
        AlexNetArchitecture reduced = new NpyWeightsReader().read(weights).architecture();
        new NpyWeightsWriter().write(AlexNetWeights.random(reduced.withClasses(3), 7), flowers.resolve("weights.npy"));
        Files.writeString(flowers.resolve("labels.txt"), "rose\ntulip\ndaisy\n");
        Files.createDirectories(dir.resolve("repo/flowers/1"));
        Files.writeString(dir.resolve("repo/flowers/model.json"), "{\"preprocessing\": \"resize\"}");

        int status = run("classify", dir.resolve("images/a.png").toString(), "--model-repository", dir.resolve("repo").toString(),
                "--model", "flowers");

        assertThat(status).as(err.toString(StandardCharsets.UTF_8)).isZero();
        JsonNode line = JsonMapper.builder().build().readTree(out.toString(StandardCharsets.UTF_8).lines().findFirst().orElseThrow());
        assertThat(line.get("predictions")).hasSize(3);
        assertThat(line.at("/predictions/0/label").asString()).isIn("rose", "tulip", "daisy");
        assertThat(run("classify", "x.jpg", "--model-repository", dir.resolve("repo").toString(), "--model", "flowers", "--version", "1"))
                .as("version 1 has no files").isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("version 1 cannot be used: version 1 has no weights.npy");
        assertThat(run("classify", "x.jpg", "--model", "flowers")).as("--model needs the repository").isEqualTo(2);
        assertThat(run("classify", "x.jpg", "--model-repository", dir.resolve("repo").toString(), "--model", "../etc")).isEqualTo(2);
    }
}
