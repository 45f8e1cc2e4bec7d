package dev.alexnet.service.engine;

import java.util.Locale;

/**
 * {@code alexnet.backend.forward-pass}: what runs the serving pass. {@code auto} takes oneDNN's
 * primitives directly ({@link dev.alexnet.service.model.network.DnnlAlexNet}) on a CPU backend
 * where its runtime loads, else ND4J's ops; {@code onednn} and {@code nd4j} force one.
 */
public enum PassSetting {
    AUTO, ONEDNN, ND4J;

    public static PassSetting parse(String value) {
        return switch (value == null ? "auto" : value.trim().toLowerCase(Locale.ROOT)) {
            case "", "auto" -> AUTO;
            case "onednn" -> ONEDNN;
            case "nd4j" -> ND4J;
            default -> throw new IllegalArgumentException(
                    "alexnet.backend.forward-pass is '" + value + "': use auto, onednn or nd4j");
        };
    }
}
