package dev.alexnet.service.model.network;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/** Element-wise comparison with a relative tolerance. */
final class Assertions2 {

    private Assertions2() {
    }

    /**
     * Asserts |actual - expected| <= rel * max(|expected|, floor) for every element, where floor is
     * 1e-3 of the largest |expected| so that values that are zero in one and 1e-9 in the other pass.
     */
    static void assertClose(float[] expected, float[] actual, double rel, String what) {
        assertClose(expected, actual, rel, 1e-3, what);
    }

    /**
     * As above with floor = floorFraction * max |expected|: sums of many signed terms (convolutions)
     * cancel to values far smaller than their terms, whose float32 rounding is relative to the terms.
     */
    static void assertClose(float[] expected, float[] actual, double rel, double floorFraction, String what) {
        assertEquals(expected.length, actual.length, what + ": length");
        double largest = 0;
        for (float e : expected) {
            largest = Math.max(largest, Math.abs(e));
        }
        double floor = Math.max(largest * floorFraction, 1e-30);
        double worst = 0;
        int worstIndex = -1;
        for (int i = 0; i < expected.length; i++) {
            double err = Math.abs(actual[i] - (double) expected[i]) / Math.max(Math.abs(expected[i]), floor);
            if (!(err <= worst)) {
                worst = err;
                worstIndex = i;
            }
        }
        if (!(worst <= rel)) {
            fail(what + ": relative error " + worst + " at index " + worstIndex + " (expected " + expected[worstIndex]
                    + ", actual " + actual[worstIndex] + ") exceeds " + rel);
        }
    }
}
