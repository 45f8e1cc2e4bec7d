package dev.alexnet.service.preprocess;

import java.awt.color.ColorSpace;
import java.awt.color.ICC_Profile;
import java.awt.image.BufferedImage;
import java.awt.image.ColorConvertOp;
import java.awt.image.ColorModel;
import java.awt.image.ComponentColorModel;
import java.awt.image.DirectColorModel;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;

import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

import com.twelvemonkeys.imageio.color.ColorSpaces;

/**
 * Decodes uploads into 8-bit sRGB pixels: JPEGs with TurboJPEG where it is installed (SIMD, and
 * DCT-domain downscaling when the caller needs less than the full size), everything else and every
 * JPEG TurboJPEG cannot take with ImageIO and the TwelveMonkeys plugins (JPEG including CMYK/YCCK
 * and progressive, TIFF, WebP) plus the JDK's PNG, GIF and BMP readers. The
 * format comes from the bytes. The pixel count is checked from the header before any pixel is
 * decoded, so a decompression bomb is refused without allocating its raster.
 */
public final class ImageDecoder {

    static {
        ImageIO.setUseCache(false);
        ImageIO.scanForPlugins();
    }

    private final long maxPixels;

    public ImageDecoder(long maxPixels) {
        this.maxPixels = maxPixels;
    }

    /** Decodes one image at full size; throws {@link ImageRejectedException} for anything that is not a usable image. */
    public DecodedImage decode(byte[] data) {
        return decode(data, 0);
    }

    /**
     * Decodes one image, a JPEG possibly reduced in the DCT domain to 1/2, 1/4 or 1/8 of its size
     * as long as both sides stay at least {@code minSide} (0: full size). The pixels then have the
     * reduced size, {@link DecodedImage#displayWidth()} and {@code displayHeight()} the upload's.
     * Every image TurboJPEG cannot take (CMYK and YCCK, a corrupt or truncated stream, any warning)
     * goes to ImageIO at full size, so errors read as they always did.
     */
    public DecodedImage decode(byte[] data, int minSide) {
        if (data == null || data.length == 0) {
            throw new ImageRejectedException(ImageRejectedException.Reason.EMPTY, "the image is empty (0 bytes)");
        }
        ImageFormat format = ImageFormat.detect(data).orElseThrow(() -> new ImageRejectedException(
                ImageRejectedException.Reason.NOT_AN_IMAGE,
                "not an image: the data is none of JPEG, PNG, GIF, BMP, WebP or TIFF"));
        if (!format.supported()) {
            throw new ImageRejectedException(ImageRejectedException.Reason.UNSUPPORTED_FORMAT,
                    format.name().toLowerCase(Locale.ROOT).replace('_', ' ') + " images are not supported; send JPEG, PNG, GIF, BMP, WebP or TIFF");
        }
        if (format == ImageFormat.JPEG && TurboJpeg.get().isPresent()) {
            DecodedImage fast = turbo(TurboJpeg.get().get(), data, minSide);
            if (fast != null) {
                return fast;
            }
        }
        ImageReader reader = reader(format);
        List<String> warnings = new ArrayList<>();
        try (ImageInputStream in = new ByteArrayImageInputStream(data)) {
            reader.setInput(in, true, false);
            reader.addIIOReadWarningListener((source, warning) -> warnings.add(warning));
            int width = reader.getWidth(0);
            int height = reader.getHeight(0);
            if (width <= 0 || height <= 0) {
                throw new ImageRejectedException(ImageRejectedException.Reason.CORRUPT,
                        "corrupt " + name(format) + ": its header declares " + width + " x " + height + " pixels");
            }
            checkPixels(format, width, height);
            BufferedImage image = reader.read(0, reader.getDefaultReadParam());
            for (String warning : warnings) {
                String w = warning.toLowerCase(Locale.ROOT);
                if (w.contains("premature end") || w.contains("truncat") || w.contains("corrupt")) {
                    throw new ImageRejectedException(ImageRejectedException.Reason.CORRUPT,
                            "corrupt or truncated " + name(format) + ": " + warning);
                }
            }
            int[] rgb = toRgb(image);
            int orientation = ExifOrientation.read(data, format);
            int[] oriented = ExifOrientation.apply(rgb, image.getWidth(), image.getHeight(), orientation);
            boolean swap = ExifOrientation.swapsAxes(orientation);
            return new DecodedImage(oriented, swap ? image.getHeight() : image.getWidth(),
                    swap ? image.getWidth() : image.getHeight(), format, orientation);
        } catch (ImageRejectedException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new ImageRejectedException(ImageRejectedException.Reason.CORRUPT,
                    "corrupt or truncated " + name(format) + ": " + describe(e), e);
        } finally {
            reader.dispose();
        }
    }

