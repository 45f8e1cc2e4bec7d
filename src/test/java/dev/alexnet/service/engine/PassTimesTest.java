package dev.alexnet.service.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class PassTimesTest {

    private static final long MS = 1_000_000;

    @Test
    void aLineThroughBatchOneAndTheLargestBatch() {
        PassTimes times = PassTimes.fit(20 * MS, 32, 175 * MS);
        assertThat(times.perImageNanos()).isEqualTo(5 * MS);
        assertThat(times.fixedNanos()).isEqualTo(15 * MS);
        assertThat(times.nanos(1)).isEqualTo(20 * MS);
        assertThat(times.nanos(32)).isEqualTo(175 * MS);
    }

    @Test
    void drainingRunsFullBatchesThenTheRest() {
        PassTimes times = PassTimes.fit(20 * MS, 32, 175 * MS);
        assertThat(times.drainNanos(70, 32)).isEqualTo(2 * 175 * MS + (15 + 6 * 5) * MS);
        assertThat(times.drainNanos(64, 32)).isEqualTo(2 * 175 * MS);
        assertThat(times.drainNanos(0, 32)).isZero();
        assertThat(times.drainNanos(3, 1)).isEqualTo(3 * times.nanos(1));
    }

    @Test
    void batchOneOnlyOrABatchNoSlowerThanOneImage() {
        assertThat(PassTimes.fit(20 * MS, 1, 20 * MS)).isEqualTo(new PassTimes(20 * MS, 0));
        assertThat(PassTimes.fit(20 * MS, 8, 10 * MS)).isEqualTo(new PassTimes(20 * MS, 0));
        assertThatThrownBy(() -> new PassTimes(-1, 0)).isInstanceOf(IllegalArgumentException.class);
    }
}
