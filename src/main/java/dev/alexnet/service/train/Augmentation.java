package dev.alexnet.service.train;

import java.util.SplittableRandom;

import dev.alexnet.service.preprocess.DecodedImage;
import dev.alexnet.service.preprocess.Preprocessor;
import dev.alexnet.service.preprocess.Resizer;

/**
 * The paper's training-time input: resize to 256 x 256, take a random 227 x 227 crop, mirror it
 * with probability 1/2, shift its colours along the principal components, then the same BGR,
 * mean-subtracted tensor as the service's. Each step can be switched off for ablation: without
 * random crops the crop is the central one, as in evaluation.
 *
 * @param randomCrops random crop positions (else central)
 * @param flips       horizontal mirroring half of the time
 * @param pca         PCA colour shifts, or null for none
 * @param pcaSigma    standard deviation of the PCA coefficients
 */
public record Augmentation(boolean randomCrops, boolean flips, PcaColor pca, double pcaSigma) {

    /** Side of the resized image that crops are taken from. */
    public static final int RESIZED = Preprocessor.CENTER_CROP_RESIZE;
    /** Side of a crop. */
    public static final int CROP = Preprocessor.SIZE;
    /** Largest crop offset: 29. */
    public static final int MAX_OFFSET = RESIZED - CROP;

    /** Where and how one image is cropped, and its colour shift. */
    public record Draw(int x, int y, boolean flip, float[] colourOffset) {
    }

    /** Draws this image's crop, mirroring and colour shift for this epoch. */
    public Draw draw(SplittableRandom random) {
        int x = randomCrops ? random.nextInt(MAX_OFFSET + 1) : MAX_OFFSET / 2;
        int y = randomCrops ? random.nextInt(MAX_OFFSET + 1) : MAX_OFFSET / 2;
        boolean flip = flips && random.nextBoolean();
        float[] offset = pca == null ? new float[3] : pca.offset(PcaColor.drawAlphas(random, pcaSigma));
        return new Draw(x, y, flip, offset);
    }

    /** The augmented [3, 227, 227] tensor of one decoded image. */
    public float[] tensor(DecodedImage image, SplittableRandom random) {
        float[] resized = Resizer.resize(image.rgb(), image.width(), image.height(), RESIZED, RESIZED);
        return Preprocessor.toTensor(apply(resized, draw(random)));
    }

    /**
     * Crops interleaved RGB [256, 256, 3] at (x, y), mirrored if asked: output pixel (i, j) is
     * input pixel (x + i, y + j), or (x + 226 - i, y + j) when mirrored; then adds the colour offset.
     */
    public static float[] apply(float[] rgb256, Draw draw) {
        float[] out = new float[CROP * CROP * 3];
        float[] offset = draw.colourOffset();
        for (int j = 0; j < CROP; j++) {
            for (int i = 0; i < CROP; i++) {
                int sx = draw.flip() ? draw.x() + CROP - 1 - i : draw.x() + i;
                int src = 3 * ((draw.y() + j) * RESIZED + sx);
                int dst = 3 * (j * CROP + i);
                out[dst] = rgb256[src] + offset[0];
                out[dst + 1] = rgb256[src + 1] + offset[1];
                out[dst + 2] = rgb256[src + 2] + offset[2];
            }
        }
        return out;
    }

    /** The evaluation input: the service's own center-crop preprocessing. */
    public static float[] evaluationTensor(DecodedImage image) {
        return Preprocessor.toTensor(Preprocessor.cropped(image, Preprocessor.Mode.CENTER_CROP));
    }
}
