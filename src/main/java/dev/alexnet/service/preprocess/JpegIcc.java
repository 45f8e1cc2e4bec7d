package dev.alexnet.service.preprocess;

import java.awt.color.ICC_ColorSpace;
import java.awt.color.ICC_Profile;
import java.awt.image.BufferedImage;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.DataBufferByte;
import java.awt.image.Raster;
import java.awt.image.WritableRaster;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A JPEG's embedded ICC profile (APP2 {@code ICC_PROFILE} segments, in sequence order), and the
 * conversion of pixels decoded in that colour space to sRGB. ImageIO's path does the same through
 * TwelveMonkeys; TurboJPEG ignores profiles, so its path applies them here (phone cameras tag
 * their photos with Display P3).
 */
final class JpegIcc {

    private static final byte[] SIGNATURE = "ICC_PROFILE\0".getBytes(StandardCharsets.US_ASCII);

    private JpegIcc() {
    }

    /** The embedded profile, or null when there is none or it does not parse. */
    static ICC_Profile profile(byte[] jpeg) {
        byte[][] chunks = null;
        int pos = 2;
        while (pos + 4 <= jpeg.length && (jpeg[pos] & 0xFF) == 0xFF) {
            int marker = jpeg[pos + 1] & 0xFF;
            if (marker == 0xFF) {
                pos++;
                continue;
            }
            if (marker == 0xDA || marker == 0xD9) {
                break;
            }
            int length = (jpeg[pos + 2] & 0xFF) << 8 | (jpeg[pos + 3] & 0xFF);
            int start = pos + 4;
            int end = pos + 2 + length;
            if (length < 2 || end > jpeg.length) {
                break;
            }
            if (marker == 0xE2 && end - start > SIGNATURE.length + 2
                    && Arrays.equals(jpeg, start, start + SIGNATURE.length, SIGNATURE, 0, SIGNATURE.length)) {
                int seq = jpeg[start + SIGNATURE.length] & 0xFF;
                int count = jpeg[start + SIGNATURE.length + 1] & 0xFF;
                if (count == 0 || seq == 0 || seq > count) {
                    return null;
                }
                if (chunks == null) {
                    chunks = new byte[count][];
                }
                if (chunks.length != count) {
                    return null;
                }
                chunks[seq - 1] = Arrays.copyOfRange(jpeg, start + SIGNATURE.length + 2, end);
            }
            pos = end;
        }
        if (chunks == null) {
            return null;
        }
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        for (byte[] chunk : chunks) {
            if (chunk == null) {
                return null;
            }
            all.writeBytes(chunk);
        }
        try {
            return ICC_Profile.getInstance(all.toByteArray());
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** Pixels whose R, G, B are in {@code space}, as 0xRRGGBB sRGB. */
    static int[] toSrgb(int[] rgb, int w, int h, ICC_ColorSpace space) {
        if (space.getNumComponents() != 3) {
            return rgb;
        }
        byte[] bytes = new byte[rgb.length * 3];
        for (int i = 0, j = 0; i < rgb.length; i++, j += 3) {
            bytes[j] = (byte) (rgb[i] >> 16);
            bytes[j + 1] = (byte) (rgb[i] >> 8);
            bytes[j + 2] = (byte) rgb[i];
        }
        ComponentColorModel cm = new ComponentColorModel(space, false, false, java.awt.Transparency.OPAQUE, DataBuffer.TYPE_BYTE);
        WritableRaster raster = Raster.createInterleavedRaster(new DataBufferByte(bytes, bytes.length), w, h, 3 * w, 3,
                new int[] {0, 1, 2}, null);
        return ImageDecoder.toRgb(new BufferedImage(cm, raster, false, null));
    }
}
