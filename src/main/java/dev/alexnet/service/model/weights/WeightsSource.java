package dev.alexnet.service.model.weights;

/**
 * Where the weights came from, as the service reports it.
 *
 * @param name   the file name, or {@code random-init}
 * @param sha256 the file's SHA-256 in hex, or null for random-init
 * @param seed   the seed of a random initialisation, or null for a file
 */
public record WeightsSource(String name, String sha256, Long seed) {

    /** The name reported for weights that were not loaded from a file. */
    public static final String RANDOM_INIT = "random-init";

    public static WeightsSource file(String name, String sha256) {
        return new WeightsSource(name, sha256, null);
    }

    public static WeightsSource random(long seed) {
        return new WeightsSource(RANDOM_INIT, null, seed);
    }

    public boolean isRandom() {
        return seed != null;
    }
}
