package dev.alexnet.service.preprocess;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

/** Resizing, cropping, channel order and mean subtraction. */
class PreprocessorTest {

    private static final int PLANE = 227 * 227;

    private static BufferedImage noise(int w, int h, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                img.setRGB(x, y, random.nextInt(0x1000000));
            }
        }
        return img;
    }

    @Test
    void resizeModePassesA227ImagePixelForPixel() {
        BufferedImage img = noise(227, 227, 3);
        Preprocessor p = new Preprocessor(new ImageDecoder(40_000_000), Preprocessor.Mode.RESIZE, 1);
        float[] t = p.preprocess(TestImages.encode(img, "png")).tensor();
        for (int y = 0; y < 227; y++) {
            for (int x = 0; x < 227; x++) {
                int rgb = img.getRGB(x, y);
                int i = y * 227 + x;
                assertThat(t[i]).isEqualTo((rgb & 0xFF) - 104.007f);
                assertThat(t[PLANE + i]).isEqualTo(((rgb >> 8) & 0xFF) - 116.669f);
                assertThat(t[2 * PLANE + i]).isEqualTo(((rgb >> 16) & 0xFF) - 122.679f);
            }
        }
    }

    @Test
    void centerCropTakesTheMiddle227Of256() {
        BufferedImage img = noise(256, 256, 4);
        Preprocessor p = new Preprocessor(new ImageDecoder(40_000_000), Preprocessor.Mode.CENTER_CROP, 1);
        Preprocessor.Preprocessed out = p.preprocess(TestImages.encode(img, "png"));
        assertThat(out.width()).isEqualTo(256);
        assertThat(out.height()).isEqualTo(256);
        float[] t = out.tensor();
        for (int y : new int[] {0, 100, 226}) {
            for (int x : new int[] {0, 57, 226}) {
                int rgb = img.getRGB(x + 14, y + 14);
                assertThat(t[y * 227 + x]).isEqualTo((rgb & 0xFF) - 104.007f);
                assertThat(t[2 * PLANE + y * 227 + x]).isEqualTo(((rgb >> 16) & 0xFF) - 122.679f);
            }
        }
    }

    @Test
    void downscalingAntialiases() {
        // A one-pixel checkerboard of black and white shrunk 4x must become mid-gray, not black or white.
        int[] board = new int[908 * 908];
        for (int y = 0; y < 908; y++) {
            for (int x = 0; x < 908; x++) {
                board[y * 908 + x] = (x + y) % 2 == 0 ? 0xFFFFFF : 0;
            }
        }
        float[] out = Resizer.resize(board, 908, 908, 227, 227);
        for (float v : out) {
            assertThat(v).isBetween(120f, 135f);
        }
    }

    @Test
    void theCentreCropComputedAloneEqualsTheCropOfTheWholeResize() {
        // center-crop mode computes only the 227 x 227 window of the 256 x 256 resize; it must be
        // that window exactly, for the source sizes of typical photos in both orientations.
        SplittableRandom random = new SplittableRandom(3);
        for (int[] size : new int[][] {{500, 375}, {375, 500}, {257, 1023}, {256, 256}, {100, 80}}) {
            int w = size[0];
            int h = size[1];
            int[] rgb = new int[w * h];
            for (int i = 0; i < rgb.length; i++) {
                rgb[i] = random.nextInt(1 << 24);
            }
            float[] whole = Resizer.resize(rgb, w, h, 256, 256);
            float[] window = Resizer.resizeRegion(rgb, w, h, 256, 256, 14, 14, 227, 227);
            for (int y = 0; y < 227; y++) {
                for (int x = 0; x < 227; x++) {
                    for (int c = 0; c < 3; c++) {
                        assertThat(window[3 * (y * 227 + x) + c]).as("%d x %d at (%d, %d)", w, h, x, y)
                                .isCloseTo(whole[3 * ((y + 14) * 256 + x + 14) + c], org.assertj.core.data.Offset.offset(1e-3f));
                    }
                }
            }
        }
    }

    @Test
    void theResizeIsTheTwoDimensionalTriangleFilterComputedDirectly() {
        // The resize runs its passes vertical first (faster on the JVM); a separable filter must give
        // what the 2-D kernel gives summed directly in double precision, for downscales, an upscale and
        // odd sizes, over the whole output and over a centre window.
        SplittableRandom random = new SplittableRandom(11);
        for (int[] size : new int[][] {{500, 375, 256, 256}, {375, 500, 256, 256}, {31, 17, 64, 40}, {1023, 257, 227, 227}}) {
            int w = size[0];
            int h = size[1];
            int ow = size[2];
            int oh = size[3];
            int[] rgb = new int[w * h];
            for (int i = 0; i < rgb.length; i++) {
                rgb[i] = random.nextInt(1 << 24);
            }
            float[] out = Resizer.resize(rgb, w, h, ow, oh);
            double[][] wx = triangleWeights(w, ow);
            double[][] wy = triangleWeights(h, oh);
            for (int y = 0; y < oh; y += 7) {
                for (int x = 0; x < ow; x += 5) {
                    for (int c = 0; c < 3; c++) {
                        double sum = 0;
                        for (int sy = 0; sy < h; sy++) {
                            if (wy[y][sy] == 0) {
                                continue;
                            }
                            for (int sx = 0; sx < w; sx++) {
                                sum += wy[y][sy] * wx[x][sx] * ((rgb[sy * w + sx] >> (16 - 8 * c)) & 0xFF);
                            }
                        }
                        assertThat((double) out[3 * (y * ow + x) + c]).as("%d x %d to %d x %d at (%d, %d)", w, h, ow, oh, x, y)
                                .isCloseTo(sum, org.assertj.core.data.Offset.offset(2e-3));
                    }
                }
            }
        }
    }

    /** Pillow's BILINEAR resampling weights, written out independently: weights[o][source], each row summing to 1. */
    private static double[][] triangleWeights(int in, int out) {
        double scale = (double) in / out;
        double support = Math.max(scale, 1.0);
        double[][] weights = new double[out][in];
        for (int o = 0; o < out; o++) {
            double center = (o + 0.5) * scale;
            double total = 0;
            for (int s = Math.max(0, (int) (center - support + 0.5)); s < Math.min(in, (int) (center + support + 0.5)); s++) {
                double t = Math.abs((s - center + 0.5) / support);
                weights[o][s] = t < 1 ? 1 - t : 0;
                total += weights[o][s];
            }
            for (int s = 0; s < in; s++) {
                weights[o][s] /= total;
            }
        }
        return weights;
    }

    @Test
    void theTensorWrittenInPlaceIsTheInterleavedResizeLaidOutBitForBit() {
        // The service writes the network's planes straight from the resize, reusing one scratch across
        // images of every size (larger, then smaller, then the identity size); it must be exactly what
        // toTensor(cropped(...)) computes, in both modes.
        SplittableRandom random = new SplittableRandom(5);
        Resizer.Scratch scratch = null;
        for (int[] size : new int[][] {{1024, 700}, {500, 375}, {375, 500}, {256, 256}, {227, 227}, {100, 80}}) {
            int[] rgb = new int[size[0] * size[1]];
            for (int i = 0; i < rgb.length; i++) {
                rgb[i] = random.nextInt(1 << 24);
            }
            DecodedImage image = new DecodedImage(rgb, size[0], size[1], ImageFormat.PNG, 1);
            for (Preprocessor.Mode mode : Preprocessor.Mode.values()) {
                float[] expected = Preprocessor.toTensor(Preprocessor.cropped(image, mode));
                float[] tensor = new float[3 * PLANE];
                java.util.Arrays.fill(tensor, Float.NaN);
                scratch = Preprocessor.tensor(image, mode, tensor, scratch);
                assertThat(scratch).isNotNull();
                assertThat(tensor).as("%d x %d, %s", size[0], size[1], mode).containsExactly(expected);
            }
        }
    }

    @Test
    void upscalingInterpolatesAndResizeKeepsUniformColour() {
        int[] two = {0x000000, 0xFFFFFF};
        float[] wide = Resizer.resize(two, 2, 1, 8, 1);
        assertThat(wide[0]).isEqualTo(0f);
        assertThat(wide[3 * 7]).isEqualTo(255f);
        assertThat(wide[3 * 3]).isBetween(60f, 200f);
        int[] uniform = new int[31 * 17];
        java.util.Arrays.fill(uniform, 0x336699);
        float[] out = Resizer.resize(uniform, 31, 17, 256, 256);
        for (int i = 0; i < out.length; i += 3) {
            assertThat(out[i]).isCloseTo(0x33, org.assertj.core.data.Offset.offset(1e-3f));
            assertThat(out[i + 2]).isCloseTo(0x99, org.assertj.core.data.Offset.offset(1e-3f));
        }
    }

    @Test
    void channelsAreBgrMinusTheMean() {
        int[] red = new int[227 * 227];
        java.util.Arrays.fill(red, 0xFF0000);
        float[] t = Preprocessor.toTensor(Resizer.resize(red, 227, 227, 227, 227));
        assertThat(t[0]).isEqualTo(-104.007f);
        assertThat(t[PLANE]).isEqualTo(-116.669f);
        assertThat(t[2 * PLANE]).isEqualTo(255 - 122.679f);
    }

    @Test
    void modeNames() {
        assertThat(Preprocessor.Mode.parse("center-crop")).isEqualTo(Preprocessor.Mode.CENTER_CROP);
        assertThat(Preprocessor.Mode.parse("RESIZE")).isEqualTo(Preprocessor.Mode.RESIZE);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Preprocessor.Mode.parse("stretch"))
                .hasMessageContaining("center-crop or resize");
    }

    @Test
    void aDecodeThatCanNoLongerStartInTimeIsNotRunAndOneThatCanGivesTheSameTensor() {
        Preprocessor p = new Preprocessor(new ImageDecoder(40_000_000), Preprocessor.Mode.CENTER_CROP, 1);
        byte[] jpeg = TestImages.jpeg(TestImages.quadrants(300, 200), 0.9f, false);

        assertThat(p.preprocessIfStartedBy(jpeg, System.nanoTime() - 1)).isEmpty();
        // Empty is not a broken image: the permit was given back and the same bytes decode.
        java.util.Optional<Preprocessor.Preprocessed> inTime = p.preprocessIfStartedBy(jpeg, System.nanoTime() + 60_000_000_000L);
        assertThat(inTime).isPresent();
        assertThat(inTime.get().tensor()).containsExactly(p.preprocess(jpeg).tensor());
    }
}
