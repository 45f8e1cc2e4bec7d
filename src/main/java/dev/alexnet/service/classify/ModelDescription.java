package dev.alexnet.service.classify;

/** The model that answered; {@code weights} is {@code random-init} and {@code sha256} null without a weights file. */
public record ModelDescription(String name, String weights, String sha256, String labels, int classes) {
}
