package dev.alexnet.service.train;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;

import javax.imageio.ImageIO;

/**
 * A small ImageFolder dataset of three classes, reddish, greenish and bluish images: each has a
 * random pattern (horizontal or vertical stripes or checkers, random period and phase) in two
 * random shades of its class's dominant colour, a random size, and pixel noise; written as JPEG
 * and PNG files.
 */
public final class SyntheticDataset {

    public static final List<String> CLASSES = List.of("blue", "green", "red");

    private SyntheticDataset() {
    }

    public static void write(Path root, int perClass, long seed) throws IOException {
        SplittableRandom random = new SplittableRandom(seed);
        for (int label = 0; label < CLASSES.size(); label++) {
            Path folder = Files.createDirectories(root.resolve(CLASSES.get(label)));
            for (int i = 0; i < perClass; i++) {
                BufferedImage image = image(label, random);
                String format = i % 2 == 0 ? "png" : "jpg";
                ImageIO.write(image, format, folder.resolve(String.format("%03d.%s", i, format)).toFile());
            }
        }
    }

    /** One image of the class: two random shades of its colour in a random pattern, plus noise. */
    public static BufferedImage image(int label, SplittableRandom random) {
        int width = 200 + random.nextInt(120);
        int height = 200 + random.nextInt(120);
        int period = 12 + random.nextInt(20);
        int dominant = 2 - label;
        int[] a = shade(dominant, random);
        int[] b = shade(dominant, random);
        int pattern = random.nextInt(3);
        int phase = random.nextInt(period);
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                boolean first = switch (pattern) {
                    case 0 -> (((x + phase) / period) + ((y + phase) / period)) % 2 == 0;
                    case 1 -> ((y + phase) / period) % 2 == 0;
                    default -> ((x + phase) / period) % 2 == 0;
                };
                int[] c = first ? a : b;
                int rgb = 0;
                for (int k = 0; k < 3; k++) {
                    int v = Math.max(0, Math.min(255, c[k] + random.nextInt(41) - 20));
                    rgb = (rgb << 8) | v;
                }
                image.setRGB(x, y, rgb);
            }
        }
        return image;
    }

    /** R, G, B with channel {@code dominant} (0 = R) in 150..255 and the others in 0..110. */
    private static int[] shade(int dominant, SplittableRandom random) {
        int[] c = new int[3];
        for (int k = 0; k < 3; k++) {
            c[k] = k == dominant ? 150 + random.nextInt(106) : random.nextInt(111);
        }
        return c;
    }
}
