package dev.alexnet.service.preprocess;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * libjpeg-turbo's TurboJPEG API, as Debian's {@code libturbojpeg-java} package installs it (the
 * classes in {@code /usr/share/java/turbojpeg.jar}, the library in {@code libturbojpeg.so.0}).
 * It decodes JPEGs with SIMD and, what matters for phone photos, in the DCT domain at 1/2, 1/4 or
 * 1/8 of the size: a 4032 x 3024 photo is entropy-decoded in full but inverse-transformed straight
 * to 504 x 378, as Pillow's {@code draft()} does.
 *
 * <p>The package is a system one, not a Maven artifact, so the build does not depend on it: the
 * classes are loaded at run time from the jar, in a class loader whose {@code findLibrary} names
 * the versioned library (the jar's own loader looks for the unversioned {@code libturbojpeg.so}
 * that only the -dev package installs). Where either is missing the service decodes JPEGs with
 * ImageIO, as before, and logs a WARN once.
 */
final class TurboJpeg {

    private static final Logger log = LoggerFactory.getLogger(TurboJpeg.class);

    /** {@code TJ.PF_BGRX}: in a little-endian int, 0xXXRRGGBB. */
    private static final int PF_BGRX = 3;
    /** {@code TJ.CS_*} values that need a conversion TurboJPEG cannot make to RGB. */
    private static final int CS_CMYK = 3;
    private static final int CS_YCCK = 4;
    /**
     * {@code FLAG_ACCURATEDCT} (libjpeg's islow IDCT, as ImageIO and Pillow use),
     * {@code FLAG_STOPONWARNING} (a truncated or corrupt stream is an error, which ImageIO then
     * reports as before), {@code FLAG_LIMITSCANS} (at most 500 progressive scans: a crafted file
     * cannot make the decoder loop for minutes).
     */
    private static final int FLAGS = 4096 | 8192 | 32768;
    /** The reductions libjpeg-turbo runs with SIMD IDCTs, as Pillow's draft() chooses them. */
    private static final int[] DENOMINATORS = {8, 4, 2};

    private static final String JAR = System.getProperty("alexnet.turbojpeg.jar", "/usr/share/java/turbojpeg.jar");
    private static final List<String> LIBRARIES = List.of(
            System.getProperty("alexnet.turbojpeg.library", "/usr/lib/x86_64-linux-gnu/libturbojpeg.so.0"),
            "/usr/lib/aarch64-linux-gnu/libturbojpeg.so.0", "/usr/lib64/libturbojpeg.so.0", "/usr/lib/libturbojpeg.so.0");

    private static final Optional<TurboJpeg> INSTANCE = load();

    private final MethodHandle create;
    private final MethodHandle width;
    private final MethodHandle height;
    private final MethodHandle colorspace;
    private final MethodHandle decompress;
    private final MethodHandle close;
    private final String description;

    private TurboJpeg(Class<?> decompressor, String description) throws ReflectiveOperationException {
        MethodHandles.Lookup lookup = MethodHandles.publicLookup();
        Class<?> d = decompressor;
        this.create = lookup.findConstructor(d, MethodType.methodType(void.class, byte[].class, int.class))
                .asType(MethodType.methodType(Object.class, byte[].class, int.class));
        this.width = lookup.findVirtual(d, "getWidth", MethodType.methodType(int.class)).asType(MethodType.methodType(int.class, Object.class));
        this.height = lookup.findVirtual(d, "getHeight", MethodType.methodType(int.class)).asType(MethodType.methodType(int.class, Object.class));
        this.colorspace = lookup.findVirtual(d, "getColorspace", MethodType.methodType(int.class))
                .asType(MethodType.methodType(int.class, Object.class));
        this.decompress = lookup.findVirtual(d, "decompress", MethodType.methodType(void.class, int[].class, int.class, int.class,
                        int.class, int.class, int.class, int.class, int.class))
                .asType(MethodType.methodType(void.class, Object.class, int[].class, int.class, int.class, int.class, int.class,
                        int.class, int.class, int.class));
        this.close = lookup.findVirtual(d, "close", MethodType.methodType(void.class)).asType(MethodType.methodType(void.class, Object.class));
        this.description = description;
    }

