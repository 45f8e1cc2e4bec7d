package dev.alexnet.service.api.rest;

import java.util.List;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.alexnet.service.classify.ModelDescription;
import dev.alexnet.service.classify.Prediction;
import dev.alexnet.service.classify.Timings;

/** Response bodies of {@code /classify}, {@code /features} and {@code /models}. */
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

    /** One model version of {@code GET /models}: its state, why it is not READY, and its class count when it is. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record ModelVersion(String name, long version, String state, String reason, Integer classes) {
    }

    /** {@code GET /models}: the default model (null when requests must name one) and every version known. */
    record ModelsResponse(String defaultModel, List<ModelVersion> models) {
    }
}
