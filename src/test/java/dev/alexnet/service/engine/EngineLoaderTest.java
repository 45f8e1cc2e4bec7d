package dev.alexnet.service.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.alexnet.service.model.AlexNetArchitecture;
import dev.alexnet.service.model.network.DnnlAlexNet;
import dev.alexnet.service.model.Precision;
import dev.alexnet.service.model.network.ServingNetwork;
import dev.alexnet.service.model.runtime.BackendInfo;
import dev.alexnet.service.model.runtime.NativeBuild;
import dev.alexnet.service.model.weights.AlexNetWeights;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Which network {@code alexnet.precision} and {@code alexnet.backend.forward-pass} give, and what they refuse. */
class EngineLoaderTest {

    private static final AlexNetWeights SMALL = AlexNetWeights.random(new AlexNetArchitecture(8, 16, 24, 24, 16, 32, 32, 10), 3);

    @BeforeAll
    static void backend() {
        NativeBuild.select(null);
    }

    @Test
    void bf16OnNd4jsPassIsRefusedRatherThanRunInFp32() {
        assertThatThrownBy(() -> EngineLoader.network(SMALL, BackendInfo.current(), PassSetting.ND4J, Precision.BF16))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("alexnet.precision=bf16").hasMessageContaining("oneDNN's pass only");
    }

    @Test
    void bf16RunsOnOneDnnWhereTheCpuHasItAndIsRefusedWhereItDoesNot() {
        if (DnnlAlexNet.hasBf16Instructions()) {
            try (ServingNetwork net = EngineLoader.network(SMALL, BackendInfo.current(), PassSetting.AUTO, Precision.BF16)) {
                assertThat(net.passName()).isEqualTo("onednn");
                assertThat(net.precision()).isEqualTo(Precision.BF16);
            }
        } else {
            assertThatThrownBy(() -> EngineLoader.network(SMALL, BackendInfo.current(), PassSetting.AUTO, Precision.BF16))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("AVX512_BF16 or AMX");
        }
    }

    @Test
    void fp32IsTheDefaultOnBothPasses() {
        Assumptions.assumeFalse(BackendInfo.current().device().startsWith("cuda"));
        for (PassSetting pass : PassSetting.values()) {
            try (ServingNetwork net = EngineLoader.network(SMALL, BackendInfo.current(), pass)) {
                assertThat(net.precision()).as(pass.name()).isEqualTo(Precision.FP32);
                assertThat(net.passName()).as(pass.name()).isEqualTo(pass == PassSetting.ND4J ? "nd4j" : "onednn");
            }
        }
    }
}
