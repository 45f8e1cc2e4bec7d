package dev.alexnet.service.model.weights;

import java.nio.file.Path;

/** A weights file that cannot be used; the message names the file and, where it applies, the layer. */
public class WeightsFormatException extends RuntimeException {

    public WeightsFormatException(Path file, String message) {
        super("weights file " + file + ": " + message);
    }

    public WeightsFormatException(Path file, String message, Throwable cause) {
        super("weights file " + file + ": " + message, cause);
    }
}
