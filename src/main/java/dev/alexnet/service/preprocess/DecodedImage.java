package dev.alexnet.service.preprocess;

/**
 * An upload decoded to 8-bit sRGB as it is meant to be displayed: orientation applied, alpha dropped.
 *
 * @param rgb         row-major 0xRRGGBB pixels, width x height
 * @param width       displayed width (after the EXIF orientation)
 * @param height      displayed height
 * @param format      the format detected from the bytes
 * @param orientation the EXIF orientation that was applied, 1 to 8
 */
public record DecodedImage(int[] rgb, int width, int height, ImageFormat format, int orientation) {
}
