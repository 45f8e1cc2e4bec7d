package dev.alexnet.service.api.rest;

import static org.mockito.BDDMockito.given;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.content;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import dev.alexnet.service.api.SingleModel;
import dev.alexnet.service.classify.Classifier;
import dev.alexnet.service.classify.ModelInfo;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.webmvc.test.autoconfigure.WebMvcTest;
import org.springframework.context.annotation.ComponentScan;
import org.springframework.context.annotation.FilterType;
import org.springframework.test.context.bean.override.mockito.MockitoBean;
import org.springframework.test.web.servlet.MockMvc;

/** {@code GET /model} renders what the classifier says about itself, field for field. */
@WebMvcTest(controllers = ModelController.class,
        excludeFilters = @ComponentScan.Filter(type = FilterType.REGEX, pattern = "dev\\.alexnet\\.service\\.api\\.http\\..*"))
@org.springframework.context.annotation.Import(SingleModel.class)
class ModelControllerTest {

    @Autowired
    private MockMvc mvc;

    @MockitoBean
    private Classifier classifier;

    @Test
    void describesTheModelItsInputsAndLimits() throws Exception {
        given(classifier.info()).willReturn(new ModelInfo("alexnet", "bvlc_alexnet.npy", "ab12", false, "imagenet", 1000,
                "center-crop", "scaled", "avx2", "cpu", "onednn", "bf16", "inner product", 32));
        mvc.perform(get("/model"))
                .andExpect(status().isOk())
                .andExpect(content().json("""
                        {"name":"alexnet","weights":"bvlc_alexnet.npy","sha256":"ab12","randomInit":false,"labels":"imagenet",
                         "classes":1000,"preprocessing":"center-crop","jpegDecoding":"scaled","backend":"avx2","device":"cpu",
                         "forwardPass":"onednn","precision":"bf16","batchOneDense":"inner product","maxImagesPerRequest":32}""", org.springframework.test.json.JsonCompareMode.STRICT));
        mvc.perform(org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post("/model"))
                .andExpect(status().isMethodNotAllowed())
                .andExpect(jsonPath("$.type").value("urn:alexnet:problem:method-not-allowed"));
    }
}
