package dev.alexnet.service.classify;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Comparator;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

import org.junit.jupiter.api.Test;

class TopKTest {

    /** The rule, written independently: a full sort, largest first, equal values in index order. */
    private static int[] reference(float[] values, int k) {
        return IntStream.range(0, values.length).boxed()
                .sorted(Comparator.<Integer, Float>comparing(i -> values[i], Comparator.reverseOrder())
                        .thenComparing(Comparator.naturalOrder()))
                .limit(k).mapToInt(Integer::intValue).toArray();
    }

    @Test
    void selectionAndSortAgreeWithTheRuleOnTiesNanAndEveryK() {
        SplittableRandom random = new SplittableRandom(7);
        for (int width : new int[] {1, 2, 5, 33, 1000, 4096}) {
            for (int trial = 0; trial < 5; trial++) {
                float[] values = new float[width];
                for (int i = 0; i < width; i++) {
                    // Few distinct values so that ties are common; a NaN and infinities now and then.
                    int pick = random.nextInt(40);
                    values[i] = pick == 0 ? Float.NaN : pick == 1 ? Float.NEGATIVE_INFINITY : pick == 2 ? Float.POSITIVE_INFINITY
                            : random.nextInt(12) / 4f - 1f;
                }
                for (int k : new int[] {1, 2, 5, TopK.SELECT_UP_TO, TopK.SELECT_UP_TO + 1, 100, width}) {
                    assertThat(TopK.indices(values, k)).as("width %d, k %d, trial %d", width, k, trial)
                            .containsExactly(reference(values, Math.min(k, width)));
                }
            }
        }
    }

    @Test
    void equalValuesComeInIndexOrderAndNanRanksFirst() {
        assertThat(TopK.indices(new float[] {0.2f, 0.5f, 0.5f, 0.1f, 0.5f}, 3)).containsExactly(1, 2, 4);
        assertThat(TopK.indices(new float[] {0.9f, Float.NaN, 0.95f}, 2)).containsExactly(1, 2);
        assertThat(TopK.indices(new float[] {3f, 1f}, 5)).containsExactly(0, 1);
    }
}
