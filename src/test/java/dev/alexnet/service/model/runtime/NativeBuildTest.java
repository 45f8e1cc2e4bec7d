package dev.alexnet.service.model.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NativeBuildTest {

    @Test
    void picksOneDnnAvx2OnlyWithAvx2AndFma() {
        assertThat(NativeBuild.choose(Set.of("sse4_2", "avx", "avx2", "fma"), null)).isEqualTo("-onednn-avx2");
        assertThat(NativeBuild.choose(Set.of("sse4_2", "avx", "avx2"), null)).isEmpty();
        assertThat(NativeBuild.choose(Set.of("sse4_2", "avx", "fma"), "auto")).isEmpty();
        assertThat(NativeBuild.choose(Set.of(), null)).isEmpty();
    }

    @Test
    void settingOverridesTheCpu() {
        assertThat(NativeBuild.choose(Set.of("avx2", "fma"), "generic")).isEmpty();
        assertThat(NativeBuild.choose(Set.of(), "onednn-avx2")).isEqualTo("-onednn-avx2");
        assertThat(NativeBuild.choose(Set.of(), "-onednn-avx2")).isEqualTo("-onednn-avx2");
    }

    @Test
    void readsFlagsFromCpuinfo(@TempDir Path dir) throws IOException {
        Path cpuinfo = Files.writeString(dir.resolve("cpuinfo"), """
                processor	: 0
                model name	: AMD EPYC
                flags		: fpu vme sse4_2 avx avx2 fma

                processor	: 1
                flags		: fpu
                """);
        assertThat(NativeBuild.cpuFlags(cpuinfo)).contains("avx2", "fma", "fpu").doesNotContain("processor");
        assertThat(NativeBuild.cpuFlags(dir.resolve("absent"))).isEmpty();
    }

    @Test
    void theBuildInUseMatchesThisCpu() {
        NativeBuild.select(null);
        BackendInfo info = BackendInfo.current();
        boolean avx2 = NativeBuild.cpuFlags(Path.of("/proc/cpuinfo")).containsAll(Set.of("avx2", "fma"));
        assertThat(info.onednn()).isEqualTo(avx2);
        assertThat(info.device()).isEqualTo("cpu");
        assertThat(info.blas()).isNotBlank();
    }
}
