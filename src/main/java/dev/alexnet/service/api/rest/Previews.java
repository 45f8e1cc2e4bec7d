package dev.alexnet.service.api.rest;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Base64;

import javax.imageio.ImageIO;

import dev.alexnet.service.preprocess.Preprocessor;

/** The 227 x 227 image that the network saw, rebuilt from its input tensor, as a PNG data URL. */
final class Previews {

    private Previews() {
    }

    static String png(float[] tensor) {
        int size = Preprocessor.SIZE;
        int plane = size * size;
        BufferedImage image = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
        int[] rgb = new int[plane];
        for (int i = 0; i < plane; i++) {
            int b = channel(tensor[i] + Preprocessor.MEAN_BGR[0]);
            int g = channel(tensor[plane + i] + Preprocessor.MEAN_BGR[1]);
            int r = channel(tensor[2 * plane + i] + Preprocessor.MEAN_BGR[2]);
            rgb[i] = r << 16 | g << 8 | b;
        }
        image.setRGB(0, 0, size, size, rgb, 0, size);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            ImageIO.write(image, "png", out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return "data:image/png;base64," + Base64.getEncoder().encodeToString(out.toByteArray());
    }

    private static int channel(float value) {
        return Math.max(0, Math.min(255, Math.round(value)));
    }
}
