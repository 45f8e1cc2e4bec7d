package dev.alexnet.service.preprocess;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import com.sun.jna.Function;
import com.sun.jna.Memory;
import com.sun.jna.NativeLibrary;
import com.sun.jna.NativeLong;
import com.sun.jna.Pointer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * libjpeg-turbo's TurboJPEG C API ({@code libturbojpeg.so.0}, which Debian's and Ubuntu's
 * {@code libturbojpeg0} install, and {@code libturbojpeg-java} with it), called through JNA.
 * It decodes JPEGs with SIMD and, what matters for phone photos, in the DCT domain at 1/2, 1/4 or
 * 1/8 of the size: a 4032 x 3024 photo is entropy-decoded in full but inverse-transformed straight
 * to 504 x 378, as Pillow's {@code draft()} does.
 * <p>
 * Why the C API and not the package's Java classes: their JNI code holds the JPEG's and the
 * pixels' Java arrays with {@code GetPrimitiveArrayCritical} for the whole decode (40 ms for a phone
 * photo), and while any thread is inside such a section no collection can run: a thread that needs
 * one waits, and then the collection runs as "GCLocker Initiated GC". With 4 decodes at once under
 * 16 phone-photo clients, 24 of 26 collections were of that kind (Zen 5, 15 s). Here the JPEG is
 * copied into native memory and the pixels out of it (about 0.3 ms for a 5 MB photo), and the
 * decode holds no Java array.
 * <p>
 * The library is a system one, not a Maven artifact, so the build does not depend on it. Where it
 * is missing, or JNA cannot call it, the service decodes JPEGs with ImageIO, as before, and logs a
 * WARN once.
 */
final class TurboJpeg {

    private static final Logger log = LoggerFactory.getLogger(TurboJpeg.class);

    /** {@code TJPF_BGRX}: in a little-endian int, 0xXXRRGGBB. */
    private static final int PF_BGRX = 3;
    /** {@code TJCS_*} values that need a conversion TurboJPEG cannot make to RGB. */
    private static final int CS_CMYK = 3;
    private static final int CS_YCCK = 4;
    /**
     * {@code TJFLAG_ACCURATEDCT} (libjpeg's islow IDCT, as ImageIO and Pillow use),
     * {@code TJFLAG_STOPONWARNING} (a truncated or corrupt stream is an error, which ImageIO then
     * reports as before), {@code TJFLAG_LIMITSCANS} (at most 500 progressive scans: a crafted file
     * cannot make the decoder loop for minutes).
     */
    private static final int FLAGS = 4096 | 8192 | 32768;
    /** The reductions libjpeg-turbo runs with SIMD IDCTs, as Pillow's draft() chooses them. */
    private static final int[] DENOMINATORS = {8, 4, 2};

    private static final List<String> LIBRARIES = List.of(
            System.getProperty("alexnet.turbojpeg.library", "/usr/lib/x86_64-linux-gnu/libturbojpeg.so.0"),
            "/usr/lib/aarch64-linux-gnu/libturbojpeg.so.0", "/usr/lib64/libturbojpeg.so.0", "/usr/lib/libturbojpeg.so.0");

    private static final Optional<TurboJpeg> INSTANCE = load();

    private final Function init;
    private final Function header3;
    private final Function decompress2;
    private final Function destroy;
    private final Function errorString;
    private final String description;

    private TurboJpeg(NativeLibrary library, String description) {
        this.init = library.getFunction("tjInitDecompress");
        this.header3 = library.getFunction("tjDecompressHeader3");
        this.decompress2 = library.getFunction("tjDecompress2");
        this.destroy = library.getFunction("tjDestroy");
        this.errorString = library.getFunction("tjGetErrorStr2");
        this.description = description;
    }

    /** The binding, or empty where libturbojpeg.so.0 is not installed (or JNA cannot call it). */
    static Optional<TurboJpeg> get() {
        return INSTANCE;
    }

    /** What was loaded, for logs and {@code GET /model}. */
    String description() {
        return description;
    }

    private static Optional<TurboJpeg> load() {
        Optional<Path> library = LIBRARIES.stream().map(Path::of).filter(Files::isReadable).findFirst();
        if (library.isEmpty()) {
            log.warn("TurboJPEG not found (libturbojpeg.so.0): JPEGs are decoded by ImageIO at full size, "
                    + "2x to 5x slower for photos. Install Debian's libturbojpeg0 or libturbojpeg-java (the Docker image has it).");
            return Optional.empty();
        }
        try {
            String lib = library.get().toString();
            TurboJpeg turbo = new TurboJpeg(NativeLibrary.getInstance(lib), "TurboJPEG (" + lib + ", through JNA)");
            log.info("JPEG decoding: {}, with DCT-domain downscaling", turbo.description);
            return Optional.of(turbo);
        } catch (LinkageError | RuntimeException e) {
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

    /** A JPEG opened for decoding; its native handle and its copy of the JPEG are freed by {@link #close()}. */
    final class Decoder implements AutoCloseable {
        private final Pointer handle;
        private final Memory jpeg;

        private Decoder(Pointer handle, Memory jpeg) {
            this.handle = handle;
            this.jpeg = jpeg;
        }

        Header header() {
            try (Memory out = new Memory(16)) {
                check(header3.invokeInt(new Object[] {handle, jpeg, new NativeLong(jpeg.size()), out, out.share(4), out.share(8),
                        out.share(12)}));
                int cs = out.getInt(12);
                return new Header(out.getInt(0), out.getInt(4), cs != CS_CMYK && cs != CS_YCCK);
            }
        }

        /**
         * Decodes the JPEG whose {@link #header()} this is at the largest reduction that keeps at
         * least minWidth x minHeight (0 x 0: full size).
         */
        Pixels decode(Header header, int minWidth, int minHeight) {
            int denominator = denominator(header.width(), header.height(), minWidth, minHeight);
            int w = scaled(header.width(), denominator);
            int h = scaled(header.height(), denominator);
            int[] rgb = new int[w * h];
            try (Memory pixels = new Memory(4L * w * h)) {
                check(decompress2.invokeInt(new Object[] {handle, jpeg, new NativeLong(jpeg.size()), pixels, w, 4 * w, h, PF_BGRX, FLAGS}));
                pixels.read(0, rgb, 0, rgb.length);
            }
            for (int i = 0; i < rgb.length; i++) {
                rgb[i] &= 0xFFFFFF;
            }
            return new Pixels(rgb, w, h, denominator);
        }

        /** TurboJPEG's calls return -1 on an error (and, with STOPONWARNING, on a warning). */
        private void check(int status) {
            if (status != 0) {
                throw new IllegalStateException("TurboJPEG: " + errorString.invokeString(new Object[] {handle}, false));
            }
        }

        @Override
        public void close() {
            try {
                destroy.invokeInt(new Object[] {handle});
            } finally {
                jpeg.close();
            }
        }
    }

    /** Copies the JPEG into native memory and opens a decompressor on it; throws where TurboJPEG cannot. */
    Decoder open(byte[] data) {
        Memory jpeg = new Memory(Math.max(1, data.length));
        jpeg.write(0, data, 0, data.length);
        Pointer handle = init.invokePointer(new Object[0]);
        if (handle == null) {
            jpeg.close();
            throw new IllegalStateException("TurboJPEG: tjInitDecompress failed");
        }
        return new Decoder(handle, jpeg);
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
