package dev.alexnet.service.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.util.List;
import java.util.SplittableRandom;

import dev.alexnet.service.preprocess.Preprocessor;
import dev.alexnet.service.preprocess.TestImages;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import tools.jackson.databind.JsonNode;

/** In resize mode a 227x227 image reaches the network as is: v2 infer on its tensor equals /classify of the image. */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "alexnet.weights=", "alexnet.preprocessing.mode=resize"})
class ResizeModeEndToEndTest {

    @LocalServerPort
    int port;

    @Test
    void v2InferOnTheTensorEqualsClassifyOfTheImage() {
        SplittableRandom random = new SplittableRandom(8);
        BufferedImage img = new BufferedImage(227, 227, BufferedImage.TYPE_INT_RGB);
        int[] rgb = new int[227 * 227];
        for (int i = 0; i < rgb.length; i++) {
            rgb[i] = random.nextInt(0x1000000);
        }
        img.setRGB(0, 0, 227, 227, rgb, 0, 227);
        Http http = new Http(port);
        JsonNode classify = http.multipart("/classify?topk=1000", List.of(Http.Part.image("x.png", TestImages.encode(img, "png")))).json();

        float[] tensor = Preprocessor.toTensor(dev.alexnet.service.preprocess.Resizer.resize(rgb, 227, 227, 227, 227));
        Http.Response v2 = http.post("/v2/models/alexnet/infer", "application/json",
                ClassifyEndToEndTest.v2Body("data", "FP32", "[1,3,227,227]", tensor, "[{\"name\":\"prob\"}]").getBytes());
        assertThat(v2.status()).as(v2.text()).isEqualTo(200);
        JsonNode prob = v2.json().at("/outputs/0/data");
        for (JsonNode p : classify.at("/results/0/predictions")) {
            assertThat(p.get("probability").floatValue()).as("class %d", p.get("index").asInt())
                    .isEqualTo(prob.get(p.get("index").asInt()).floatValue());
        }
    }
}
