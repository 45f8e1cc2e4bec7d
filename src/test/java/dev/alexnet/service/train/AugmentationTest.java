package dev.alexnet.service.train;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;

import dev.alexnet.service.preprocess.DecodedImage;
import dev.alexnet.service.preprocess.ImageFormat;
import org.junit.jupiter.api.Test;

/** The geometry of random crops and flips, and that switched off they are the service's center crop. */
class AugmentationTest {

    /** A 256 x 256 RGB float image whose R is x and G is y, so every output pixel tells where it came from. */
    private static float[] coordinates() {
        float[] rgb = new float[256 * 256 * 3];
        for (int y = 0; y < 256; y++) {
            for (int x = 0; x < 256; x++) {
                rgb[3 * (y * 256 + x)] = x;
                rgb[3 * (y * 256 + x) + 1] = y;
            }
        }
        return rgb;
    }

    @Test
    void cropsAndFlipsTakeTheRightPixels() {
        float[] source = coordinates();
        for (boolean flip : new boolean[] {false, true}) {
            Augmentation.Draw draw = new Augmentation.Draw(29, 3, flip, new float[] {0, 0, 5});
            float[] out = Augmentation.apply(source, draw);
            assertThat(out).hasSize(227 * 227 * 3);
            for (int j : new int[] {0, 100, 226}) {
                for (int i : new int[] {0, 57, 226}) {
                    int o = 3 * (j * 227 + i);
                    assertThat(out[o]).as("x of (%d, %d)", i, j).isEqualTo(flip ? 29 + 226 - i : 29 + i);
                    assertThat(out[o + 1]).as("y of (%d, %d)", i, j).isEqualTo(3 + j);
                    assertThat(out[o + 2]).as("colour offset").isEqualTo(5);
                }
            }
        }
    }

    @Test
    void drawsCoverEveryOffsetAndFlipHalfTheTime() {
        Augmentation augmentation = new Augmentation(true, true, null, 0);
        SplittableRandom random = new SplittableRandom(3);
        boolean[] xs = new boolean[Augmentation.MAX_OFFSET + 1];
        boolean[] ys = new boolean[Augmentation.MAX_OFFSET + 1];
        int flips = 0;
        int draws = 20_000;
        for (int n = 0; n < draws; n++) {
            Augmentation.Draw d = augmentation.draw(random);
            assertThat(d.x()).isBetween(0, 29);
            assertThat(d.y()).isBetween(0, 29);
            xs[d.x()] = true;
            ys[d.y()] = true;
            flips += d.flip() ? 1 : 0;
            assertThat(d.colourOffset()).containsExactly(0f, 0f, 0f);
        }
        for (int i = 0; i <= 29; i++) {
            assertThat(xs[i] && ys[i]).as("offset %d drawn", i).isTrue();
        }
        assertThat((double) flips / draws).isBetween(0.48, 0.52);

        Augmentation off = new Augmentation(false, false, null, 0);
        Augmentation.Draw d = off.draw(random);
        assertThat(new int[] {d.x(), d.y()}).containsExactly(14, 14);
        assertThat(d.flip()).isFalse();
    }

    @Test
    void withEverythingOffItIsTheServicesCenterCrop() {
        SplittableRandom random = new SplittableRandom(1);
        int w = 300;
        int h = 280;
        int[] rgb = new int[w * h];
        for (int i = 0; i < rgb.length; i++) {
            rgb[i] = random.nextInt(0x1000000);
        }
        DecodedImage image = new DecodedImage(rgb, w, h, ImageFormat.PNG, 1);
        float[] training = new Augmentation(false, false, null, 0).tensor(image, random);
        float[] evaluation = Augmentation.evaluationTensor(image);
        assertThat(training).hasSameSizeAs(evaluation);
        for (int i = 0; i < training.length; i++) {
            assertThat(training[i]).isCloseTo(evaluation[i], org.assertj.core.data.Offset.offset(1e-3f));
        }
    }
}
