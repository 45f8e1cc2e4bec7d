package dev.alexnet.service.api.rest;

import java.util.List;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.alexnet.service.classify.ModelDescription;
import dev.alexnet.service.classify.Prediction;
import dev.alexnet.service.classify.Timings;

/** Response bodies of {@code /classify} and {@code /features}. */
final class RestModels {

    private RestModels() {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    record ImageResult(String filename, int width, int height, List<Prediction> predictions, String preview) {
    }

    record ClassifyResponse(ModelDescription model, List<ImageResult> results, Timings timings) {
    }

    record FeatureResult(String filename, int width, int height, boolean normalized, float[] features) {
    }

    record FeaturesResponse(ModelDescription model, String layer, int dimensions, List<FeatureResult> results, Timings timings) {
    }
}
