package dev.alexnet.service.config;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The ND4J native build.
 *
 * @param cpuExtension {@code auto} (oneDNN AVX2 build where the CPU has AVX2 and FMA, else the
 *                     generic one), {@code generic}, or {@code onednn-avx2}
 * @param batchOneDense {@code auto} (time both batch-1 dense paths at start-up and keep the faster:
 *                     oneDNN's inner product or its 1x1 convolutions, OpenBLAS's sgemv or ND4J's
 *                     {@code Mmul}), {@code gemv} (the first of each pair) or {@code batched} (the
 *                     second); {@code sgemv} and {@code mmul} are read as {@code gemv} and {@code batched}
 * @param forwardPass  {@code auto} (oneDNN's primitives directly on a CPU backend, ND4J's ops on
 *                     CUDA or where oneDNN cannot load), {@code onednn} or {@code nd4j}
 */
@ConfigurationProperties("alexnet.backend")
public record BackendProperties(@DefaultValue("auto") String cpuExtension, @DefaultValue("auto") String batchOneDense,
                                @DefaultValue("auto") String forwardPass) {
}
