package dev.alexnet.service.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;

import dev.alexnet.service.model.network.DensePaths;
import org.junit.jupiter.api.Test;

class DensePathProbeTest {

    private static final DensePaths ND4J = new DensePaths("sgemv", "Mmul", true);
    private static final DensePaths ONEDNN = new DensePaths("inner product", "1x1 convolution", false);

    @Test
    void keepsThePathWithTheLowerMedianNotTheLowerMean() {
        // sgemv is faster in 14 of 15 passes but has one huge outlier: the median must ignore it.
        int[] call = {0};
        DensePathProbe.Choice choice = DensePathProbe.measure(ND4J, sgemv -> {
            call[0]++;
            if (sgemv) {
                return call[0] == 20 ? 900_000_000L : 10_000_000L;
            }
            return 12_000_000L;
        }, 1, 15);
        assertThat(choice.gemv()).isTrue();
        assertThat(choice.gemvMs()).isEqualTo(10.0);
        assertThat(choice.batchedMs()).isEqualTo(12.0);
        assertThat(choice.passes()).isEqualTo(15);
        assertThat(choice.toString()).isEqualTo(
                "sgemv (batch-1 pass: sgemv 10.00 ms, Mmul 12.00 ms; median of 15 interleaved passes each)");
    }

    @Test
    void theBatchedPathWinsWhereTheGemvIsSlowerAndEachPassNamesItsOwn() {
        DensePathProbe.Choice choice = DensePathProbe.measure(ND4J, gemv -> gemv ? 30_000_000L : 22_000_000L, 0, 5);
        assertThat(choice.gemv()).isFalse();
        assertThat(choice.path()).isEqualTo("Mmul");
        DensePathProbe.Choice onednn = DensePathProbe.measure(ONEDNN, gemv -> gemv ? 24_000_000L : 30_000_000L, 0, 5);
        assertThat(onednn.path()).isEqualTo("inner product");
        assertThat(onednn.toString()).startsWith("inner product (batch-1 pass: inner product 24.00 ms, 1x1 convolution 30.00 ms;");
    }

    @Test
    void pathsAreInterleavedInAbbaOrderAfterTheWarmUp() {
        List<Boolean> order = new ArrayList<>();
        DensePathProbe.measure(ND4J, sgemv -> {
            order.add(sgemv);
            return 1;
        }, 1, 4);
        assertThat(order).containsExactly(true, false, true, false, false, true, true, false, false, true);
    }

    @Test
    void aForcedPathRunsNoPass() {
        DensePathProbe.TimedPass fails = sgemv -> {
            throw new AssertionError("no pass expected");
        };
        assertThat(DensePathProbe.choose(DensePathProbe.Setting.GEMV, ND4J, fails).gemv()).isTrue();
        DensePathProbe.Choice mmul = DensePathProbe.choose(DensePathProbe.Setting.BATCHED, ND4J, fails);
        assertThat(mmul.gemv()).isFalse();
        assertThat(mmul.measured()).isFalse();
        assertThat(mmul.toString()).isEqualTo("Mmul (set by alexnet.backend.batch-one-dense)");
    }

    @Test
    void settingParsesCaseBlindAndRefusesTheRest() {
        assertThat(DensePathProbe.Setting.parse(" GEMV ")).isEqualTo(DensePathProbe.Setting.GEMV);
        assertThat(DensePathProbe.Setting.parse("batched")).isEqualTo(DensePathProbe.Setting.BATCHED);
        // The ND4J pass's names, as earlier releases took them.
        assertThat(DensePathProbe.Setting.parse(" SGEMV ")).isEqualTo(DensePathProbe.Setting.GEMV);
        assertThat(DensePathProbe.Setting.parse("mmul")).isEqualTo(DensePathProbe.Setting.BATCHED);
        assertThat(DensePathProbe.Setting.parse(null)).isEqualTo(DensePathProbe.Setting.AUTO);
        assertThatThrownBy(() -> DensePathProbe.Setting.parse("blas")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("use auto, gemv or batched");
    }
}
