package dev.alexnet.service.config;

import java.nio.file.Path;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The model to serve.
 *
 * @param weights    a bvlc_alexnet.npy-format file ({@code ALEXNET_WEIGHTS}); unset serves the
 *                   deterministic random initialisation, and says so everywhere
 * @param labels     a class-name file, one per line ({@code ALEXNET_LABELS}); unset uses ImageNet's
 * @param randomSeed the seed of the random initialisation
 * @param defaultModel with a model repository, the model a request that names none goes to
 *                     ({@code ALEXNET_DEFAULT_MODEL}); unset: the only model served
 * @param precision  the oneDNN pass's number format ({@code ALEXNET_PRECISION}): {@code fp32}, or
 *                   {@code bf16} on a CPU with AVX512_BF16 or AMX (start-up fails elsewhere); every
 *                   model of a repository computes in it
 */
@ConfigurationProperties("alexnet")
public record ModelProperties(Path weights, Path labels, @DefaultValue("42") long randomSeed, String defaultModel,
                              @DefaultValue("fp32") String precision) {
}
