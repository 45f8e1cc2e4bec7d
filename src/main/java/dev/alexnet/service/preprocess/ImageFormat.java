package dev.alexnet.service.preprocess;

import java.nio.charset.StandardCharsets;
import java.util.Optional;

/** Image formats told apart by their leading bytes, never by a declared content type or file name. */
public enum ImageFormat {
    JPEG("jpeg", true),
    PNG("png", true),
    GIF("gif", true),
    BMP("bmp", true),
    WEBP("webp", true),
    TIFF("tiff", true),
    HEIF("heif", false),
    AVIF("avif", false),
    JPEG2000("jpeg2000", false),
    JPEG_XL("jpeg-xl", false),
    PSD("psd", false),
    ICO("ico", false),
    SVG("svg", false),
    PDF("pdf", false);

    private final String imageIoName;
    private final boolean supported;

    ImageFormat(String imageIoName, boolean supported) {
        this.imageIoName = imageIoName;
        this.supported = supported;
    }

    /** The ImageIO format name of a supported format. */
    public String imageIoName() {
        return imageIoName;
    }

    public boolean supported() {
        return supported;
    }

    /** Identifies the format from the first bytes of the data. */
    public static Optional<ImageFormat> detect(byte[] b) {
        if (starts(b, 0, 0xFF, 0xD8, 0xFF)) {
            return Optional.of(JPEG);
        }
        if (starts(b, 0, 0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A)) {
            return Optional.of(PNG);
        }
        if (ascii(b, 0, "GIF87a") || ascii(b, 0, "GIF89a")) {
            return Optional.of(GIF);
        }
        if (ascii(b, 0, "BM") && b.length >= 26) {
            return Optional.of(BMP);
        }
        if (ascii(b, 0, "RIFF") && ascii(b, 8, "WEBP")) {
            return Optional.of(WEBP);
        }
        if (starts(b, 0, 'I', 'I', 42, 0) || starts(b, 0, 'M', 'M', 0, 42) || starts(b, 0, 'I', 'I', 43, 0)
                || starts(b, 0, 'M', 'M', 0, 43)) {
            return Optional.of(TIFF);
        }
        if (ascii(b, 4, "ftyp")) {
            String brand = b.length >= 12 ? new String(b, 8, 4, StandardCharsets.ISO_8859_1) : "";
            if (brand.startsWith("avi")) {
                return Optional.of(AVIF);
            }
            if (brand.startsWith("hei") || brand.startsWith("hev") || brand.equals("mif1") || brand.equals("msf1")) {
                return Optional.of(HEIF);
            }
            if (brand.equals("jp2 ")) {
                return Optional.of(JPEG2000);
            }
        }
        if (starts(b, 0, 0x00, 0x00, 0x00, 0x0C, 'j', 'P', ' ', ' ') || starts(b, 0, 0xFF, 0x4F, 0xFF, 0x51)) {
            return Optional.of(JPEG2000);
        }
        if (starts(b, 0, 0xFF, 0x0A) || starts(b, 0, 0x00, 0x00, 0x00, 0x0C, 'J', 'X', 'L', ' ')) {
            return Optional.of(JPEG_XL);
        }
        if (ascii(b, 0, "8BPS")) {
            return Optional.of(PSD);
        }
        if (starts(b, 0, 0, 0, 1, 0) && b.length >= 22) {
            return Optional.of(ICO);
        }
        if (ascii(b, 0, "%PDF-")) {
            return Optional.of(PDF);
        }
        String head = new String(b, 0, Math.min(b.length, 256), StandardCharsets.ISO_8859_1).stripLeading();
        if (head.startsWith("<svg") || (head.startsWith("<?xml") && head.contains("<svg"))) {
            return Optional.of(SVG);
        }
        return Optional.empty();
    }

    private static boolean starts(byte[] b, int offset, int... expected) {
        if (b.length < offset + expected.length) {
            return false;
        }
        for (int i = 0; i < expected.length; i++) {
            if ((b[offset + i] & 0xFF) != expected[i]) {
                return false;
            }
        }
        return true;
    }

    private static boolean ascii(byte[] b, int offset, String text) {
        return b.length >= offset + text.length()
                && new String(b, offset, text.length(), StandardCharsets.ISO_8859_1).equals(text);
    }
}
