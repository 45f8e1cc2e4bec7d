package dev.alexnet.service.classify;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import dev.alexnet.service.model.Labels;

/**
 * The one top-k rule of the service, for {@code /classify}, the v2 classification extension and the
 * {@code classify} command alike: k runs from 1 to the width of the output it ranks (5, or the width
 * if smaller, when not given); the k largest values come largest first, equal values in index order.
 */
public final class TopK {

    /** The k when a caller gives none. */
    public static final int DEFAULT = 5;

    private TopK() {
    }

    public static int defaultFor(int width) {
        return Math.min(DEFAULT, width);
    }

    /** {@code k} when it is from 1 to {@code width}; otherwise a refusal that names the parameter. */
    public static int check(String parameter, long k, int width) {
        if (k < 1 || k > width) {
            throw new ClassifyRequestException(ClassifyRequestException.Reason.INVALID_TOP_K,
                    parameter + " must be from 1 to " + width + "; got " + k);
        }
        return (int) k;
    }

    /**
     * The indices of the k largest values, largest first, equal values in index order (NaN above
     * everything, as {@link Float#compare} ranks it). Up to {@link #SELECT_UP_TO} of them by insertion
     * into a k-long list, one pass over the values with no boxing: a full sort of 1,000 boxed
     * indices per image showed in a profile of 1-client requests for a top 5.
     */
    public static int[] indices(float[] values, int k) {
        int m = Math.min(k, values.length);
        if (m > SELECT_UP_TO) {
            return sorted(values, m);
        }
        int[] top = new int[m];
        int size = 0;
        for (int i = 0; i < values.length; i++) {
            if (size == m && (m == 0 || !before(values, i, top[m - 1]))) {
                continue;
            }
            int p = size < m ? size++ : m - 1;
            while (p > 0 && before(values, i, top[p - 1])) {
                top[p] = top[p - 1];
                p--;
            }
            top[p] = i;
        }
        return top;
    }

    /** Beyond this k a sort beats insertion (k steps per value in the worst case). */
    static final int SELECT_UP_TO = 32;

    /** Whether value a ranks before value b: larger, or equal with the smaller index. */
    private static boolean before(float[] values, int a, int b) {
        int c = Float.compare(values[b], values[a]);
        return c != 0 ? c < 0 : a < b;
    }

    private static int[] sorted(float[] values, int k) {
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

    /** The k largest values as predictions, labelled from {@code labels}, or without labels when it is null. */
    public static List<Prediction> ranked(float[] values, int k, Labels labels) {
        int[] top = indices(values, k);
        List<Prediction> result = new ArrayList<>(top.length);
        for (int r = 0; r < top.length; r++) {
            result.add(new Prediction(r + 1, top[r], labels == null ? null : labels.name(top[r]), values[top[r]]));
        }
        return result;
    }
}
