package dev.alexnet.service.classify;

/**
 * What {@code GET /model} reports: the model, how inputs are prepared, what runs the forward pass
 * ({@code forwardPass} onednn or nd4j; {@code batchOneDense} is the ND4J pass's batch-1 dense path,
 * null on the onednn pass), and the request limits.
 */
public record ModelInfo(String name, String weights, String sha256, boolean randomInit, String labels, int classes,
                        String preprocessing, String jpegDecoding, String backend, String device, String forwardPass,
                        String batchOneDense, int maxImagesPerRequest) {
}
