package dev.alexnet.service.api.v2;

import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyBoolean;
import static org.mockito.ArgumentMatchers.anyInt;
import static org.mockito.ArgumentMatchers.anyList;
import static org.mockito.BDDMockito.given;
import static org.mockito.BDDMockito.willThrow;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.verify;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import dev.alexnet.service.classify.Classified;
import dev.alexnet.service.api.SingleModel;
import dev.alexnet.service.classify.Classifier;
import dev.alexnet.service.classify.ClassifyRequestException;
import dev.alexnet.service.classify.ModelDescription;
import dev.alexnet.service.classify.TopK;
import dev.alexnet.service.model.AlexNetArchitecture;
import dev.alexnet.service.model.Labels;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.availability.ApplicationAvailability;
import org.springframework.boot.availability.ReadinessState;
import org.springframework.boot.webmvc.test.autoconfigure.WebMvcTest;
import org.springframework.context.annotation.ComponentScan;
import org.springframework.context.annotation.FilterType;
import org.springframework.context.annotation.Import;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import dev.alexnet.service.api.http.UploadReader;
import dev.alexnet.service.config.LimitsProperties;
import org.springframework.http.MediaType;
import org.springframework.test.context.bean.override.mockito.MockitoBean;
import org.springframework.test.web.servlet.MockMvc;
import org.springframework.test.web.servlet.ResultActions;

/**
 * The v2 controller's request rules and answers, with the classifier mocked: every malformed
 * request is a 400 with the protocol's {@code {"error"}}, the classification extension works on
 * both outputs (fc7 has 4,096 entries and no labels), and the request id is echoed.
 */
@WebMvcTest(controllers = V2Controller.class,
        excludeFilters = @ComponentScan.Filter(type = FilterType.REGEX, pattern = "dev\\.alexnet\\.service\\.api\\.http\\..*"))
@Import({UploadReader.class, SingleModel.class})
@EnableConfigurationProperties(LimitsProperties.class)
class V2ControllerTest {

    private static final int IMAGE = 3 * 227 * 227;

    @Autowired
    private MockMvc mvc;

    @MockitoBean
    private Classifier classifier;

    @MockitoBean
    private ApplicationAvailability availability;