    /** The TurboJPEG path; null when the image is one for ImageIO (see {@link #decode(byte[], int)}). */
    private DecodedImage turbo(TurboJpeg turbo, byte[] data, int minSide) {
        TurboJpeg.Pixels pixels;
        try (TurboJpeg.Decoder decoder = turbo.open(data)) {
            TurboJpeg.Header header = decoder.header();
            if (!header.convertible() || header.width() <= 0 || header.height() <= 0) {
                return null;
            }
            checkPixels(ImageFormat.JPEG, header.width(), header.height());
            pixels = decoder.decode(header, minSide, minSide);
            int[] rgb = pixels.rgb();
            ICC_Profile icc = JpegIcc.profile(data);
            if (icc != null && !ColorSpaces.isCS_sRGB(icc)) {
                rgb = JpegIcc.toSrgb(rgb, pixels.width(), pixels.height(), ColorSpaces.createColorSpace(icc));
            }
            int orientation = ExifOrientation.read(data, ImageFormat.JPEG);
            int[] oriented = ExifOrientation.apply(rgb, pixels.width(), pixels.height(), orientation);
            boolean swap = ExifOrientation.swapsAxes(orientation);
            return new DecodedImage(oriented, swap ? pixels.height() : pixels.width(), swap ? pixels.width() : pixels.height(),
                    ImageFormat.JPEG, orientation, swap ? header.height() : header.width(), swap ? header.width() : header.height());
        } catch (ImageRejectedException e) {
            throw e;
        } catch (Throwable e) {
            if (e instanceof Error error && !(e instanceof LinkageError)) {
                throw error;
            }
            return null;
        }
    }

    private void checkPixels(ImageFormat format, int width, int height) {
        if ((long) width * height > maxPixels) {
            throw new ImageRejectedException(ImageRejectedException.Reason.TOO_MANY_PIXELS, String.format(Locale.ROOT,
                    "the %s declares %d x %d = %.1f megapixels; the limit is %.1f megapixels",
                    name(format), width, height, width * (double) height / 1e6, maxPixels / 1e6));
        }
    }

    private static String name(ImageFormat format) {
        return format.name() + " image";
    }

    private static String describe(Throwable e) {
        String message = e.getMessage();
        return message == null || message.isBlank() ? e.getClass().getSimpleName() : message;
    }

    private static ImageReader reader(ImageFormat format) {
        Iterator<ImageReader> readers = ImageIO.getImageReadersByFormatName(format.imageIoName());
        ImageReader fallback = null;
        while (readers.hasNext()) {
            ImageReader r = readers.next();
            if (r.getClass().getName().startsWith("com.twelvemonkeys")) {
                if (fallback != null) {
                    fallback.dispose();
                }
                return r;
            }
            if (fallback == null) {
                fallback = r;
            } else {
                r.dispose();
            }
        }
        if (fallback == null) {
            throw new ImageRejectedException(ImageRejectedException.Reason.UNSUPPORTED_FORMAT,
                    "no decoder is installed for " + format.name() + " images");
        }
        return fallback;
    }

    /**
     * Converts to 0xRRGGBB, dropping alpha. Gray and RGB samples of any depth are rescaled
     * directly (ImageIO's getRGB would gamma-convert gray, brightening it); palettes are looked up;
     * other colour spaces (CMYK left unconverted, ICC-tagged RGB) go through a colour conversion.
     */
    static int[] toRgb(BufferedImage image) {
        int w = image.getWidth();
        int h = image.getHeight();
        ColorModel cm = image.getColorModel();
        int[] out = new int[w * h];
        if (image.getType() == BufferedImage.TYPE_3BYTE_BGR && cm.getColorSpace().isCS_sRGB()
                && image.getRaster().getDataBuffer() instanceof java.awt.image.DataBufferByte buffer
                && image.getRaster().getSampleModelTranslateX() == 0 && image.getRaster().getSampleModelTranslateY() == 0
                && buffer.getNumBanks() == 1 && buffer.getSize() == w * h * 3) {
            byte[] bgr = buffer.getData();
            for (int i = 0, j = 0; i < out.length; i++, j += 3) {
                out[i] = (bgr[j + 2] & 0xFF) << 16 | (bgr[j + 1] & 0xFF) << 8 | (bgr[j] & 0xFF);
            }
            return out;
        }
        if (cm instanceof IndexColorModel) {
            image.getRGB(0, 0, w, h, out, 0, w);
            for (int i = 0; i < out.length; i++) {
                out[i] &= 0xFFFFFF;
            }
            return out;
        }
        ColorSpace cs = cm.getColorSpace();
        boolean direct = cm instanceof ComponentColorModel || cm instanceof DirectColorModel;
        boolean gray = cs.getType() == ColorSpace.TYPE_GRAY;
        if (!direct || cm.isAlphaPremultiplied() || !(gray || cs.isCS_sRGB())) {
            BufferedImage converted = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
            new ColorConvertOp(null).filter(image, converted);
            converted.getRGB(0, 0, w, h, out, 0, w);
            for (int i = 0; i < out.length; i++) {
                out[i] &= 0xFFFFFF;
            }
            return out;
        }
        Raster raster = image.getRaster();
        int[] row = new int[w];
        int bands = gray ? 1 : 3;
        for (int band = 0; band < bands; band++) {
            int max = (1 << cm.getComponentSize(band)) - 1;
            int shift = gray ? 0 : 16 - 8 * band;
            for (int y = 0; y < h; y++) {
                raster.getSamples(0, y, w, 1, band, row);
                for (int x = 0; x < w; x++) {
                    int v = max == 255 ? row[x] : (int) ((row[x] * 255L + max / 2) / max);
                    out[y * w + x] |= gray ? (v << 16 | v << 8 | v) : v << shift;
                }
            }
        }
        return out;
    }
}
