package dev.alexnet.service.model;

/**
 * The outputs of one forward pass over a batch, copied to the Java heap.
 *
 * @param batch         number of images
 * @param classes       width of {@code probabilities}' rows
 * @param featureWidth  width of {@code features}' rows (fc7)
 * @param probabilities softmax output, row-major [batch, classes]
 * @param features      fc7 after ReLU, row-major [batch, featureWidth]
 */
public record ForwardResult(int batch, int classes, int featureWidth, float[] probabilities, float[] features) {

    /** Image {@code i}'s class probabilities. */
    public float[] probabilities(int i) {
        float[] row = new float[classes];
        System.arraycopy(probabilities, i * classes, row, 0, classes);
        return row;
    }

    /** Image {@code i}'s fc7 feature vector. */
    public float[] features(int i) {
        float[] row = new float[featureWidth];
        System.arraycopy(features, i * featureWidth, row, 0, featureWidth);
        return row;
    }
}
