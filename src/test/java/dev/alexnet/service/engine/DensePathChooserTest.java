package dev.alexnet.service.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;

import dev.alexnet.service.model.network.DensePaths;
import org.junit.jupiter.api.Test;

class DensePathChooserTest {

    private static final DensePaths ND4J = new DensePaths("sgemv", "Mmul", true);

    private static final DensePathProbe.Choice COLD_SGEMV = new DensePathProbe.Choice(ND4J, true, 61.0, 70.3, 15, false);

    /** Serves {@code count} passes of {@code n} images, each timed by {@code cost}, and returns the paths used. */
    private static List<Boolean> serve(DensePathChooser chooser, int count, int n, java.util.function.Predicate<Boolean> fast) {
        List<Boolean> paths = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            boolean path = chooser.pathFor(n);
            paths.add(path);
            chooser.record(n, path, fast.test(path) ? 33_000_000L : 45_000_000L);
        }
        return paths;
    }

    @Test
    void aColdStartUpChoiceIsCorrectedOnServedPassesOnceWarm() {
        DensePathChooser chooser = new DensePathChooser(COLD_SGEMV, 10, 1_000, 4);
        // Before the first check: the start-up choice, whatever the passes cost.
        assertThat(serve(chooser, 10, 1, sgemv -> !sgemv)).containsOnly(true);
        // The check: 4 passes per path in ABBA order, then Mmul, which was faster, from then on.
        assertThat(serve(chooser, 8, 1, sgemv -> !sgemv)).containsExactly(true, false, false, true, true, false, false, true);
        DensePathProbe.Choice now = chooser.current();
        assertThat(now.gemv()).isFalse();
        assertThat(now.live()).isTrue();
        assertThat(now.batchedMs()).isEqualTo(33.0);
        assertThat(now.gemvMs()).isEqualTo(45.0);
        assertThat(now.toString()).endsWith("median of 4 interleaved passes each, on served passes)");
        assertThat(serve(chooser, 50, 1, sgemv -> !sgemv)).containsOnly(false);
    }

    @Test
    void largerBatchesNeitherTriggerNorJoinACheckButCountTowardsTheWarmUp() {
        DensePathChooser chooser = new DensePathChooser(COLD_SGEMV, 5, 1_000, 3);
        assertThat(serve(chooser, 5, 32, sgemv -> true)).containsOnly(true);
        assertThat(chooser.pathFor(1)).isTrue();
        chooser.record(1, true, 45_000_000L);
        // A batch of 8 in the middle of the check keeps the current path and records nothing.
        assertThat(chooser.pathFor(8)).isTrue();
        chooser.record(8, true, 90_000_000L);
        serve(chooser, 5, 1, sgemv -> !sgemv);
        assertThat(chooser.current().live()).isTrue();
        assertThat(chooser.current().gemv()).isFalse();
    }

    @Test
    void checksAgainAfterTheIntervalAndFollowsAMachineThatChanged() {
        DensePathChooser chooser = new DensePathChooser(COLD_SGEMV, 0, 20, 2);
        serve(chooser, 4, 1, sgemv -> !sgemv);
        assertThat(chooser.current().gemv()).isFalse();
        // 20 batch-1 passes later the next check runs; now sgemv is the faster one.
        serve(chooser, 20, 1, sgemv -> sgemv);
        assertThat(chooser.current().gemv()).isFalse();
        serve(chooser, 4, 1, sgemv -> sgemv);
        assertThat(chooser.current().gemv()).isTrue();
    }

    @Test
    void aForcedPathIsNeverChecked() {
        DensePathChooser chooser = DensePathChooser.of(DensePathProbe.Choice.forced(ND4J, false));
        assertThat(serve(chooser, 10_000, 1, sgemv -> sgemv)).containsOnly(false);
        assertThat(chooser.current().measured()).isFalse();
    }
}
