package dev.alexnet.service.model.runtime;

import java.util.Locale;
import java.util.Map;

/**
 * How long libgomp's idle threads busy-wait before they sleep, as libgomp reads it from
 * {@code GOMP_SPINCOUNT} and {@code OMP_WAIT_POLICY} when libnd4j loads. Java cannot change it
 * after start, so only the environment sets it; nothing in this project does. It is logged at
 * start because it decides, with the CPU, whether batch-1 dense layers are faster on OpenBLAS's
 * sgemv or on the {@code Mmul} op ({@link AlexNet#useGemvAtBatchOne}): a bounded spin made sgemv
 * 25% faster on one AMD machine and a whole pass 1.6x to 2.5x slower on an Intel one, which is
 * why the engine measures the two paths at start-up instead of trusting a setting.
 *
 * @param spinCount the spins libgomp will do, or -1 for unlimited ({@code OMP_WAIT_POLICY=active})
 * @param source    where the value came from, for logs
 */
public record OpenMpSpin(long spinCount, String source) {

    private static final long LIBGOMP_DEFAULT = 300_000;

    /** What libgomp will use in this process. */
    public static OpenMpSpin fromEnvironment() {
        return of(System.getenv());
    }

    /** What libgomp makes of these environment variables (its env.c: GOMP_SPINCOUNT wins, then OMP_WAIT_POLICY). */
    public static OpenMpSpin of(Map<String, String> env) {
        String spin = env.get("GOMP_SPINCOUNT");
        if (spin != null) {
            Long parsed = parseSpinCount(spin);
            if (parsed != null) {
                return new OpenMpSpin(parsed, "GOMP_SPINCOUNT=" + spin.trim());
            }
        }
        String policy = env.getOrDefault("OMP_WAIT_POLICY", "").trim().toLowerCase(Locale.ROOT);
        return switch (policy) {
            case "passive" -> new OpenMpSpin(0, "OMP_WAIT_POLICY=passive");
            case "active" -> new OpenMpSpin(-1, "OMP_WAIT_POLICY=active");
            default -> new OpenMpSpin(LIBGOMP_DEFAULT, "libgomp's default");
        };
    }

    /** libgomp's syntax: a count with an optional k, M, G or T suffix (powers of 1000), or infinite/infinity. */
    static Long parseSpinCount(String value) {
        String v = value.trim();
        if (v.equalsIgnoreCase("infinite") || v.equalsIgnoreCase("infinity")) {
            return -1L;
        }
        long scale = 1;
        if (!v.isEmpty()) {
            switch (v.charAt(v.length() - 1)) {
                case 'k', 'K' -> scale = 1_000L;
                case 'm', 'M' -> scale = 1_000_000L;
                case 'g', 'G' -> scale = 1_000_000_000L;
                case 't', 'T' -> scale = 1_000_000_000_000L;
                default -> scale = 1;
            }
            if (scale != 1) {
                v = v.substring(0, v.length() - 1).trim();
            }
        }
        if (v.isEmpty() || !v.chars().allMatch(Character::isDigit) || v.length() > 12) {
            return null;
        }
        return Long.parseLong(v) * scale;
    }

    @Override
    public String toString() {
        return (spinCount < 0 ? "unlimited" : spinCount + " spins") + " (" + source + ")";
    }
}
