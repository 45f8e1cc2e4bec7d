package dev.alexnet.service.preprocess;

import dev.alexnet.service.model.AlexNetArchitecture;
import java.util.Locale;
import java.util.Optional;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * Bytes to the network's input: decode (format from the bytes, EXIF orientation, 8-bit sRGB),
 * resize, and lay out as a 3 x 227 x 227 tensor in B, G, R order minus the ImageNet mean.
 * Knows nothing of HTTP. Decoding holds at most {@code maxConcurrentDecodes} full-size rasters at
 * once, so that many large uploads together cannot exhaust the heap.
 */
public final class Preprocessor {

    /** Network input side. */
    public static final int SIZE = AlexNetArchitecture.INPUT_SIZE;
    /** Caffe's evaluation protocol resizes to 256 x 256 before the central crop. */
    public static final int CENTER_CROP_RESIZE = 256;
    /** Per-channel ImageNet mean in B, G, R order, on the 0-255 scale. */
    public static final float[] MEAN_BGR = {104.007f, 116.669f, 122.679f};

    /** How an image becomes 227 x 227. */
    public enum Mode {
        /** Resize to 256 x 256 (aspect not kept), then crop the central 227 x 227: Caffe's evaluation protocol. */
        CENTER_CROP,
        /** Resize straight to 227 x 227; a 227 x 227 image passes pixel for pixel. */
        RESIZE;

        /** Parses {@code center-crop} or {@code resize}. */
        public static Mode parse(String value) {
            return switch (value.trim().toLowerCase(Locale.ROOT).replace('_', '-')) {
                case "center-crop", "centercrop" -> CENTER_CROP;
                case "resize" -> RESIZE;
                default -> throw new IllegalArgumentException("unknown preprocessing mode '" + value + "': use center-crop or resize");
            };
        }
    }

    /**
     * One preprocessed image.
     *
     * @param tensor      [3, 227, 227] row-major, BGR minus the mean
     * @param width       the displayed width of the upload
     * @param height      the displayed height of the upload
     * @param format      the detected format
     * @param decodeNanos time spent decoding and preprocessing
     */
    public record Preprocessed(float[] tensor, int width, int height, ImageFormat format, long decodeNanos) {
    }

    private final ImageDecoder decoder;
    private final Mode mode;
    private final Semaphore decodes;
    private final boolean scaledJpeg;
    /**
     * Resize buffers for reuse: at most one per decode permit is ever out, so at most that many
     * exist; one over {@link #POOLED_FLOATS} (an image hundreds of thousands of pixels wide) is left to the collector.
     */
    private final Queue<Resizer.Scratch> scratch = new ConcurrentLinkedQueue<>();
    /** 4 MB: one planar R, G, B row over the window's source columns and one output row (a 500 x 375 photo takes 8 KB). */
    private static final int POOLED_FLOATS = 1 << 20;

    /** Decodes JPEGs reduced in the DCT domain where the mode's resize allows (see {@link #Preprocessor(ImageDecoder, Mode, int, boolean)}). */
    public Preprocessor(ImageDecoder decoder, Mode mode, int maxConcurrentDecodes) {
        this(decoder, mode, maxConcurrentDecodes, true);
    }

    /**
     * @param scaledJpeg decode JPEGs at 1/2, 1/4 or 1/8 of their size (in the DCT domain, as Pillow's
     *                   {@code draft()}) when both sides stay at least the mode's resize target (256
     *                   for center-crop, 227 for resize); the antialiased resize then starts from
     *                   that. False decodes every JPEG in full: exact, and slower for photos.
     */
    public Preprocessor(ImageDecoder decoder, Mode mode, int maxConcurrentDecodes, boolean scaledJpeg) {
        this.decoder = decoder;
        this.mode = mode;
        this.decodes = new Semaphore(Math.max(1, maxConcurrentDecodes), true);
        this.scaledJpeg = scaledJpeg;
    }

