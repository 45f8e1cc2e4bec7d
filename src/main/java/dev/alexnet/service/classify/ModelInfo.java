package dev.alexnet.service.classify;

/**
 * What {@code GET /model} reports: the model, how inputs are prepared, what runs the forward pass
 * ({@code forwardPass} onednn or nd4j; {@code precision} fp32 or bf16; {@code batchOneDense} the batch-1 dense path measured at
 * start: {@code inner product} or {@code 1x1 convolution} on the onednn pass, {@code sgemv} or
 * {@code mmul} on the nd4j one), and the request limits.
 */
public record ModelInfo(String name, String weights, String sha256, boolean randomInit, String labels, int classes,
                        String preprocessing, String jpegDecoding, String backend, String device, String forwardPass,
                        String precision, String batchOneDense, int maxImagesPerRequest) {
}
