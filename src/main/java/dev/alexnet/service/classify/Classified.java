package dev.alexnet.service.classify;

/**
 * One image's answer: its file name (null when none was given), its size as uploaded after
 * orientation (227x227 for a tensor), the network's input (null for tensors sent as one batch), the
 * class probabilities and the fc7 features.
 */
public record Classified(String filename, int width, int height, float[] input, float[] probabilities, float[] features) {
}
