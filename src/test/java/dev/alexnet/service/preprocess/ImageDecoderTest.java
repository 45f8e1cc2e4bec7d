package dev.alexnet.service.preprocess;

import static dev.alexnet.service.preprocess.TestImages.BLUE;
import static dev.alexnet.service.preprocess.TestImages.GREEN;
import static dev.alexnet.service.preprocess.TestImages.RED;
import static dev.alexnet.service.preprocess.TestImages.YELLOW;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.image.BufferedImage;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Every supported format and the awkward variants of real uploads, each decoded to the right pixels. */
class ImageDecoderTest {

    private final ImageDecoder decoder = new ImageDecoder(40_000_000);

    private static int channelError(int expected, int actual) {
        int e = 0;
        for (int shift = 0; shift <= 16; shift += 8) {
            e = Math.max(e, Math.abs(((expected >> shift) & 0xFF) - ((actual >> shift) & 0xFF)));
        }
        return e;
    }

    /** Checks the centre of each quadrant. */
    private static void assertQuadrants(DecodedImage image, int w, int h, int tolerance) {
        assertThat(image.width()).isEqualTo(w);
        assertThat(image.height()).isEqualTo(h);
        int[][] points = {{w / 4, h / 4, RED}, {3 * w / 4, h / 4, GREEN}, {w / 4, 3 * h / 4, BLUE}, {3 * w / 4, 3 * h / 4, YELLOW}};
        for (int[] p : points) {
            int actual = image.rgb()[p[1] * w + p[0]];
            assertThat(channelError(p[2], actual)).as("pixel (%d, %d) = %06x, expected %06x", p[0], p[1], actual, p[2])
                    .isLessThanOrEqualTo(tolerance);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"png", "gif", "bmp", "tiff"})
    void losslessFormatsDecodeExactly(String format) {
        DecodedImage image = decoder.decode(TestImages.encode(TestImages.quadrants(64, 48), format));
        assertThat(image.format().imageIoName()).isEqualTo(format);
        assertQuadrants(image, 64, 48, 0);
    }

    @Test
    void baselineAndProgressiveJpeg() {
        assertQuadrants(decoder.decode(TestImages.jpeg(TestImages.quadrants(64, 48), 0.95f, false)), 64, 48, 12);
        DecodedImage progressive = decoder.decode(TestImages.jpeg(TestImages.quadrants(64, 48), 0.95f, true));
        assertThat(progressive.format()).isEqualTo(ImageFormat.JPEG);
        assertQuadrants(progressive, 64, 48, 12);
    }

    @Test
    void webpLosslessLossyAndAlpha() {
        assertQuadrants(decoder.decode(TestImages.resource("quadrants-lossless.webp")), 64, 48, 0);
        assertQuadrants(decoder.decode(TestImages.resource("quadrants-lossy.webp")), 64, 48, 16);
        DecodedImage alpha = decoder.decode(TestImages.resource("quadrants-alpha.webp"));
        assertThat(alpha.format()).isEqualTo(ImageFormat.WEBP);
        assertQuadrants(alpha, 64, 48, 2);
    }

    /**
     * Found by fuzzing: 64 bytes of WebP lossless declaring 2880 x 769 that TwelveMonkeys decoded
     * into garbage for 30 s, reading zero bits past the end one EOFException at a time. Now refused.
     */
    @Test
    void aDecoderReadingFarPastTheEndIsRefusedAsCorrupt() throws Exception {
        byte[] data = java.nio.file.Files.readAllBytes(java.nio.file.Path.of(ImageDecoderTest.class.getResource(
                "/dev/alexnet/service/fuzz/ParserFuzzTestInputs/image/hang-webp-lossless-reads-past-end").toURI()));
        ImageRejectedException refused = org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(java.time.Duration.ofSeconds(20),
                () -> org.junit.jupiter.api.Assertions.assertThrows(ImageRejectedException.class, () -> decoder.decode(data)));
        assertThat(refused.reason()).isEqualTo(ImageRejectedException.Reason.CORRUPT);
        assertThat(refused.getMessage()).contains("past the end");
    }