    /** The binding, or empty where Debian's libturbojpeg-java (or an equivalent at the same paths) is not installed. */
    static Optional<TurboJpeg> get() {
        return INSTANCE;
    }

    /** What was loaded, for logs and {@code GET /model}. */
    String description() {
        return description;
    }

    private static Optional<TurboJpeg> load() {
        Path jar = Path.of(JAR);
        Optional<Path> library = LIBRARIES.stream().map(Path::of).filter(Files::isReadable).findFirst();
        if (!Files.isReadable(jar) || library.isEmpty()) {
            log.warn("TurboJPEG not found ({} and libturbojpeg.so.0): JPEGs are decoded by ImageIO at full size, "
                    + "2x to 5x slower for photos. Install Debian's libturbojpeg-java (the Docker image has it).", jar);
            return Optional.empty();
        }
        try {
            String lib = library.get().toString();
            URLClassLoader loader = new URLClassLoader("turbojpeg", new URL[] {jar.toUri().toURL()}, TurboJpeg.class.getClassLoader()) {
                @Override
                protected String findLibrary(String name) {
                    return "turbojpeg".equals(name) ? lib : super.findLibrary(name);
                }
            };
            Class<?> decompressor = Class.forName("org.libjpegturbo.turbojpeg.TJDecompressor", true, loader);
            TurboJpeg turbo = new TurboJpeg(decompressor, "TurboJPEG (" + jar + ", " + lib + ")");
            log.info("JPEG decoding: {}, with DCT-domain downscaling", turbo.description);
            return Optional.of(turbo);
        } catch (ReflectiveOperationException | LinkageError | java.net.MalformedURLException | RuntimeException e) {
            log.warn("TurboJPEG could not be loaded ({}): JPEGs are decoded by ImageIO at full size", e.toString());
            return Optional.empty();
        }
    }

    /** The JPEG's stored size and colour space, read from its header. */
    record Header(int width, int height, boolean convertible) {
    }

    /** A decode at {@code 1 / denominator} of the stored size, 0xRRGGBB pixels. */
    record Pixels(int[] rgb, int width, int height, int denominator) {
    }

    /** A JPEG opened for decoding; its native handle is freed by {@link #close()}. */
    final class Decoder implements AutoCloseable {
        private final Object handle;

        private Decoder(Object handle) {
            this.handle = handle;
        }

        Header header() throws Throwable {
            int cs = (int) colorspace.invokeExact(handle);
            return new Header((int) width.invokeExact(handle), (int) height.invokeExact(handle), cs != CS_CMYK && cs != CS_YCCK);
        }

        /**
         * Decodes the JPEG whose {@link #header()} this is at the largest reduction that keeps at
         * least minWidth x minHeight (0 x 0: full size).
         */
        Pixels decode(Header header, int minWidth, int minHeight) throws Throwable {
            int denominator = denominator(header.width(), header.height(), minWidth, minHeight);
            int w = scaled(header.width(), denominator);
            int h = scaled(header.height(), denominator);
            int[] rgb = new int[w * h];
            decompress.invokeExact(handle, rgb, 0, 0, w, w, h, PF_BGRX, FLAGS);
            for (int i = 0; i < rgb.length; i++) {
                rgb[i] &= 0xFFFFFF;
            }
            return new Pixels(rgb, w, h, denominator);
        }

        @Override
        public void close() {
            try {
                close.invokeExact(handle);
            } catch (Throwable e) {
                log.debug("TurboJPEG close: {}", e.toString());
            }
        }
    }

    /** Reads the header; throws whatever TurboJPEG throws for data it cannot parse. */
    Decoder open(byte[] jpeg) throws Throwable {
        return new Decoder(create.invokeExact(jpeg, jpeg.length));
    }

    /** libjpeg's scaled size: ceil(size / denominator). */
    static int scaled(int size, int denominator) {
        return (size + denominator - 1) / denominator;
    }

    /** The largest of 8, 4, 2 whose scaled size still covers the minimum on both axes, else 1. */
    static int denominator(int width, int height, int minWidth, int minHeight) {
        if (minWidth <= 0 && minHeight <= 0) {
            return 1;
        }
        for (int d : DENOMINATORS) {
            if (scaled(width, d) >= minWidth && scaled(height, d) >= minHeight) {
                return d;
            }
        }
        return 1;
    }
}
