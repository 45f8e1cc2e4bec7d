package dev.alexnet.service.classify;

/** One of an image's top-k classes: its rank from 1, index in the output, label (null where the output has none) and value. */
public record Prediction(int rank, int index, String label, double probability) {
}
