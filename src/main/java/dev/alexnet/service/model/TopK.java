package dev.alexnet.service.model;

import java.util.Arrays;

/** The indices of the k largest values, largest first; equal values in index order. */
public final class TopK {

    private TopK() {
    }

    public static int[] indices(float[] values, int k) {
        Integer[] order = new Integer[values.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> Float.compare(values[b], values[a]) != 0
                ? Float.compare(values[b], values[a]) : Integer.compare(a, b));
        int[] top = new int[Math.min(k, values.length)];
        for (int r = 0; r < top.length; r++) {
            top[r] = order[r];
        }
        return top;
    }
}