    /** The smallest side the resize needs for this mode; the decoder may reduce a JPEG down to it. */
    static int minimumSide(Mode mode) {
        return mode == Mode.RESIZE ? SIZE : CENTER_CROP_RESIZE;
    }

    public Mode mode() {
        return mode;
    }

    /**
     * How JPEGs are decoded: {@code turbojpeg-scaled} (TurboJPEG, reduced in the DCT domain down to
     * the resize target), {@code turbojpeg-full} (TurboJPEG at full size) or {@code imageio}
     * (TurboJPEG is not installed).
     */
    public String jpegDecoding() {
        if (TurboJpeg.get().isEmpty()) {
            return "imageio";
        }
        return scaledJpeg ? "turbojpeg-scaled" : "turbojpeg-full";
    }

    public Preprocessed preprocess(byte[] data) {
        return preprocessIfStartedBy(data, Long.MAX_VALUE).orElseThrow();
    }

    /**
     * {@link #preprocess(byte[])} for a caller whose answer is worthless unless decoding starts by
     * {@code startByNanos} ({@link System#nanoTime()}): empty, with nothing decoded, when it could not
     * (no decode permit came free by then, or the time had passed already).
     * <p>
     * Why: under overload (64 clients sending 5 MB phone photos, each refused one sending again at
     * once), requests admitted together waited for the decode permits past the queue's time bound,
     * were decoded anyway, and then dropped by the pass loop: in 15 s, 188 such decodes against 27
     * answered, 39% of the CPU in libjpeg-turbo for answers nobody got.
     */
    public Optional<Preprocessed> preprocessIfStartedBy(byte[] data, long startByNanos) {
        long start = System.nanoTime();
        try {
            if (startByNanos == Long.MAX_VALUE) {
                decodes.acquire();
            } else if (!decodes.tryAcquire(Math.max(0, startByNanos - start), TimeUnit.NANOSECONDS)) {
                return Optional.empty();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting to decode", e);
        }
        try {
            if (System.nanoTime() > startByNanos) {
                return Optional.empty();
            }
            DecodedImage image = decoder.decode(data, scaledJpeg ? minimumSide(mode) : 0);
            float[] tensor = new float[3 * SIZE * SIZE];
            Resizer.Scratch buffers = tensor(image, mode, tensor, scratch.poll());
            if (buffers.size() <= POOLED_FLOATS) {
                scratch.offer(buffers);
            }
            return Optional.of(
                    new Preprocessed(tensor, image.displayWidth(), image.displayHeight(), image.format(), System.nanoTime() - start));
        } finally {
            decodes.release();
        }
    }

    /** The 227 x 227 interleaved RGB floats that the network sees, before mean subtraction. */
    public static float[] cropped(DecodedImage image, Mode mode) {
        int side = minimumSide(mode);
        int offset = (side - SIZE) / 2;
        return Resizer.resizeRegion(image.rgb(), image.width(), image.height(), side, side, offset, offset, SIZE, SIZE);
    }

    /** What {@code toTensor(cropped(image, mode))} computes, written into {@code tensor} without the interleaved copy. */
    static Resizer.Scratch tensor(DecodedImage image, Mode mode, float[] tensor, Resizer.Scratch scratch) {
        int side = minimumSide(mode);
        int offset = (side - SIZE) / 2;
        return Resizer.resizeRegionToBgrPlanes(image.rgb(), image.width(), image.height(), side, side, offset, offset, SIZE, SIZE,
                MEAN_BGR, tensor, scratch);
    }

    /** Interleaved RGB [227, 227, 3] to planar BGR [3, 227, 227] minus the mean. */
    public static float[] toTensor(float[] rgb227) {
        float[] tensor = new float[3 * SIZE * SIZE];
        for (int y = 0; y < SIZE; y++) {
            Resizer.bgrRow(rgb227, 3 * SIZE * y, y, SIZE, SIZE, MEAN_BGR, tensor);
        }
        return tensor;
    }
}
