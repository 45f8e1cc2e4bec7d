package dev.alexnet.service.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

class DensePathProbeTest {

    @Test
    void keepsThePathWithTheLowerMedianNotTheLowerMean() {
        // sgemv is faster in 14 of 15 passes but has one huge outlier: the median must ignore it.
        int[] call = {0};
        DensePathProbe.Choice choice = DensePathProbe.measure(sgemv -> {
            call[0]++;
            if (sgemv) {
                return call[0] == 20 ? 900_000_000L : 10_000_000L;
            }
            return 12_000_000L;
        }, 1, 15);
        assertThat(choice.sgemv()).isTrue();
        assertThat(choice.sgemvMs()).isEqualTo(10.0);
        assertThat(choice.mmulMs()).isEqualTo(12.0);
        assertThat(choice.passes()).isEqualTo(15);
        assertThat(choice.toString()).isEqualTo(
                "sgemv (batch-1 pass: sgemv 10.00 ms, Mmul 12.00 ms; median of 15 interleaved passes each)");
    }

    @Test
    void mmulWinsWhereSgemvIsSlower() {
        DensePathProbe.Choice choice = DensePathProbe.measure(sgemv -> sgemv ? 30_000_000L : 22_000_000L, 0, 5);
        assertThat(choice.sgemv()).isFalse();
        assertThat(choice.path()).isEqualTo("Mmul");
    }

    @Test
    void pathsAreInterleavedInAbbaOrderAfterTheWarmUp() {
        List<Boolean> order = new ArrayList<>();
        DensePathProbe.measure(sgemv -> {
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
        assertThat(DensePathProbe.choose(DensePathProbe.Setting.SGEMV, fails).sgemv()).isTrue();
        DensePathProbe.Choice mmul = DensePathProbe.choose(DensePathProbe.Setting.MMUL, fails);
        assertThat(mmul.sgemv()).isFalse();
        assertThat(mmul.measured()).isFalse();
        assertThat(mmul.toString()).isEqualTo("Mmul (set by alexnet.backend.batch-one-dense)");
    }

    @Test
    void settingParsesCaseBlindAndRefusesTheRest() {
        assertThat(DensePathProbe.Setting.parse(" SGEMV ")).isEqualTo(DensePathProbe.Setting.SGEMV);
        assertThat(DensePathProbe.Setting.parse(null)).isEqualTo(DensePathProbe.Setting.AUTO);
        assertThatThrownBy(() -> DensePathProbe.Setting.parse("blas")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("use auto, sgemv or mmul");
    }
}
