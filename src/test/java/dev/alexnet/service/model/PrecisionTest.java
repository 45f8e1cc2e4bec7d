package dev.alexnet.service.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class PrecisionTest {

    @Test
    void parsesTheSettingsSpellingsAndDefaultsToFp32() {
        assertThat(Precision.parse(null)).isEqualTo(Precision.FP32);
        assertThat(Precision.parse(" ")).isEqualTo(Precision.FP32);
        assertThat(Precision.parse("FP32")).isEqualTo(Precision.FP32);
        assertThat(Precision.parse("float32")).isEqualTo(Precision.FP32);
        assertThat(Precision.parse("bf16")).isEqualTo(Precision.BF16);
        assertThat(Precision.parse("BFloat16")).isEqualTo(Precision.BF16);
        assertThat(Precision.BF16.label()).isEqualTo("bf16");
    }

    @Test
    void refusesAnythingElseNamingTheSetting() {
        assertThatThrownBy(() -> Precision.parse("fp16"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("alexnet.precision").hasMessageContaining("fp16");
    }
}
