package dev.alexnet.service.model.weights;

import java.util.SplittableRandom;

/**
 * Normal deviates by the Box-Muller transform, drawn from a {@link SplittableRandom} so that a
 * seed fixes them on every machine (cheaper than {@code Random.nextGaussian}'s rejection loop).
 */
public final class Gaussian {

    private Gaussian() {
    }

    /** One N(0, 1) deviate from two uniforms: the cosine half of the Box-Muller pair. */
    public static double next(SplittableRandom random) {
        double u1 = 1.0 - random.nextDouble();
        double u2 = random.nextDouble();
        return Math.sqrt(-2.0 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    }

    /** Fills {@code values} with N(0, std) deviates, both halves of each Box-Muller pair. */
    public static void fill(float[] values, SplittableRandom random, double std) {
        for (int i = 0; i < values.length; i += 2) {
            double u1 = 1.0 - random.nextDouble();
            double u2 = random.nextDouble();
            double r = Math.sqrt(-2.0 * Math.log(u1)) * std;
            values[i] = (float) (r * Math.cos(2 * Math.PI * u2));
            if (i + 1 < values.length) {
                values[i + 1] = (float) (r * Math.sin(2 * Math.PI * u2));
            }
        }
    }
}
