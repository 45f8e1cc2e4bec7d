package dev.alexnet.service.model.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;

import org.junit.jupiter.api.Test;

class OpenMpSpinTest {

    @Test
    void libgompsDefaultIsUnbounded() {
        OpenMpSpin spin = OpenMpSpin.of(Map.of());
        assertThat(spin.spinCount()).isEqualTo(300_000);
        assertThat(spin.toString()).isEqualTo("300000 spins (libgomp's default)");
    }

    @Test
    void spinCountWinsOverThePolicy() {
        OpenMpSpin spin = OpenMpSpin.of(Map.of("GOMP_SPINCOUNT", "10000", "OMP_WAIT_POLICY", "active"));
        assertThat(spin.spinCount()).isEqualTo(10_000);
        assertThat(spin.source()).isEqualTo("GOMP_SPINCOUNT=10000");
    }

    @Test
    void policiesAlone() {
        assertThat(OpenMpSpin.of(Map.of("OMP_WAIT_POLICY", "PASSIVE")).spinCount()).isZero();
        assertThat(OpenMpSpin.of(Map.of("OMP_WAIT_POLICY", "active")).spinCount()).isEqualTo(-1);
        assertThat(OpenMpSpin.of(Map.of("OMP_WAIT_POLICY", "whatever")).spinCount()).isEqualTo(300_000);
    }

    @Test
    void libgompsSuffixesAndInfinity() {
        assertThat(OpenMpSpin.parseSpinCount("20k")).isEqualTo(20_000L);
        assertThat(OpenMpSpin.parseSpinCount(" 2M ")).isEqualTo(2_000_000L);
        assertThat(OpenMpSpin.parseSpinCount("1G")).isEqualTo(1_000_000_000L);
        assertThat(OpenMpSpin.parseSpinCount("infinite")).isEqualTo(-1L);
        assertThat(OpenMpSpin.parseSpinCount("0")).isEqualTo(0L);
        assertThat(OpenMpSpin.of(Map.of("GOMP_SPINCOUNT", "100k")).spinCount()).isEqualTo(100_000);
        assertThat(OpenMpSpin.of(Map.of("GOMP_SPINCOUNT", "infinity")).toString()).isEqualTo("unlimited (GOMP_SPINCOUNT=infinity)");
    }

    @Test
    void anUnparsableCountFallsBackToThePolicyAsLibgompDoes() {
        assertThat(OpenMpSpin.parseSpinCount("ten")).isNull();
        assertThat(OpenMpSpin.parseSpinCount("-5")).isNull();
        assertThat(OpenMpSpin.parseSpinCount("")).isNull();
        OpenMpSpin spin = OpenMpSpin.of(Map.of("GOMP_SPINCOUNT", "lots", "OMP_WAIT_POLICY", "passive"));
        assertThat(spin.spinCount()).isZero();
        assertThat(spin.source()).isEqualTo("OMP_WAIT_POLICY=passive");
    }
}
