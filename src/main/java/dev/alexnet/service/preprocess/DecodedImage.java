package dev.alexnet.service.preprocess;

/**
 * An upload decoded to 8-bit sRGB as it is meant to be displayed: orientation applied, alpha dropped.
 * A JPEG may be decoded smaller than it is (DCT-domain downscaling); the display size stays the upload's.
 *
 * @param rgb           row-major 0xRRGGBB pixels, width x height
 * @param width         width of {@code rgb} (after the EXIF orientation)
 * @param height        height of {@code rgb}
 * @param format        the format detected from the bytes
 * @param orientation   the EXIF orientation that was applied, 1 to 8
 * @param displayWidth  the upload's displayed width (after the EXIF orientation), at full size
 * @param displayHeight the upload's displayed height
 */
public record DecodedImage(int[] rgb, int width, int height, ImageFormat format, int orientation, int displayWidth,
                           int displayHeight) {

    /** An image decoded at full size. */
    public DecodedImage(int[] rgb, int width, int height, ImageFormat format, int orientation) {
        this(rgb, width, height, format, orientation, width, height);
    }

    /** Whether the pixels are fewer than the upload's (a JPEG decoded at 1/2, 1/4 or 1/8). */
    public boolean reduced() {
        return width != displayWidth || height != displayHeight;
    }
}