    @BeforeEach
    void model() {
        given(classifier.architecture()).willReturn(AlexNetArchitecture.FULL);
        given(classifier.model()).willReturn(new ModelDescription("alexnet", "random-init", null, "imagenet", 1000));
        given(classifier.classifyTensors(any(float[].class), anyInt())).willAnswer(call -> {
            float[] batch = call.getArgument(0);
            int n = call.getArgument(1);
            List<Classified> out = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                float[] t = java.util.Arrays.copyOfRange(batch, i * IMAGE, (i + 1) * IMAGE);
                float[] prob = new float[1000];
                prob[Math.floorMod((int) t[0], 1000)] = 1;
                float[] fc7 = java.util.Arrays.copyOf(t, 4096);
                fc7[4095] += 9;
                fc7[4000] += 8;
                out.add(new Classified(null, 227, 227, t, prob, fc7));
            }
            return out;
        });
        given(classifier.top(any(), anyInt(), anyBoolean())).willAnswer(
                call -> TopK.ranked(call.getArgument(0), call.getArgument(1), call.getArgument(2) ? Labels.imagenet() : null));
    }

    private static String request(String id, long n, String outputs, String name, String datatype, long values) {
        StringBuilder data = new StringBuilder();
        for (long i = 0; i < values; i++) {
            data.append(i == 0 ? "" : ",").append(i % IMAGE == 0 ? Long.toString(7 + i / IMAGE) : "0");
        }
        return String.format(Locale.ROOT, """
                {%s"inputs":[{"name":"%s","datatype":"%s","shape":[%d,3,227,227],"data":[%s]}]%s}""",
                id == null ? "" : "\"id\":\"" + id + "\",", name, datatype, n, data, outputs == null ? "" : ",\"outputs\":" + outputs);
    }

    private ResultActions infer(String body) throws Exception {
        return mvc.perform(post("/v2/models/alexnet/infer").contentType(MediaType.APPLICATION_JSON).content(body));
    }

    @Test
    void answersProbabilitiesForEachImageAndEchoesTheRequestId() throws Exception {
        infer(request("req-7", 2, null, "data", "FP32", 2L * IMAGE))
                .andExpect(status().isOk())
                .andExpect(jsonPath("$.id").value("req-7"))
                .andExpect(jsonPath("$.model_name").value("alexnet"))
                .andExpect(jsonPath("$.model_version").value("1"))
                .andExpect(jsonPath("$.outputs[0].name").value("prob"))
                .andExpect(jsonPath("$.outputs[0].shape[0]").value(2))
                .andExpect(jsonPath("$.outputs[0].shape[1]").value(1000))
                .andExpect(jsonPath("$.outputs[0].data[7]").value(1.0))
                .andExpect(jsonPath("$.outputs[0].data[1008]").value(1.0));
        infer(request(null, 1, null, "data", "FP32", IMAGE)).andExpect(status().isOk()).andExpect(jsonPath("$.id").doesNotExist());
    }

    @Test
    void classificationWorksOnFc7AsScoreAndIndexWithoutALabel() throws Exception {
        infer(request(null, 1, """
                [{"name":"fc7","parameters":{"classification":2}},{"name":"prob","parameters":{"classification":1}}]""",
                "data", "FP32", IMAGE))
                .andExpect(status().isOk())
                .andExpect(jsonPath("$.outputs[0].datatype").value("BYTES"))
                .andExpect(jsonPath("$.outputs[0].shape[1]").value(2))
                .andExpect(jsonPath("$.outputs[0].data[0]").value("9.000000:4095"))
                .andExpect(jsonPath("$.outputs[0].data[1]").value("8.000000:4000"))
                .andExpect(jsonPath("$.outputs[1].data[0]").value("1.000000:7:" + Labels.imagenet().name(7)));
        infer(request(null, 1, "[{\"name\":\"fc7\",\"parameters\":{\"classification\":4096}}]", "data", "FP32", IMAGE))
                .andExpect(status().isOk());
    }

    @Test
    void malformedRequestsAreRefusedWithTheProtocolsErrorBeforeAnyInference() throws Exception {
        infer(request(null, 1, null, "image", "FP32", IMAGE)).andExpect(status().isBadRequest())
                .andExpect(jsonPath("$.error").value("unexpected input 'image'; the model's input is 'data'"));
        infer(request(null, 1, null, "data", "FP16", IMAGE)).andExpect(status().isBadRequest())
                .andExpect(jsonPath("$.error").value("input 'data' has datatype FP16; expected FP32"));
        infer(request(null, 2, null, "data", "FP32", IMAGE)).andExpect(status().isBadRequest())
                .andExpect(jsonPath("$.error").value("input 'data' holds 154587 values; shape [2, 3, 227, 227] needs 309174 (flat or nested, row-major)"));
        infer(request(null, 1, "[{\"name\":\"fc8\"}]", "data", "FP32", IMAGE)).andExpect(status().isBadRequest())
                .andExpect(jsonPath("$.error").value("unknown output 'fc8'; the model's outputs are 'prob' and 'fc7'"));
        infer(request(null, 1, "[{\"name\":\"prob\"},{\"name\":\"prob\"}]", "data", "FP32", IMAGE)).andExpect(status().isBadRequest())
                .andExpect(jsonPath("$.error").value("output 'prob' is requested twice"));
        infer(request(null, 1, "[{\"name\":\"prob\",\"parameters\":{\"classification\":1001}}]", "data", "FP32", IMAGE))
                .andExpect(status().isBadRequest())
                .andExpect(jsonPath("$.error").value("parameters.classification on 'prob' must be from 1 to 1000; got 1001"));
        infer(request(null, 1, "[{\"name\":\"fc7\",\"parameters\":{\"classification\":4097}}]", "data", "FP32", IMAGE))
                .andExpect(status().isBadRequest())
                .andExpect(jsonPath("$.error").value("parameters.classification on 'fc7' must be from 1 to 4096; got 4097"));
        infer(request(null, 1, "[{\"name\":\"prob\",\"parameters\":{\"classification\":2.5}}]", "data", "FP32", IMAGE))
                .andExpect(status().isBadRequest())
                .andExpect(jsonPath("$.error").value("parameters.classification on 'prob' must be an integer from 1 to 1000; got 2.5"));
        infer("{\"inputs\":").andExpect(status().isBadRequest()).andExpect(jsonPath("$.error").exists());
        String beyondFp32 = request(null, 1, null, "data", "FP32", IMAGE).replaceFirst(",0,0,", ",0,1e39,");
        infer(beyondFp32).andExpect(status().isBadRequest())
                .andExpect(jsonPath("$.error").value("input 'data' holds a value outside FP32's finite range at index 2 ([0, 0, 0, 2]): Infinity"));
        String lastValue = request(null, 1, null, "data", "FP32", IMAGE).replace(",0]}]", ",-3.5e38]}]");
        infer(lastValue).andExpect(status().isBadRequest())
                .andExpect(jsonPath("$.error").value("input 'data' holds a value outside FP32's finite range at index 154586 ([0, 2, 226, 226]): -Infinity"));
        verify(classifier, never()).classifyTensors(any(float[].class), anyInt());
    }

    @Test
    void theUseCasesCountLimitIsA400NamingTheLimit() throws Exception {
        willThrow(new ClassifyRequestException(ClassifyRequestException.Reason.TOO_MANY_IMAGES, "2 images in one request; the limit is 1"))
                .given(classifier).checkCount(2);
        infer(request(null, 2, null, "data", "FP32", 2L * IMAGE)).andExpect(status().isBadRequest())
                .andExpect(jsonPath("$.error").value("2 images in one request; the limit is 1"));
        verify(classifier, never()).classifyTensors(any(float[].class), anyInt());
    }

    @Test
    void readyOnlyWhenWarmAndAcceptingTraffic() throws Exception {
        given(availability.getReadinessState()).willReturn(ReadinessState.ACCEPTING_TRAFFIC);
        mvc.perform(get("/v2/models/alexnet/ready")).andExpect(status().isServiceUnavailable()).andExpect(jsonPath("$.error").value("not ready"));
        given(classifier.isWarm()).willReturn(true);
        mvc.perform(get("/v2/models/alexnet/ready")).andExpect(status().isOk()).andExpect(jsonPath("$.ready").value(true));
        given(availability.getReadinessState()).willReturn(ReadinessState.REFUSING_TRAFFIC);
        mvc.perform(get("/v2/health/ready")).andExpect(status().isServiceUnavailable());
        mvc.perform(get("/v2/models/other/ready")).andExpect(status().isNotFound());
    }

    @Test
    void unknownModelsAndVersionsAre404AndMetadataGivesTheOutputWidths() throws Exception {
        infer_("/v2/models/resnet/infer").andExpect(status().isNotFound())
                .andExpect(jsonPath("$.error").value("unknown model 'resnet'; this server serves 'alexnet'"));
        infer_("/v2/models/alexnet/versions/2/infer").andExpect(status().isNotFound());
        mvc.perform(get("/v2/models/alexnet"))
                .andExpect(status().isOk())
                .andExpect(jsonPath("$.inputs[0].shape[3]").value(227))
                .andExpect(jsonPath("$.outputs[0].shape[1]").value(1000))
                .andExpect(jsonPath("$.outputs[1].shape[1]").value(4096));
    }

    private ResultActions infer_(String path) throws Exception {
        return mvc.perform(post(path).contentType(MediaType.APPLICATION_JSON).content(request(null, 1, null, "data", "FP32", IMAGE)));
    }

    /** An image whose values are distinct eighths (exact in binary and in JSON), laid flat, and the same nested. */
    private static float value(int i) {
        return ((i * 37) % 2001 - 1000) / 8f;
    }

    private static String flatData() {
        StringBuilder data = new StringBuilder("[");
        for (int i = 0; i < IMAGE; i++) {
            data.append(i == 0 ? "" : ",").append(value(i));
        }
        return data.append(']').toString();
    }

    private static String nestedData() {
        StringBuilder data = new StringBuilder("[[");
        int i = 0;
        for (int c = 0; c < 3; c++) {
            data.append(c == 0 ? "[" : ",[");
            for (int y = 0; y < 227; y++) {
                data.append(y == 0 ? "[" : ",[");
                for (int x = 0; x < 227; x++) {
                    data.append(x == 0 ? "" : ",").append(value(i++));
                }
                data.append(']');
            }
            data.append(']');
        }
        return data.append("]]").toString();
    }

    private static String inferJson(String data, String outputs) {
        return "{\"inputs\":[{\"name\":\"data\",\"datatype\":\"FP32\",\"shape\":[1,3,227,227],\"data\":" + data + "}]"
                + (outputs == null ? "" : ",\"outputs\":" + outputs) + "}";
    }

    private static final String BOTH = "[{\"name\":\"fc7\"},{\"name\":\"prob\",\"parameters\":{\"classification\":3}}]";

    @Test
    void nestedDataGivesTheSameAnswerAsFlatDataAndIsCheckedAgainstTheShape() throws Exception {
        String flat = infer(inferJson(flatData(), BOTH)).andExpect(status().isOk()).andReturn().getResponse().getContentAsString();
        String nested = infer(inferJson(nestedData(), BOTH)).andExpect(status().isOk()).andReturn().getResponse().getContentAsString();
        org.assertj.core.api.Assertions.assertThat(nested).isEqualTo(flat);
        infer(inferJson("[[" + flatData() + "]]", null)).andExpect(status().isBadRequest())
                .andExpect(jsonPath("$.error").value("input 'data' is nested as [1, 1, 154587]; shape [1, 3, 227, 227] needs the same nesting, or flat data"));
        infer(inferJson("[[1,2],[3]]", null)).andExpect(status().isBadRequest())
                .andExpect(jsonPath("$.error").value("input 'data': the arrays at depth 2 differ in length (2 and 1 at [1])"));
        infer(inferJson("[1,\"x\",3]", null)).andExpect(status().isBadRequest())
                .andExpect(jsonPath("$.error").value("input 'data': element [1] is a string, not a number"));
        infer("{\"id\":\"r\",\"parameters\":{\"priority\":1,\"unknown\":\"x\"},\"inputs\":[{\"name\":\"data\",\"datatype\":\"FP32\","
                + "\"shape\":[1,3,227,227],\"parameters\":{\"whatever\":true},\"data\":" + flatData() + "}],\"extra\":1}")
                .andExpect(status().isOk()).andExpect(jsonPath("$.id").value("r"));
    }

    private static byte[] littleEndian(float[] values) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(values.length * 4).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(values);
        return b.array();
    }

    private static byte[] binaryRequest(String json, byte[] tensor) {
        byte[] head = json.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        byte[] body = java.util.Arrays.copyOf(head, head.length + tensor.length);
        System.arraycopy(tensor, 0, body, head.length, tensor.length);
        return body;
    }

    @Test
    void binaryInputAndBinaryOutputsCarryTheSameValuesAsJsonBitForBit() throws Exception {
        float[] image = new float[IMAGE];
        for (int i = 0; i < IMAGE; i++) {
            image[i] = value(i);
        }
        String json = infer(inferJson(flatData(), BOTH)).andReturn().getResponse().getContentAsString();
        String header = "{\"inputs\":[{\"name\":\"data\",\"datatype\":\"FP32\",\"shape\":[1,3,227,227],"
                + "\"parameters\":{\"binary_data_size\":" + IMAGE * 4 + "}}],\"outputs\":" + BOTH + "}";
        var binaryIn = mvc.perform(post("/v2/models/alexnet/infer").contentType(MediaType.APPLICATION_OCTET_STREAM)
                        .header("Inference-Header-Content-Length", header.length())
                        .content(binaryRequest(header, littleEndian(image))))
                .andExpect(status().isOk()).andReturn().getResponse();
        org.assertj.core.api.Assertions.assertThat(binaryIn.getContentAsString()).as("binary in, JSON out").isEqualTo(json);

        String allBinary = "{\"parameters\":{\"binary_data_output\":true},\"inputs\":[{\"name\":\"data\",\"datatype\":\"FP32\","
                + "\"shape\":[1,3,227,227],\"parameters\":{\"binary_data_size\":" + IMAGE * 4 + "}}],\"outputs\":" + BOTH + "}";
        var out = mvc.perform(post("/v2/models/alexnet/infer").contentType(MediaType.APPLICATION_OCTET_STREAM)
                        .header("Inference-Header-Content-Length", allBinary.length())
                        .content(binaryRequest(allBinary, littleEndian(image))))
                .andExpect(status().isOk()).andReturn().getResponse();
        org.assertj.core.api.Assertions.assertThat(out.getContentType()).startsWith("application/octet-stream");
        byte[] body = out.getContentAsByteArray();
        int jsonLength = Integer.parseInt(out.getHeader("Inference-Header-Content-Length"));
        var head = tools.jackson.databind.json.JsonMapper.builder().build().readTree(new String(body, 0, jsonLength,
                java.nio.charset.StandardCharsets.UTF_8));
        org.assertj.core.api.Assertions.assertThat(head.get("outputs").get(0).get("parameters").get("binary_data_size").asInt())
                .isEqualTo(4096 * 4);
        org.assertj.core.api.Assertions.assertThat(head.get("outputs").get(0).has("data")).isFalse();
        java.nio.ByteBuffer rest = java.nio.ByteBuffer.wrap(body, jsonLength, body.length - jsonLength).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        var expected = tools.jackson.databind.json.JsonMapper.builder().build().readTree(json).get("outputs");
        for (int i = 0; i < 4096; i++) {
            org.assertj.core.api.Assertions.assertThat(Float.floatToIntBits(rest.getFloat()))
                    .isEqualTo(Float.floatToIntBits(expected.get(0).get("data").get(i).floatValue()));
        }
        for (int i = 0; i < 3; i++) {
            byte[] label = new byte[rest.getInt()];
            rest.get(label);
            org.assertj.core.api.Assertions.assertThat(new String(label, java.nio.charset.StandardCharsets.UTF_8))
                    .isEqualTo(expected.get(1).get("data").get(i).asString());
        }
        org.assertj.core.api.Assertions.assertThat(rest.remaining()).isZero();
    }

    @Test
    void binaryBodiesThatDoNotAddUpAreRefused() throws Exception {
        String header = "{\"inputs\":[{\"name\":\"data\",\"datatype\":\"FP32\",\"shape\":[1,3,227,227],"
                + "\"parameters\":{\"binary_data_size\":" + IMAGE * 4 + "}}]}";
        byte[] tensor = new byte[IMAGE * 4];
        binary(header, header.length(), java.util.Arrays.copyOf(tensor, tensor.length - 4)).andExpect(status().isBadRequest())
                .andExpect(jsonPath("$.error").value("input 'data' declares 618348 bytes of binary data; the body has 618344 left"));
        binary(header, header.length(), java.util.Arrays.copyOf(tensor, tensor.length + 4)).andExpect(status().isBadRequest())
                .andExpect(jsonPath("$.error").value("the body has 4 bytes after the JSON and the binary inputs it declares"));
        binary(header, 1_000_000, tensor).andExpect(status().isBadRequest())
                .andExpect(jsonPath("$.error").value("Inference-Header-Content-Length is 1000000 but the body has " + (header.length() + tensor.length) + " bytes"));
        binary(header, header.length() - 1, tensor).andExpect(status().isBadRequest());
        String notFloats = header.replace(String.valueOf(IMAGE * 4), "6");
        binary(notFloats, notFloats.length(), new byte[6]).andExpect(status().isBadRequest())
                .andExpect(jsonPath("$.error").value("input 'data' has binary_data_size 6, not a whole number of FP32 values"));
        String shortOne = header.replace(String.valueOf(IMAGE * 4), "8");
        binary(shortOne, shortOne.length(), new byte[8]).andExpect(status().isBadRequest())
                .andExpect(jsonPath("$.error").value("input 'data' holds 2 values; shape [1, 3, 227, 227] needs 154587 (flat or nested, row-major)"));
        verify(classifier, never()).classifyTensors(any(float[].class), anyInt());
    }

    private ResultActions binary(String header, int declared, byte[] tensor) throws Exception {
        return mvc.perform(post("/v2/models/alexnet/infer").contentType(MediaType.APPLICATION_OCTET_STREAM)
                .header("Inference-Header-Content-Length", declared).content(binaryRequest(header, tensor)));
    }
}
