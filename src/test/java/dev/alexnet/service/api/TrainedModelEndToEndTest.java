package dev.alexnet.service.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;

import dev.alexnet.service.cli.Launcher;
import dev.alexnet.service.model.AlexNetArchitecture;
import dev.alexnet.service.model.weights.AlexNetWeights;
import dev.alexnet.service.model.runtime.NativeBuild;
import dev.alexnet.service.model.weights.NpyWeightsWriter;
import dev.alexnet.service.preprocess.TestImages;
import dev.alexnet.service.train.SyntheticDataset;
import dev.alexnet.service.train.Trainer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;

/**
 * What {@code train} writes is what the service serves: a 3-class model fine-tuned on generated
 * images loads through ALEXNET_WEIGHTS / ALEXNET_LABELS (fc8's width sets the class count), and
 * /classify answers with the new labels, right on new images of each class.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class TrainedModelEndToEndTest {

    private static Path dir;

    @LocalServerPort
    int port;

    @DynamicPropertySource
    static void trainedModel(DynamicPropertyRegistry registry) throws Exception {
        NativeBuild.select(null);
        dir = Files.createTempDirectory("trained-model");
        SyntheticDataset.write(dir.resolve("data"), 24, 7);
        Path pretrained = dir.resolve("pretrained.npy");
        new NpyWeightsWriter().write(AlexNetWeights.heForTraining(new AlexNetArchitecture(8, 16, 24, 24, 16, 32, 32, 10), 5),
                pretrained);
        Path out = dir.resolve("out");
        int status = Launcher.runCommand(Launcher.Mode.TRAIN, new String[] {"train", "--data", dir.resolve("data").toString(),
                "--out", out.toString(), "--from", pretrained.toString(), "--freeze", "conv", "--epochs", "8", "--batch", "16"},
                System.out, System.err);
        assertThat(status).isZero();
        registry.add("alexnet.weights", () -> out.resolve(Trainer.WEIGHTS).toString());
        registry.add("alexnet.labels", () -> out.resolve(Trainer.LABELS).toString());
    }

    @AfterAll
    static void cleanUp() throws Exception {
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    @Test
    void classifyAnswersWithTheTrainedLabels() {
        Http http = new Http(port);
        SplittableRandom random = new SplittableRandom(1234);
        int right = 0;
        int total = 0;
        for (int label = 0; label < 3; label++) {
            for (int n = 0; n < 4; n++) {
                byte[] png = TestImages.encode(SyntheticDataset.image(label, random), "png");
                Http.Response response = http.multipart("/classify?topk=3", List.of(Http.Part.image("x.png", png)));
                assertThat(response.status()).as(response.text()).isEqualTo(200);
                JsonNode result = response.json();
                assertThat(result.at("/model/weights").asString()).isEqualTo("weights.npy");
                JsonNode predictions = result.at("/results/0/predictions");
                assertThat(predictions.size()).isEqualTo(3);
                for (JsonNode p : predictions) {
                    assertThat(SyntheticDataset.CLASSES).contains(p.get("label").asString());
                }
                right += predictions.get(0).get("label").asString().equals(SyntheticDataset.CLASSES.get(label)) ? 1 : 0;
                total++;
            }
        }
        // Chance would get 4; 8 or more happens by chance with probability 0.02.
        assertThat(right).as("new images classified right, of %d (chance 1/3)", total).isGreaterThanOrEqualTo(8);
        JsonNode prob = http.get("/v2/models/alexnet").json().at("/outputs/0");
        assertThat(prob.get("name").asString()).isEqualTo("prob");
        assertThat(prob.at("/shape/1").asInt()).as("classes, from fc8's width").isEqualTo(3);
    }
}
