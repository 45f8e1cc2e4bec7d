package dev.alexnet.service.model;

import java.util.Locale;

/**
 * {@code alexnet.precision}: the number format the oneDNN pass computes in. {@code fp32} everywhere
 * (the default, the numbers the tests hold to PyTorch's float64); or {@code bf16}: weights and
 * activations in bfloat16 (8 bits of mantissa), products accumulated in fp32, the features (fc7)
 * and logits written in fp32, on CPUs with bfloat16 instructions (AVX512_BF16 or AMX). It changes
 * the numbers (docs/benchmarks.md gives how much), so it is never chosen for the user.
 */
public enum Precision {
    FP32("fp32"), BF16("bf16");

    private final String label;

    Precision(String label) {
        this.label = label;
    }

    /** {@code fp32} or {@code bf16}, as the setting and {@code GET /model} spell it. */
    public String label() {
        return label;
    }

    public static Precision parse(String value) {
        return switch (value == null ? "fp32" : value.trim().toLowerCase(Locale.ROOT)) {
            case "", "fp32", "f32", "float32" -> FP32;
            case "bf16", "bfloat16" -> BF16;
            default -> throw new IllegalArgumentException("alexnet.precision is '" + value + "': use fp32 or bf16");
        };
    }
}