    @Test
    void cmykJpegBecomesRgb() {
        DecodedImage image = decoder.decode(TestImages.resource("quadrants-cmyk.jpg"));
        assertThat(image.format()).isEqualTo(ImageFormat.JPEG);
        assertQuadrants(image, 64, 48, 40);
    }

    @Test
    void sixteenBitPngIsScaledTo8Bits() {
        BufferedImage source = TestImages.quadrants(40, 30);
        source.setRGB(0, 0, 0x7F3A01);
        DecodedImage image = decoder.decode(TestImages.png16(source));
        assertQuadrants(image, 40, 30, 0);
        assertThat(image.rgb()[0]).isEqualTo(0x7F3A01);
    }

    @Test
    void grayscaleIsNotGammaShifted() {
        assertThat(decoder.decode(TestImages.encode(TestImages.gray8(8, 8, 128), "png")).rgb()).containsOnly(0x808080);
        assertThat(decoder.decode(TestImages.gray16(8, 8, 100 * 257)).rgb()).containsOnly(0x646464);
        for (int p : decoder.decode(TestImages.jpeg(TestImages.gray8(16, 16, 200), 1f, false)).rgb()) {
            assertThat(channelError(0xC8C8C8, p)).isLessThanOrEqualTo(2);
        }
    }

    @Test
    void paletteImages() {
        assertQuadrants(decoder.decode(TestImages.encode(TestImages.palette(20, 10), "png")), 20, 10, 0);
        assertQuadrants(decoder.decode(TestImages.encode(TestImages.palette(20, 10), "gif")), 20, 10, 0);
    }

    @Test
    void alphaIsDroppedKeepingTheStoredColour() {
        for (int alpha : new int[] {0, 128, 255}) {
            DecodedImage image = decoder.decode(TestImages.encode(TestImages.translucent(5, 5, alpha), "png"));
            assertThat(image.rgb()).as("alpha %d", alpha).containsOnly(10 << 16 | 20 << 8 | 30);
        }
    }

