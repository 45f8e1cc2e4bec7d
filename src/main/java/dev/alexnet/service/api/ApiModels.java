package dev.alexnet.service.api;

import java.util.List;

/** Request and response bodies of the REST API. */
final class ApiModels {

    private ApiModels() {
    }

    /** The model that answered; {@code weights} is {@code random-init} and {@code sha256} null without a weights file. */
    record ModelDescription(String name, String weights, String sha256, String labels, int classes) {
    }

    record Prediction(int rank, int index, String label, double probability) {
    }

    @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
    record ImageResult(String filename, int width, int height, List<Prediction> predictions, String preview) {
    }

    /** What {@code GET /model} reports: the model, how inputs are prepared, and the request limits. */
    record ModelInfo(String name, String weights, String sha256, boolean randomInit, String labels, int classes,
                     String preprocessing, String jpegDecoding, String backend, String device, String batchOneDense,
                     int maxImagesPerRequest) {
    }

    /** Where the request's time went, in milliseconds. Queue and inference are the slowest of its images. */
    record Timings(double decodeMs, double queueMs, double inferenceMs, double totalMs) {
    }

    record ClassifyResponse(ModelDescription model, List<ImageResult> results, Timings timings) {
    }

    record FeatureResult(String filename, int width, int height, boolean normalized, float[] features) {
    }

    record FeaturesResponse(ModelDescription model, String layer, int dimensions, List<FeatureResult> results, Timings timings) {
    }
}
