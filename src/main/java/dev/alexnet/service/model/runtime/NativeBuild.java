package dev.alexnet.service.model.runtime;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Chooses which ND4J CPU native build JavaCPP loads. It must run before any ND4J class is
 * initialised: the choice is read once, through the system property
 * {@value #PLATFORM_EXTENSION_PROPERTY}.
 */
public final class NativeBuild {

    /** JavaCPP's property that names the native build variant. */
    public static final String PLATFORM_EXTENSION_PROPERTY = "org.bytedeco.javacpp.platform.extension";

    /** The oneDNN build compiled for AVX2 and FMA. */
    public static final String ONEDNN_AVX2 = "-onednn-avx2";

    /** The generic x86-64 build. */
    public static final String GENERIC = "";

    private NativeBuild() {
    }

    /**
     * The extension to use for the given CPU flags, or the override when one is set.
     *
     * @param override {@code auto}, {@code generic}, {@code onednn-avx2} (with or without the dash), or null
     */
    public static String choose(Set<String> cpuFlags, String override) {
        if (override != null && !override.isBlank() && !override.equalsIgnoreCase("auto")) {
            String value = override.trim().toLowerCase(Locale.ROOT);
            if (value.equals("generic") || value.equals("none")) {
                return GENERIC;
            }
            return value.startsWith("-") ? value : "-" + value;
        }
        return cpuFlags.contains("avx2") && cpuFlags.contains("fma") ? ONEDNN_AVX2 : GENERIC;
    }

    /** The CPU flags of the first processor in {@code /proc/cpuinfo}; empty where it cannot be read. */
    public static Set<String> cpuFlags(Path cpuinfo) {
        try {
            return Files.readAllLines(cpuinfo).stream()
                    .filter(line -> line.startsWith("flags"))
                    .findFirst()
                    .map(line -> Arrays.stream(line.substring(line.indexOf(':') + 1).trim().split("\\s+"))
                            .collect(Collectors.toUnmodifiableSet()))
                    .orElse(Set.of());
        } catch (IOException | RuntimeException e) {
            return Set.of();
        }
    }

    /**
     * Sets the JavaCPP platform extension unless the JVM was started with one, and returns the
     * extension in force. Idempotent; call it before ND4J loads.
     *
     * @param override the {@code alexnet.backend.cpu-extension} setting, or null
     */
    public static synchronized String select(String override) {
        String explicit = System.getProperty(PLATFORM_EXTENSION_PROPERTY);
        boolean hasOverride = override != null && !override.isBlank() && !override.equalsIgnoreCase("auto");
        if (explicit != null && !hasOverride) {
            return explicit;
        }
        String chosen = choose(cpuFlags(Path.of("/proc/cpuinfo")), override);
        System.setProperty(PLATFORM_EXTENSION_PROPERTY, chosen);
        return chosen;
    }

    /** A human-readable name for an extension value. */
    public static String describe(String extension) {
        return extension == null || extension.isEmpty() ? "linux-x86_64 (generic)" : "linux-x86_64" + extension;
    }
}
