package dev.alexnet.service.classify;

/** What {@code GET /model} reports: the model, how inputs are prepared, and the request limits. */
public record ModelInfo(String name, String weights, String sha256, boolean randomInit, String labels, int classes,
                        String preprocessing, String jpegDecoding, String backend, String device, String batchOneDense,
                        int maxImagesPerRequest) {
}
