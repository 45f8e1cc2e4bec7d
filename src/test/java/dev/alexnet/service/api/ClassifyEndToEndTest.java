package dev.alexnet.service.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import dev.alexnet.service.engine.Batcher;
import dev.alexnet.service.preprocess.TestImages;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import tools.jackson.databind.JsonNode;

/** The REST API on a real port, with the full-size random-init model. */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "alexnet.weights=", "alexnet.batching.max-delay=20ms", "management.server.port=0"})
class ClassifyEndToEndTest {

    @LocalServerPort
    int port;

    @org.springframework.boot.test.web.server.LocalManagementPort
    int managementPort;

    @Autowired
    Batcher batcher;

    private Http http() {
        return new Http(port);
    }

    static byte[] noiseJpeg(long seed, int w, int h) {
        SplittableRandom random = new SplittableRandom(seed);
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                img.setRGB(x, y, random.nextInt(0x1000000));
            }
        }
        return TestImages.jpeg(img, 0.9f, false);
    }

    private static void assertProblem(Http.Response r, int status, String type) {
        assertThat(r.status()).as(r.text()).isEqualTo(status);
        assertThat(r.contentType()).startsWith("application/problem+json");
        JsonNode body = r.json();
        assertThat(body.get("type").asString()).isEqualTo("urn:alexnet:problem:" + type);
        assertThat(body.get("status").asInt()).isEqualTo(status);
        assertThat(body.get("detail").asString()).isNotBlank();
        assertThat(r.text()).doesNotContain("Exception").doesNotContain("\tat ");
    }

    @Test
    void classifiesAMultipartJpeg() {
        Http.Response r = http().multipart("/classify", List.of(Http.Part.image("cat.jpg", noiseJpeg(1, 640, 480))));
        assertThat(r.status()).as(r.text()).isEqualTo(200);
        assertThat(r.contentType()).startsWith("application/json");
        JsonNode body = r.json();
        assertThat(body.at("/model/name").asString()).isEqualTo("alexnet");
        assertThat(body.at("/model/weights").asString()).isEqualTo("random-init");
        assertThat(body.at("/model/sha256").isNull()).isTrue();
        JsonNode result = body.at("/results/0");
        assertThat(result.get("filename").asString()).isEqualTo("cat.jpg");
        assertThat(result.get("width").asInt()).isEqualTo(640);
        assertThat(result.get("height").asInt()).isEqualTo(480);
        JsonNode predictions = result.get("predictions");
        assertThat(predictions).hasSize(5);
        double previous = 1;
        for (int i = 0; i < 5; i++) {
            JsonNode p = predictions.get(i);
            assertThat(p.get("rank").asInt()).isEqualTo(i + 1);
            assertThat(p.get("probability").asDouble()).isBetween(0.0, previous);
            previous = p.get("probability").asDouble();
            assertThat(p.get("label").asString()).isNotBlank();
        }
        for (String timing : List.of("decodeMs", "queueMs", "inferenceMs", "totalMs")) {
            assertThat(body.at("/timings/" + timing).asDouble()).as(timing).isGreaterThanOrEqualTo(0);
        }
        assertThat(body.at("/timings/totalMs").asDouble()).isPositive();
    }

    @Test
    void labelsAreImageNetsInIndexOrder() {
        Http.Response r = http().multipart("/classify?topk=1000", List.of(Http.Part.image("a.png",
                TestImages.encode(TestImages.quadrants(300, 200), "png"))));
        assertThat(r.status()).isEqualTo(200);
        JsonNode predictions = r.json().at("/results/0/predictions");
        assertThat(predictions).hasSize(1000);
        String[] byIndex = new String[1000];
        double sum = 0;
        for (JsonNode p : predictions) {
            byIndex[p.get("index").asInt()] = p.get("label").asString();
            sum += p.get("probability").asDouble();
        }
        assertThat(sum).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-4));
        assertThat(byIndex[0]).isEqualTo("tench");
        assertThat(byIndex[1]).isEqualTo("goldfish");
        assertThat(byIndex[207]).isEqualTo("golden retriever");
        assertThat(byIndex[281]).isEqualTo("tabby");
        assertThat(byIndex[999]).isEqualTo("toilet tissue");
    }

    @Test
    void rawBodyAndSeveralPartsInOrder() {
        Http.Response raw = http().post("/classify?topk=3", "image/png", TestImages.encode(TestImages.quadrants(50, 40), "png"));
        assertThat(raw.status()).as(raw.text()).isEqualTo(200);
        assertThat(raw.json().at("/results/0/predictions")).hasSize(3);
        assertThat(raw.json().at("/results/0/width").asInt()).isEqualTo(50);
        Http.Response many = http().multipart("/classify", List.of(
                Http.Part.image("one.jpg", noiseJpeg(1, 100, 80)),
                Http.Part.image("two.png", TestImages.encode(TestImages.quadrants(30, 20), "png")),
                Http.Part.image("three.gif", TestImages.encode(TestImages.palette(12, 10), "gif"))));
        assertThat(many.status()).as(many.text()).isEqualTo(200);
        JsonNode results = many.json().get("results");
        assertThat(results).hasSize(3);
        assertThat(results.get(0).get("filename").asString()).isEqualTo("one.jpg");
        assertThat(results.get(1).get("filename").asString()).isEqualTo("two.png");
        assertThat(results.get(1).get("width").asInt()).isEqualTo(30);
        assertThat(results.get(2).get("filename").asString()).isEqualTo("three.gif");
    }

    @Test
    void featuresAre4096DimensionalAndNormalisable() {
        byte[] jpeg = noiseJpeg(3, 200, 200);
        JsonNode raw = http().multipart("/features", List.of(Http.Part.image("x.jpg", jpeg))).json();
        JsonNode unit = http().multipart("/features?normalize=true", List.of(Http.Part.image("x.jpg", jpeg))).json();
        assertThat(raw.get("dimensions").asInt()).isEqualTo(4096);
        assertThat(raw.get("layer").asString()).isEqualTo("fc7");
        JsonNode a = raw.at("/results/0/features");
        JsonNode b = unit.at("/results/0/features");
        assertThat(a).hasSize(4096);
        double norm = 0;
        double rawNorm = 0;
        for (int i = 0; i < 4096; i++) {
            norm += b.get(i).asDouble() * b.get(i).asDouble();
            rawNorm += a.get(i).asDouble() * a.get(i).asDouble();
        }
        assertThat(norm).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-4));
        assertThat(rawNorm).isGreaterThan(1.0);
        assertProblem(http().multipart("/features?normalize=maybe", List.of(Http.Part.image("x.jpg", jpeg))), 400, "invalid-parameter");
    }

    @Test
    void everyBadInputGetsItsProblem() {
        byte[] png = TestImages.encode(TestImages.quadrants(20, 20), "png");
        assertProblem(http().multipart("/classify", List.of(new Http.Part("file", "a.png", "image/png", png))), 400, "missing-image");
        assertProblem(http().multipart("/classify", List.of(Http.Part.image("empty.png", new byte[0]))), 400, "empty-image");
        assertProblem(http().post("/classify", "image/jpeg", new byte[0]), 400, "empty-image");
        List<Http.Part> many = new ArrayList<>();
        for (int i = 0; i < 33; i++) {
            many.add(Http.Part.image(i + ".png", png));
        }
        assertProblem(http().multipart("/classify", many), 400, "too-many-images");
        for (String k : List.of("0", "1001", "abc", "-3", "2.5")) {
            assertProblem(http().multipart("/classify?topk=" + k, List.of(Http.Part.image("a.png", png))), 400, "invalid-parameter");
        }
        byte[] zip = {'P', 'K', 3, 4, 20, 0, 0, 0, 8, 0, 1, 2, 3, 4, 5, 6, 7, 8};
        assertProblem(http().multipart("/classify", List.of(Http.Part.image("photo.jpg", zip))), 422, "not-an-image");
        byte[] jpeg = noiseJpeg(9, 64, 64);
        assertProblem(http().multipart("/classify", List.of(Http.Part.image("cut.jpg", Arrays.copyOf(jpeg, jpeg.length / 2)))),
                422, "corrupt-image");
        byte[] heic = new byte[64];
        System.arraycopy("\0\0\0\u0018ftypheic".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1), 0, heic, 0, 12);
        assertProblem(http().multipart("/classify", List.of(Http.Part.image("x.heic", heic))), 415, "unsupported-format");
        assertProblem(http().multipart("/classify", List.of(Http.Part.image("bomb.png", TestImages.pngHeader(100_000, 100_000)))),
                413, "too-many-pixels");
        byte[] big = new byte[11 * 1024 * 1024];
        assertProblem(http().post("/classify", "image/jpeg", big), 413, "upload-too-large");
        assertProblem(http().multipart("/classify", List.of(Http.Part.image("big.jpg", big))), 413, "upload-too-large");
        assertProblem(http().post("/classify", "text/plain", "hello".getBytes()), 415, "unsupported-media-type");
        assertProblem(http().get("/classify"), 405, "method-not-allowed");
        // The server is still healthy after all of that.
        assertThat(http().multipart("/classify", List.of(Http.Part.image("a.png", png))).status()).isEqualTo(200);
    }

    @Test
    void hostileUploadsAreRefusedQuicklyAndTheServiceStaysHealthy() {
        byte[] png = TestImages.encode(TestImages.quadrants(8, 8), "png");
        List<Http.Part> thousand = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            thousand.add(Http.Part.image(i + ".png", png));
        }
        long start = System.nanoTime();
        Http.Response parts = http().multipart("/classify", thousand);
        assertThat(parts.status()).as(parts.text()).isEqualTo(400);
        assertThat(parts.json().get("type").asString()).isEqualTo("urn:alexnet:problem:too-many-images");
        assertThat(System.nanoTime() - start).isLessThan(5_000_000_000L);

        // A 60 KB EXIF block full of garbage entries before a valid image: decoded, orientation ignored.
        byte[] jpeg = TestImages.jpeg(TestImages.quadrants(64, 48), 0.9f, false);
        java.io.ByteArrayOutputStream hostile = new java.io.ByteArrayOutputStream();
        hostile.write(0xFF);
        hostile.write(0xD8);
        byte[] exif = new byte[60_000];
        System.arraycopy("Exif\0\0MM\0*\0\0\0\u0008".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1), 0, exif, 0, 14);
        exif[14] = (byte) 0xFF;
        exif[15] = (byte) 0xFF;
        java.util.Arrays.fill(exif, 16, exif.length, (byte) 0xA5);
        hostile.write(0xFF);
        hostile.write(0xE1);
        hostile.write((exif.length + 2) >> 8);
        hostile.write((exif.length + 2) & 0xFF);
        hostile.writeBytes(exif);
        hostile.write(jpeg, 2, jpeg.length - 2);
        Http.Response exifResponse = http().multipart("/classify", List.of(Http.Part.image("exif.jpg", hostile.toByteArray())));
        assertThat(exifResponse.status()).as(exifResponse.text()).isEqualTo(200);
        assertThat(exifResponse.json().at("/results/0/width").asInt()).isEqualTo(64);

        assertProblem(http().multipart("/classify", List.of(Http.Part.image("bomb.jpg", TestImages.jpegHeader(60_000, 60_000)))),
                413, "too-many-pixels");
        assertProblem(http().multipart("/classify", List.of(Http.Part.image("bomb.gif", TestImages.gifHeader(65_535, 65_535)))),
                413, "too-many-pixels");
        assertProblem(http().post("/classify", "application/json", "{\"image\": \"x\"}".getBytes()), 415, "unsupported-media-type");
        assertThat(http().multipart("/classify", List.of(Http.Part.image("ok.png", png))).status()).isEqualTo(200);
    }

    @Test
    void thirtyTwoConcurrentClientsGetCorrectAnswersInSharedBatches() throws Exception {
        int clients = 32;
        List<byte[]> images = new ArrayList<>();
        List<double[]> expected = new ArrayList<>();
        for (int i = 0; i < clients; i++) {
            images.add(noiseJpeg(100 + i, 120, 90));
            expected.add(top5(http().multipart("/classify", List.of(Http.Part.image(i + ".jpg", images.get(i)))).json()));
        }
        long batchesBefore = batcher.batches();
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        try {
            List<Future<double[]>> answers = new ArrayList<>();
            for (int round = 0; round < 2; round++) {
                for (int i = 0; i < clients; i++) {
                    int id = i;
                    answers.add(pool.submit(() -> {
                        Http.Response r = http().multipart("/classify", List.of(Http.Part.image(id + ".jpg", images.get(id))));
                        assertThat(r.status()).as(r.text()).isEqualTo(200);
                        return top5(r.json());
                    }));
                }
            }
            for (int i = 0; i < answers.size(); i++) {
                double[] got = answers.get(i).get();
                double[] want = expected.get(i % clients);
                for (int j = 0; j < want.length; j += 2) {
                    assertThat(got[j]).as("client %d rank %d index", i % clients, j / 2 + 1).isEqualTo(want[j]);
                    assertThat(got[j + 1]).as("client %d rank %d probability", i % clients, j / 2 + 1)
                            .isCloseTo(want[j + 1], org.assertj.core.data.Offset.offset(1e-5 + 1e-4 * want[j + 1]));
                }
            }
        } finally {
            pool.shutdownNow();
        }
        long passes = batcher.batches() - batchesBefore;
        assertThat(passes).as("forward passes for 64 concurrent images").isLessThan(64);
        assertThat(batcher.largestBatch()).isGreaterThan(1);
    }

    /** The top-5 as index, probability, index, probability, ... */
    private static double[] top5(JsonNode body) {
        double[] out = new double[10];
        int i = 0;
        for (JsonNode p : body.at("/results/0/predictions")) {
            out[i++] = p.get("index").asInt();
            out[i++] = p.get("probability").asDouble();
        }
        return out;
    }

    @Test
    void kubernetesProbesAndV2Health() {
        Http management = new Http(managementPort);
        assertThat(management.get("/actuator/health/liveness").status()).isEqualTo(200);
        Http.Response readiness = management.get("/actuator/health/readiness");
        assertThat(readiness.status()).isEqualTo(200);
        assertThat(readiness.json().get("status").asString()).isEqualTo("UP");
        assertThat(http().get("/readyz").status()).isEqualTo(200);
        assertThat(http().get("/livez").status()).isEqualTo(200);
        // The actuator is on the management port only, with health, info and prometheus alone.
        assertThat(http().get("/actuator/health").status()).isEqualTo(404);
        assertThat(management.get("/actuator/prometheus").status()).isEqualTo(200);
        assertThat(management.get("/actuator/info").status()).isEqualTo(200);
        for (String hidden : List.of("/actuator/env", "/actuator/beans", "/actuator/metrics", "/actuator/heapdump", "/actuator/threaddump")) {
            assertThat(management.get(hidden).status()).as(hidden).isEqualTo(404);
        }
        assertThat(http().get("/v2/health/live").status()).isEqualTo(200);
        assertThat(http().get("/v2/health/ready").status()).isEqualTo(200);
        assertThat(http().get("/v2/models/alexnet/ready").status()).isEqualTo(200);
        assertThat(http().get("/v2/models/resnet/ready").status()).isEqualTo(404);
    }

    @Test
    void v2Metadata() {
        JsonNode server = http().get("/v2").json();
        assertThat(server.get("name").asString()).isEqualTo("alexnet-service");
        assertThat(server.get("extensions").toString()).contains("classification");
        JsonNode model = http().get("/v2/models/alexnet").json();
        assertThat(model.get("name").asString()).isEqualTo("alexnet");
        assertThat(model.at("/inputs/0/name").asString()).isEqualTo("data");
        assertThat(model.at("/inputs/0/datatype").asString()).isEqualTo("FP32");
        assertThat(model.at("/inputs/0/shape").toString()).isEqualTo("[-1,3,227,227]");
        assertThat(model.at("/outputs/0/name").asString()).isEqualTo("prob");
        assertThat(model.at("/outputs/0/shape").toString()).isEqualTo("[-1,1000]");
        assertThat(model.at("/outputs/1/name").asString()).isEqualTo("fc7");
        assertThat(model.at("/outputs/1/shape").toString()).isEqualTo("[-1,4096]");
        assertThat(model.at("/parameters/weights").asString()).isEqualTo("random-init");
    }

    @Test
    void v2InferOutputsAndErrors() {
        int n = 2;
        float[] data = new float[n * 3 * 227 * 227];
        SplittableRandom random = new SplittableRandom(5);
        for (int i = 0; i < data.length; i++) {
            data[i] = (float) (random.nextDouble() * 200 - 100);
        }
        String body = v2Body("data", "FP32", "[2,3,227,227]", data,
                "[{\"name\":\"prob\"},{\"name\":\"fc7\"},{\"name\":\"prob\",\"parameters\":{\"classification\":3}}]");
        Http.Response twice = http().post("/v2/models/alexnet/infer", "application/json", body.getBytes());
        assertThat(twice.status()).isEqualTo(400);
        assertThat(twice.json().get("error").asString()).contains("twice");

        Http.Response r = http().post("/v2/models/alexnet/infer", "application/json",
                v2Body("data", "FP32", "[2,3,227,227]", data, "[{\"name\":\"prob\"},{\"name\":\"fc7\"}]").getBytes());
        assertThat(r.status()).as(r.text()).isEqualTo(200);
        JsonNode out = r.json();
        assertThat(out.get("model_name").asString()).isEqualTo("alexnet");
        assertThat(out.get("id").asString()).isEqualTo("req-1");
        assertThat(out.at("/outputs/0/name").asString()).isEqualTo("prob");
        assertThat(out.at("/outputs/0/shape").toString()).isEqualTo("[2,1000]");
        assertThat(out.at("/outputs/0/data")).hasSize(2000);
        assertThat(out.at("/outputs/1/shape").toString()).isEqualTo("[2,4096]");

        Http.Response cls = http().post("/v2/models/alexnet/infer", "application/json",
                v2Body("data", "FP32", "[2,3,227,227]", data, "[{\"name\":\"prob\",\"parameters\":{\"classification\":3}}]").getBytes());
        assertThat(cls.status()).as(cls.text()).isEqualTo(200);
        JsonNode strings = cls.json().at("/outputs/0");
        assertThat(strings.get("datatype").asString()).isEqualTo("BYTES");
        assertThat(strings.get("shape").toString()).isEqualTo("[2,3]");
        String first = strings.get("data").get(0).asString();
        String[] fields = first.split(":", 3);
        int index = Integer.parseInt(fields[1]);
        assertThat(Float.parseFloat(fields[0])).isCloseTo(out.at("/outputs/0/data").get(index).floatValue(),
                org.assertj.core.data.Offset.offset(1e-5f));
        assertThat(fields[2]).isNotBlank();

        float[] one = Arrays.copyOf(data, 3 * 227 * 227);
        assertV2Error(v2Body("input", "FP32", "[1,3,227,227]", one, null), 400, "'data'");
        assertV2Error(v2Body("data", "FP64", "[1,3,227,227]", one, null), 400, "FP32");
        assertV2Error(v2Body("data", "FP32", "[1,3,224,224]", one, null), 400, "shape");
        assertV2Error(v2Body("data", "FP32", "[2,3,227,227]", one, null), 400, "values");
        assertV2Error(v2Body("data", "FP32", "[1,3,227,227]", one, "[{\"name\":\"fc9\"}]"), 400, "fc9");
        assertV2Error(v2Body("data", "FP32", "[1,3,227,227]", one, "[{\"name\":\"prob\",\"parameters\":{\"classification\":0}}]"), 400, "classification");
        assertV2Error("{not json", 400, "valid");
        Http.Response wrongModel = http().post("/v2/models/vgg16/infer", "application/json", v2Body("data", "FP32", "[1,3,227,227]", one, null).getBytes());
        assertThat(wrongModel.status()).isEqualTo(404);
        assertThat(wrongModel.json().get("error").asString()).contains("vgg16");
    }

    /**
     * With the real network: the classification extension on fc7 (4,096 entries, no labels; it was
     * a 500), nested data as flat data, binary tensors as JSON, and a value beyond FP32's range.
     */
    @Test
    void v2ProtocolFormsGiveTheSameAnswersOnTheRealNetwork() {
        int image = 3 * 227 * 227;
        float[] data = new float[image];
        SplittableRandom random = new SplittableRandom(9);
        for (int i = 0; i < data.length; i++) {
            data[i] = (float) (random.nextInt(2048) - 1024) / 8;
        }
        String outputs = "[{\"name\":\"fc7\",\"parameters\":{\"classification\":4096}},{\"name\":\"prob\"}]";
        Http.Response flat = http().post("/v2/models/alexnet/infer", "application/json",
                v2Body("data", "FP32", "[1,3,227,227]", data, outputs).getBytes());
        assertThat(flat.status()).as(flat.text()).isEqualTo(200);
        JsonNode fc7 = flat.json().at("/outputs/0/data");
        assertThat(fc7).hasSize(4096);
        assertThat(fc7.get(0).asString()).matches("-?[0-9.]+:[0-9]+");
        assertThat(fc7.valueStream().map(v -> Integer.parseInt(v.asString().split(":")[1])).distinct().count()).isEqualTo(4096);

        StringBuilder deep = new StringBuilder();
        int i = 0;
        deep.append("[[");
        for (int c = 0; c < 3; c++) {
            deep.append(c == 0 ? "[" : ",[");
            for (int y = 0; y < 227; y++) {
                deep.append(y == 0 ? "[" : ",[");
                for (int x = 0; x < 227; x++) {
                    deep.append(x == 0 ? "" : ",").append(data[i++]);
                }
                deep.append(']');
            }
            deep.append(']');
        }
        deep.append("]]");
        String nestedBody = "{\"id\":\"req-1\",\"inputs\":[{\"name\":\"data\",\"datatype\":\"FP32\",\"shape\":[1,3,227,227],\"data\":"
                + deep + "}],\"outputs\":" + outputs + "}";
        Http.Response fromNested = http().post("/v2/models/alexnet/infer", "application/json", nestedBody.getBytes());
        assertThat(fromNested.text()).isEqualTo(flat.text());

        String header = "{\"id\":\"req-1\",\"inputs\":[{\"name\":\"data\",\"datatype\":\"FP32\",\"shape\":[1,3,227,227],"
                + "\"parameters\":{\"binary_data_size\":" + image * 4 + "}}],\"outputs\":" + outputs + "}";
        java.nio.ByteBuffer body = java.nio.ByteBuffer.allocate(header.length() + image * 4).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        body.put(header.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        body.asFloatBuffer().put(data);
        Http.Response fromBinary = http().post("/v2/models/alexnet/infer", "application/octet-stream", body.array(),
                "Inference-Header-Content-Length", Integer.toString(header.length()));
        assertThat(fromBinary.text()).as("binary in, JSON out: the same answer").isEqualTo(flat.text());

        float[] beyond = data.clone();
        beyond[image - 1] = Float.POSITIVE_INFINITY;
        String overflow = v2Body("data", "FP32", "[1,3,227,227]", beyond, null).replace("Infinity", "1e39");
        assertV2Error(overflow, 400, "index 154586 ([0, 2, 226, 226])");
    }

    private void assertV2Error(String body, int status, String mentions) {
        Http.Response r = http().post("/v2/models/alexnet/infer", "application/json", body.getBytes());
        assertThat(r.status()).as(r.text()).isEqualTo(status);
        assertThat(r.json().get("error").asString()).contains(mentions);
    }

    static String v2Body(String name, String datatype, String shape, float[] data, String outputs) {
        StringBuilder s = new StringBuilder("{\"id\":\"req-1\",\"inputs\":[{\"name\":\"").append(name).append("\",\"datatype\":\"")
                .append(datatype).append("\",\"shape\":").append(shape).append(",\"data\":[");
        for (int i = 0; i < data.length; i++) {
            if (i > 0) {
                s.append(',');
            }
            s.append(data[i]);
        }
        s.append("]}]");
        if (outputs != null) {
            s.append(",\"outputs\":").append(outputs);
        }
        return s.append('}').toString();
    }
}
