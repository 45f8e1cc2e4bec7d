package dev.alexnet.service.api.rest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyBoolean;
import static org.mockito.ArgumentMatchers.anyInt;
import static org.mockito.ArgumentMatchers.anyList;
import static org.mockito.BDDMockito.given;
import static org.mockito.BDDMockito.willThrow;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.verify;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.multipart;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.header;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import java.util.List;

import dev.alexnet.service.api.http.UploadReader;
import dev.alexnet.service.classify.Classified;
import dev.alexnet.service.api.SingleModel;
import dev.alexnet.service.classify.Classifier;
import dev.alexnet.service.classify.ClassifyRequestException;
import dev.alexnet.service.classify.ModelDescription;
import dev.alexnet.service.classify.Prediction;
import dev.alexnet.service.classify.Timings;
import dev.alexnet.service.classify.Upload;
import dev.alexnet.service.config.LimitsProperties;
import dev.alexnet.service.engine.InferenceRejectedException;
import dev.alexnet.service.model.AlexNetArchitecture;
import dev.alexnet.service.preprocess.ImageRejectedException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.mockito.ArgumentCaptor;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.webmvc.test.autoconfigure.WebMvcTest;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.ComponentScan;
import org.springframework.context.annotation.FilterType;
import org.springframework.context.annotation.Import;
import org.springframework.test.context.bean.override.mockito.MockitoBean;
import org.springframework.test.web.servlet.MockMvc;

/**
 * The REST controller's own rules, with the classifier mocked so that no network is built: top-k
 * bounds and parsing, flags, what is passed on, and how the use case's refusals are answered.
 */
@WebMvcTest(controllers = ClassifyController.class,
        excludeFilters = @ComponentScan.Filter(type = FilterType.REGEX, pattern = "dev\\.alexnet\\.service\\.api\\.http\\..*"))
@Import({UploadReader.class, SingleModel.class})
@EnableConfigurationProperties(LimitsProperties.class)
class ClassifyControllerTest {

    private static final byte[] IMAGE = {1, 2, 3};
    private static final ModelDescription MODEL = new ModelDescription("alexnet", "random-init", null, "imagenet", 1000);

    @Autowired
    private MockMvc mvc;

    @MockitoBean
    private Classifier classifier;

    @BeforeEach
    void model() {
        given(classifier.architecture()).willReturn(AlexNetArchitecture.FULL);
        given(classifier.model()).willReturn(MODEL);
        float[] probabilities = new float[1000];
        float[] features = {3, 4};
        given(classifier.classify(anyList())).willAnswer(call -> new Classifier.Answer(
                List.of(new Classified("cat.jpg", 500, 375, new float[0], probabilities, features)), new Timings(1, 2, 3, 6)));
        given(classifier.top(any(), anyInt())).willAnswer(call -> {
            int k = call.getArgument(1);
            return java.util.stream.IntStream.range(0, k).mapToObj(r -> new Prediction(r + 1, r, "label" + r, 0.1)).toList();
        });
    }

    @Test
    void topkDefaultsToFiveAndIsPassedOnWhenWithinTheClassCount() throws Exception {
        mvc.perform(multipart("/classify").file("image", IMAGE))
                .andExpect(status().isOk())
                .andExpect(jsonPath("$.results[0].predictions.length()").value(5))
                .andExpect(jsonPath("$.results[0].filename").value("cat.jpg"))
                .andExpect(jsonPath("$.model.classes").value(1000))
                .andExpect(jsonPath("$.results[0].preview").doesNotExist());
        mvc.perform(multipart("/classify").file("image", IMAGE).param("topk", "1000"))
                .andExpect(status().isOk())
                .andExpect(jsonPath("$.results[0].predictions.length()").value(1000));
        ArgumentCaptor<List<Upload>> uploads = captor();
        verify(classifier, org.mockito.Mockito.times(2)).classify(uploads.capture());
        assertThat(uploads.getValue()).singleElement().satisfies(u -> assertThat(u.bytes()).containsExactly(IMAGE));
    }

