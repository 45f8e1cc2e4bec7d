package dev.alexnet.service.config;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The ND4J native build.
 *
 * @param cpuExtension {@code auto} (oneDNN AVX2 build where the CPU has AVX2 and FMA, else the
 *                     generic one), {@code generic}, or {@code onednn-avx2}
 * @param batchOneDense {@code auto} (time OpenBLAS's sgemv and the {@code Mmul} op at start-up and
 *                     keep the faster), {@code sgemv} or {@code mmul}; for the ND4J pass only
 * @param forwardPass  {@code auto} (oneDNN's primitives directly on a CPU backend, ND4J's ops on
 *                     CUDA or where oneDNN cannot load), {@code onednn} or {@code nd4j}
 */
@ConfigurationProperties("alexnet.backend")
public record BackendProperties(@DefaultValue("auto") String cpuExtension, @DefaultValue("auto") String batchOneDense,
                                @DefaultValue("auto") String forwardPass) {
}