    /**
     * A stored 40 x 30 image with a red top-left block; after orientation o the block must be where
     * a viewer shows it, and 5 to 8 swap width and height.
     */
    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3, 4, 5, 6, 7, 8})
    void exifOrientationPutsTheRedCornerWhereAViewerShowsIt(int orientation) {
        byte[] jpeg = TestImages.withExifOrientation(TestImages.jpeg(TestImages.redCorner(40, 30), 0.95f, false),
                orientation, orientation % 2 == 0);
        DecodedImage image = decoder.decode(jpeg);
        boolean swapped = orientation >= 5;
        int w = swapped ? 30 : 40;
        int h = swapped ? 40 : 30;
        assertThat(image.width()).isEqualTo(w);
        assertThat(image.height()).isEqualTo(h);
        assertThat(image.orientation()).isEqualTo(orientation);
        String expectedCorner = switch (orientation) {
            case 1, 5 -> "top-left";
            case 2, 6 -> "top-right";
            case 3, 7 -> "bottom-right";
            default -> "bottom-left";
        };
        int[][] corners = {{1, 1}, {w - 2, 1}, {w - 2, h - 2}, {1, h - 2}};
        String[] names = {"top-left", "top-right", "bottom-right", "bottom-left"};
        for (int i = 0; i < 4; i++) {
            int p = image.rgb()[corners[i][1] * w + corners[i][0]];
            boolean red = channelError(RED, p) < 40;
            assertThat(red).as("%s corner is red (pixel %06x)", names[i], p).isEqualTo(names[i].equals(expectedCorner));
        }
    }

    @Test
    void hostileExifBlocksAreIgnored() {
        byte[] jpeg = TestImages.withExifOrientation(TestImages.jpeg(TestImages.quadrants(16, 16), 0.9f, false), 6, false);
        // Point IFD0 far outside the segment.
        jpeg[10 + 4] = (byte) 0xFF;
        jpeg[10 + 5] = (byte) 0xFF;
        jpeg[10 + 6] = (byte) 0xFF;
        jpeg[10 + 7] = (byte) 0x7F;
        DecodedImage image = decoder.decode(jpeg);
        assertThat(image.orientation()).isEqualTo(1);
        assertThat(ExifOrientation.read(new byte[] {(byte) 0xFF, (byte) 0xD8, (byte) 0xFF, (byte) 0xE1, 0, 1}, ImageFormat.JPEG)).isEqualTo(1);
    }

    @Test
    void formatComesFromTheBytesNotTheName() {
        byte[] png = TestImages.encode(TestImages.quadrants(8, 8), "png");
        assertThat(decoder.decode(png).format()).isEqualTo(ImageFormat.PNG);
    }

    @Test
    void emptyData() {
        assertThatThrownBy(() -> decoder.decode(new byte[0])).isInstanceOf(ImageRejectedException.class)
                .extracting(e -> ((ImageRejectedException) e).reason()).isEqualTo(ImageRejectedException.Reason.EMPTY);
    }

    @Test
    void notAnImage() {
        byte[] zip = {'P', 'K', 3, 4, 20, 0, 0, 0, 8, 0, 1, 2, 3, 4};
        assertReason(zip, ImageRejectedException.Reason.NOT_AN_IMAGE);
        assertReason("hello, world".getBytes(StandardCharsets.UTF_8), ImageRejectedException.Reason.NOT_AN_IMAGE);
    }

    @Test
    void recognisedButUnsupportedFormats() {
        byte[] heic = new byte[32];
        System.arraycopy("\0\0\0\u0018ftypheic".getBytes(StandardCharsets.ISO_8859_1), 0, heic, 0, 12);
        assertReason(heic, ImageRejectedException.Reason.UNSUPPORTED_FORMAT);
        assertReason("%PDF-1.7\n...".getBytes(StandardCharsets.ISO_8859_1), ImageRejectedException.Reason.UNSUPPORTED_FORMAT);
        assertReason("<svg xmlns='http://www.w3.org/2000/svg'/>".getBytes(StandardCharsets.ISO_8859_1),
                ImageRejectedException.Reason.UNSUPPORTED_FORMAT);
    }

    @ParameterizedTest
    @ValueSource(strings = {"png", "jpeg", "gif"})
    void truncatedImagesAreCorrupt(String format) {
        BufferedImage noisy = new BufferedImage(64, 64, BufferedImage.TYPE_INT_RGB);
        java.util.SplittableRandom random = new java.util.SplittableRandom(1);
        for (int y = 0; y < 64; y++) {
            for (int x = 0; x < 64; x++) {
                noisy.setRGB(x, y, random.nextInt(0x1000000));
            }
        }
        byte[] full = format.equals("jpeg") ? TestImages.jpeg(noisy, 0.9f, false) : TestImages.encode(noisy, format);
        assertReason(Arrays.copyOf(full, full.length / 2), ImageRejectedException.Reason.CORRUPT);
    }

    @Test
    void decompressionBombsAreRefusedFromTheHeader() {
        assertReason(TestImages.pngHeader(100_000, 100_000), ImageRejectedException.Reason.TOO_MANY_PIXELS);
        assertReason(TestImages.jpegHeader(60_000, 60_000), ImageRejectedException.Reason.TOO_MANY_PIXELS);
        assertReason(TestImages.gifHeader(65_535, 65_535), ImageRejectedException.Reason.TOO_MANY_PIXELS);
        ImageDecoder small = new ImageDecoder(1000);
        assertThatThrownBy(() -> small.decode(TestImages.encode(TestImages.quadrants(40, 30), "png")))
                .isInstanceOf(ImageRejectedException.class).hasMessageContaining("40 x 30");
    }

    private void assertReason(byte[] data, ImageRejectedException.Reason reason) {
        assertThatThrownBy(() -> decoder.decode(data)).isInstanceOf(ImageRejectedException.class)
                .extracting(e -> ((ImageRejectedException) e).reason()).isEqualTo(reason);
    }
}
