package dev.alexnet.service.preprocess;

import java.nio.charset.StandardCharsets;

/**
 * Reads the EXIF orientation (tag 0x0112, values 1 to 8) of a JPEG (APP1), PNG (eXIf), WebP
 * (EXIF chunk) or TIFF (IFD0), and applies it to pixels. Every offset is bounds-checked: a
 * malformed or hostile EXIF block yields orientation 1, never an exception.
 */
public final class ExifOrientation {

    private static final int ORIENTATION_TAG = 0x0112;
    private static final int MAX_SEGMENTS = 4096;

    private ExifOrientation() {
    }

    /** The orientation stored in the image's metadata, or 1 (as stored) when there is none. */
    public static int read(byte[] data, ImageFormat format) {
        try {
            return switch (format) {
                case JPEG -> fromJpeg(data);
                case PNG -> fromPng(data);
                case WEBP -> fromWebp(data);
                case TIFF -> fromTiff(data, 0, data.length);
                default -> 1;
            };
        } catch (RuntimeException e) {
            return 1;
        }
    }

    private static int fromJpeg(byte[] b) {
        int pos = 2;
        for (int segments = 0; segments < MAX_SEGMENTS && pos + 4 <= b.length; segments++) {
            if ((b[pos] & 0xFF) != 0xFF) {
                return 1;
            }
            int marker = b[pos + 1] & 0xFF;
            if (marker == 0xFF) {
                pos++;
                continue;
            }
            if (marker == 0xDA || marker == 0xD9) {
                return 1;
            }
            if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) {
                pos += 2;
                continue;
            }
            int length = u16be(b, pos + 2);
            if (length < 2) {
                return 1;
            }
            int start = pos + 4;
            int end = Math.min(b.length, pos + 2 + length);
            if (marker == 0xE1 && end - start >= 14 && ascii(b, start, "Exif\0\0")) {
                int orientation = fromTiff(b, start + 6, end);
                if (orientation != 1) {
                    return orientation;
                }
            }
            pos += 2 + length;
        }
        return 1;
    }

    private static int fromPng(byte[] b) {
        int pos = 8;
        for (int chunks = 0; chunks < MAX_SEGMENTS && pos + 8 <= b.length; chunks++) {
            long length = u32be(b, pos);
            String type = new String(b, pos + 4, 4, StandardCharsets.ISO_8859_1);
            long end = pos + 8 + length;
            if (length < 0 || end > b.length) {
                return 1;
            }
            if (type.equals("eXIf")) {
                int start = pos + 8;
                if (ascii(b, start, "Exif\0\0")) {
                    start += 6;
                }
                return fromTiff(b, start, (int) end);
            }
            if (type.equals("IEND")) {
                return 1;
            }
            pos = (int) end + 4;
        }
        return 1;
    }

    private static int fromWebp(byte[] b) {
        int pos = 12;
        for (int chunks = 0; chunks < MAX_SEGMENTS && pos + 8 <= b.length; chunks++) {
            String type = new String(b, pos, 4, StandardCharsets.ISO_8859_1);
            long length = u32le(b, pos + 4);
            long end = pos + 8 + length;
            if (end > b.length) {
                return 1;
            }
            if (type.equals("EXIF")) {
                int start = pos + 8;
                if (ascii(b, start, "Exif\0\0")) {
                    start += 6;
                }
                return fromTiff(b, start, (int) end);
            }
            pos = (int) (end + (length & 1));
        }
        return 1;
    }

    /** Orientation from a TIFF structure occupying b[start, end). */
    static int fromTiff(byte[] b, int start, int end) {
        if (end - start < 8) {
            return 1;
        }
        boolean little;
        if (b[start] == 'I' && b[start + 1] == 'I') {
            little = true;
        } else if (b[start] == 'M' && b[start + 1] == 'M') {
            little = false;
        } else {
            return 1;
        }
        if (u16(b, start + 2, little) != 42) {
            return 1;
        }
        long ifd = u32(b, start + 4, little);
        if (ifd < 8 || start + ifd + 2 > end) {
            return 1;
        }
        int ifdPos = (int) (start + ifd);
        int entries = u16(b, ifdPos, little);
        for (int i = 0; i < entries; i++) {
            int entry = ifdPos + 2 + 12 * i;
            if (entry + 12 > end) {
                return 1;
            }
            if (u16(b, entry, little) == ORIENTATION_TAG) {
                int type = u16(b, entry + 2, little);
                int value = type == 3 ? u16(b, entry + 8, little) : type == 4 ? (int) u32(b, entry + 8, little) : 1;
                return value >= 1 && value <= 8 ? value : 1;
            }
        }
        return 1;
    }

    /**
     * Returns the pixels as they are meant to be displayed. {@code rgb} is row-major, w x h; the
     * result is w x h for orientations 1 to 4 and h x w for 5 to 8 ({@link #swapsAxes}).
     */
    public static int[] apply(int[] rgb, int w, int h, int orientation) {
        if (orientation <= 1 || orientation > 8) {
            return rgb;
        }
        int[] out = new int[rgb.length];
        boolean swap = swapsAxes(orientation);
        int ow = swap ? h : w;
        int oh = swap ? w : h;
        for (int oy = 0; oy < oh; oy++) {
            for (int ox = 0; ox < ow; ox++) {
                int x;
                int y;
                switch (orientation) {
                    case 2 -> { x = w - 1 - ox; y = oy; }
                    case 3 -> { x = w - 1 - ox; y = h - 1 - oy; }
                    case 4 -> { x = ox; y = h - 1 - oy; }
                    case 5 -> { x = oy; y = ox; }
                    case 6 -> { x = oy; y = h - 1 - ox; }
                    case 7 -> { x = w - 1 - oy; y = h - 1 - ox; }
                    default -> { x = w - 1 - oy; y = ox; }
                }
                out[oy * ow + ox] = rgb[y * w + x];
            }
        }
        return out;
    }

    /** Orientations 5 to 8 turn the image by a quarter, exchanging width and height. */
    public static boolean swapsAxes(int orientation) {
        return orientation >= 5 && orientation <= 8;
    }

    private static boolean ascii(byte[] b, int offset, String text) {
        return offset >= 0 && b.length >= offset + text.length()
                && new String(b, offset, text.length(), StandardCharsets.ISO_8859_1).equals(text);
    }

    private static int u16be(byte[] b, int p) {
        return (b[p] & 0xFF) << 8 | (b[p + 1] & 0xFF);
    }

    private static long u32be(byte[] b, int p) {
        return ((long) (b[p] & 0xFF) << 24) | ((b[p + 1] & 0xFF) << 16) | ((b[p + 2] & 0xFF) << 8) | (b[p + 3] & 0xFF);
    }

    private static long u32le(byte[] b, int p) {
        return ((long) (b[p + 3] & 0xFF) << 24) | ((b[p + 2] & 0xFF) << 16) | ((b[p + 1] & 0xFF) << 8) | (b[p] & 0xFF);
    }

    private static int u16(byte[] b, int p, boolean little) {
        return little ? (b[p] & 0xFF) | (b[p + 1] & 0xFF) << 8 : u16be(b, p);
    }

    private static long u32(byte[] b, int p, boolean little) {
        return little ? u32le(b, p) : u32be(b, p);
    }
}