    @Test
    void topkOutsideOneToTheClassCountIsRefusedBeforeAnyImageIsClassified() throws Exception {
        for (String bad : List.of("0", "-1", "1001")) {
            mvc.perform(multipart("/classify").file("image", IMAGE).param("topk", bad))
                    .andExpect(status().isBadRequest())
                    .andExpect(jsonPath("$.type").value("urn:alexnet:problem:invalid-parameter"))
                    .andExpect(jsonPath("$.detail").value("topk must be from 1 to 1000; got " + bad));
        }
        mvc.perform(multipart("/classify").file("image", IMAGE).param("topk", "five"))
                .andExpect(status().isBadRequest())
                .andExpect(jsonPath("$.detail").value("topk must be an integer from 1 to 1000; got 'five'"));
        verify(classifier, never()).classify(anyList());
    }

    @Test
    void flagsAreTrueOrFalseAndNothingElse() throws Exception {
        mvc.perform(multipart("/classify").file("image", IMAGE).param("preview", "maybe"))
                .andExpect(status().isBadRequest())
                .andExpect(jsonPath("$.detail").value("preview must be true or false; got 'maybe'"));
        mvc.perform(multipart("/features").file("image", IMAGE).param("normalize", "2"))
                .andExpect(status().isBadRequest())
                .andExpect(jsonPath("$.detail").value("normalize must be true or false; got '2'"));
        verify(classifier, never()).classify(anyList());
    }

    @Test
    void featuresAreNormalizedOnRequest() throws Exception {
        mvc.perform(multipart("/features").file("image", IMAGE).param("normalize", "true"))
                .andExpect(status().isOk())
                .andExpect(jsonPath("$.layer").value("fc7"))
                .andExpect(jsonPath("$.dimensions").value(4096))
                .andExpect(jsonPath("$.results[0].normalized").value(true))
                .andExpect(jsonPath("$.results[0].features[0]").value(0.6))
                .andExpect(jsonPath("$.results[0].features[1]").value(0.8));
        mvc.perform(multipart("/features").file("image", IMAGE))
                .andExpect(jsonPath("$.results[0].features[0]").value(3.0));
    }

    @Test
    void theUseCasesCountLimitIsAProblemBeforeAnyImageIsClassified() throws Exception {
        willThrow(new ClassifyRequestException(ClassifyRequestException.Reason.TOO_MANY_IMAGES, "33 images in one request; the limit is 32"))
                .given(classifier).checkCount(anyInt());
        mvc.perform(multipart("/classify").file("image", IMAGE))
                .andExpect(status().isBadRequest())
                .andExpect(jsonPath("$.type").value("urn:alexnet:problem:too-many-images"))
                .andExpect(jsonPath("$.detail").value("33 images in one request; the limit is 32"));
        verify(classifier, never()).classify(anyList());
    }

    @Test
    void imageAndQueueRefusalsAreProblemsWithTheirStatus() throws Exception {
        willThrow(new ImageRejectedException(ImageRejectedException.Reason.CORRUPT, "truncated JPEG")).given(classifier).classify(anyList());
        mvc.perform(multipart("/classify").file("image", IMAGE))
                .andExpect(status().isUnprocessableContent())
                .andExpect(jsonPath("$.type").value("urn:alexnet:problem:corrupt-image"));

        willThrow(new InferenceRejectedException(InferenceRejectedException.Reason.QUEUE_FULL, "busy")).given(classifier).classify(anyList());
        mvc.perform(multipart("/classify").file("image", IMAGE))
                .andExpect(status().isServiceUnavailable())
                .andExpect(header().string("Retry-After", "1"))
                .andExpect(jsonPath("$.type").value("urn:alexnet:problem:queue-full"));
    }

    @Test
    void aRequestWithoutAnImagePartIsRefusedWithoutClassifying() throws Exception {
        mvc.perform(multipart("/classify").file("picture", IMAGE))
                .andExpect(status().isBadRequest())
                .andExpect(jsonPath("$.type").value("urn:alexnet:problem:missing-image"));
        verify(classifier, never()).classify(anyList());
        verify(classifier, never()).top(any(), anyInt(), anyBoolean());
    }

    @SuppressWarnings("unchecked")
    private static <T> ArgumentCaptor<List<T>> captor() {
        return ArgumentCaptor.forClass((Class<List<T>>) (Class<?>) List.class);
    }
}
