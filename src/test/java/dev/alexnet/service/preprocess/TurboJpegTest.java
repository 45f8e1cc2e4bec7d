package dev.alexnet.service.preprocess;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.GradientPaint;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.color.ColorSpace;
import java.awt.color.ICC_Profile;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;

import javax.imageio.ImageIO;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * JPEGs through TurboJPEG: the same pixels as ImageIO at full size, DCT-domain reductions that
 * stop before the resize target, orientation and ICC profiles applied as on ImageIO's path. CI
 * installs Debian's libturbojpeg-java, so there these tests run; on a machine without it they are
 * skipped, and the ImageIO path they compare against is the one that serves.
 */
class TurboJpegTest {

    private final ImageDecoder decoder = new ImageDecoder(40_000_000);

    @BeforeAll
    static void turboJpegIsLoadedWhereItIsInstalled() {
        boolean installed = Files.isReadable(Path.of("/usr/lib/x86_64-linux-gnu/libturbojpeg.so.0"));
        if (installed) {
            assertThat(TurboJpeg.get()).as("libturbojpeg.so.0 is installed, so it must load").isPresent();
        }
        assumeThat(installed).as("Debian's libturbojpeg0 is installed").isTrue();
    }

    /** A photo-like picture: gradients, shapes with sharp edges, fine texture and sensor-like noise. */
    static BufferedImage photo(int w, int h, long seed) {
        BufferedImage image = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        SplittableRandom random = new SplittableRandom(seed);
        g.setPaint(new GradientPaint(0, 0, new Color(90, 140, 210), 0, h, new Color(230, 200, 160)));
        g.fillRect(0, 0, w, h);
        for (int i = 0; i < 40; i++) {
            g.setColor(new Color(random.nextInt(256), random.nextInt(256), random.nextInt(256)));
            int x = random.nextInt(w);
            int y = random.nextInt(h);
            int s = 20 + random.nextInt(Math.max(21, w / 5));
            if (i % 3 == 0) {
                g.fillOval(x, y, s, s * 2 / 3);
            } else if (i % 3 == 1) {
                g.fillRect(x, y, s, s / 2);
            } else {
                g.setStroke(new BasicStroke(1 + random.nextInt(6)));
                g.drawLine(x, y, random.nextInt(w), random.nextInt(h));
            }
        }
        g.dispose();
        int[] rgb = image.getRGB(0, 0, w, h, null, 0, w);
        for (int i = 0; i < rgb.length; i++) {
            int n = random.nextInt(13) - 6;
            int r = clamp(((rgb[i] >> 16) & 0xFF) + n);
            int gr = clamp(((rgb[i] >> 8) & 0xFF) + n);
            int b = clamp((rgb[i] & 0xFF) + n);
            rgb[i] = r << 16 | gr << 8 | b;
        }
        image.setRGB(0, 0, w, h, rgb, 0, w);
        return image;
    }

    private static int clamp(int v) {
        return Math.max(0, Math.min(255, v));
    }

    private static int[] imageIo(byte[] jpeg) throws IOException {
        return ImageDecoder.toRgb(ImageIO.read(new ByteArrayInputStream(jpeg)));
    }

    private static int maxChannelError(int[] a, int[] b) {
        int worst = 0;
        for (int i = 0; i < a.length; i++) {
            for (int shift = 0; shift <= 16; shift += 8) {
                worst = Math.max(worst, Math.abs(((a[i] >> shift) & 0xFF) - ((b[i] >> shift) & 0xFF)));
            }
        }
        return worst;
    }

    /** PSNR in dB of two crops on the 0-255 scale. */
    static double psnr(float[] a, float[] b) {
        double se = 0;
        for (int i = 0; i < a.length; i++) {
            se += (a[i] - b[i]) * (double) (a[i] - b[i]);
        }
        return 10 * Math.log10(255.0 * 255.0 / (se / a.length));
    }

    @Test
    void fullSizeDecodeGivesImageIosPixels() throws IOException {
        for (boolean progressive : new boolean[] {false, true}) {
            byte[] jpeg = TestImages.jpeg(photo(500, 375, 1), 0.9f, progressive);
            DecodedImage image = decoder.decode(jpeg, 0);
            assertThat(image.width()).isEqualTo(500);
            assertThat(image.reduced()).isFalse();
            // Both are libjpeg's islow IDCT with fancy upsampling; the last bit of rounding may differ.
            assertThat(maxChannelError(image.rgb(), imageIo(jpeg))).as("progressive " + progressive).isLessThanOrEqualTo(1);
        }
    }

    @Test
    void reductionIsTheLargestThatKeepsBothSidesAtTheTarget() {
        assertThat(TurboJpeg.denominator(4032, 3024, 256, 256)).isEqualTo(8);
        assertThat(TurboJpeg.denominator(2048, 2048, 256, 256)).isEqualTo(8);
        assertThat(TurboJpeg.denominator(2041, 2041, 256, 256)).isEqualTo(8);
        assertThat(TurboJpeg.denominator(2040, 3000, 256, 256)).isEqualTo(4);
        assertThat(TurboJpeg.denominator(1000, 600, 256, 256)).isEqualTo(2);
        assertThat(TurboJpeg.denominator(500, 375, 256, 256)).isEqualTo(1);
        assertThat(TurboJpeg.denominator(500, 375, 227, 227)).isEqualTo(1);
        assertThat(TurboJpeg.denominator(1816, 1816, 227, 227)).isEqualTo(8);
        assertThat(TurboJpeg.denominator(4032, 3024, 0, 0)).isEqualTo(1);
    }

    @Test
    void phoneSizePhotoIsReducedAndItsCropStaysCloseToTheFullDecode() {
        byte[] jpeg = TestImages.jpeg(photo(2016, 1512, 2), 0.92f, false);
        DecodedImage reduced = decoder.decode(jpeg, Preprocessor.CENTER_CROP_RESIZE);
        assertThat(reduced.width()).isEqualTo(504);
        assertThat(reduced.height()).isEqualTo(378);
        assertThat(reduced.displayWidth()).isEqualTo(2016);
        assertThat(reduced.displayHeight()).isEqualTo(1512);
        assertThat(reduced.reduced()).isTrue();
        DecodedImage full = decoder.decode(jpeg, 0);
        assertThat(full.width()).isEqualTo(2016);
        double db = psnr(Preprocessor.cropped(reduced, Preprocessor.Mode.CENTER_CROP),
                Preprocessor.cropped(full, Preprocessor.Mode.CENTER_CROP));
        // 53.2 dB on this picture; real photos are in docs/benchmarks.md (tools/jpeg-scaling.sh).
        assertThat(db).isGreaterThan(40);
    }

    @Test
    void preprocessorReportsTheUploadsSizeAndCanDecodeInFull() {
        byte[] jpeg = TestImages.jpeg(photo(1200, 900, 3), 0.9f, false);
        Preprocessor.Preprocessed scaled = new Preprocessor(decoder, Preprocessor.Mode.CENTER_CROP, 1, true).preprocess(jpeg);
        Preprocessor.Preprocessed exact = new Preprocessor(decoder, Preprocessor.Mode.CENTER_CROP, 1, false).preprocess(jpeg);
        assertThat(scaled.width()).isEqualTo(1200);
        assertThat(scaled.height()).isEqualTo(900);
        assertThat(exact.width()).isEqualTo(1200);
        float[] fromFull = Preprocessor.toTensor(Preprocessor.cropped(decoder.decode(jpeg, 0), Preprocessor.Mode.CENTER_CROP));
        assertThat(exact.tensor()).containsExactly(fromFull);
        assertThat(scaled.tensor()).isNotEqualTo(exact.tensor());
    }

    @Test
    void orientationAppliesToAReducedDecode() {
        byte[] jpeg = TestImages.withExifOrientation(TestImages.jpeg(TestImages.redCorner(1024, 768), 0.95f, false), 6, false);
        DecodedImage image = decoder.decode(jpeg, 256);
        // 1024 x 768 at 1/2 is 512 x 384 (1/4 would leave 192 rows), then turned: 384 x 512.
        assertThat(image.width()).isEqualTo(384);
        assertThat(image.height()).isEqualTo(512);
        assertThat(image.displayWidth()).isEqualTo(768);
        assertThat(image.displayHeight()).isEqualTo(1024);
        int topRight = image.rgb()[2 * 384 + 384 - 3];
        assertThat((topRight >> 16) & 0xFF).as("orientation 6 puts the stored top-left corner top right").isGreaterThan(200);
        assertThat(topRight & 0xFF).isLessThan(60);
    }

    @Test
    void anEmbeddedProfileIsAppliedAsImageIoAppliesIt() throws IOException {
        byte[] plain = TestImages.jpeg(photo(320, 240, 4), 0.95f, false);
        byte[] tagged = withIcc(plain, ICC_Profile.getInstance(ColorSpace.CS_LINEAR_RGB).getData());
        assertThat(JpegIcc.profile(tagged)).isNotNull();
        assertThat(JpegIcc.profile(plain)).isNull();
        int[] reference = imageIo(tagged);
        DecodedImage image = decoder.decode(tagged, 0);
        assertThat(maxChannelError(image.rgb(), decoder.decode(plain, 0).rgb())).as("the profile changes the colours")
                .isGreaterThan(20);
        assertThat(maxChannelError(image.rgb(), reference)).isLessThanOrEqualTo(2);
    }

    /** The JPEG with an ICC profile in APP2 segments right after SOI, split as the format requires. */
    static byte[] withIcc(byte[] jpeg, byte[] profile) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(jpeg, 0, 2);
        int chunk = 65519 - 14;
        int count = (profile.length + chunk - 1) / chunk;
        for (int i = 0; i < count; i++) {
            int from = i * chunk;
            int len = Math.min(chunk, profile.length - from);
            int segment = 2 + 12 + 2 + len;
            out.write(0xFF);
            out.write(0xE2);
            out.write(segment >> 8);
            out.write(segment & 0xFF);
            out.writeBytes("ICC_PROFILE\0".getBytes(StandardCharsets.US_ASCII));
            out.write(i + 1);
            out.write(count);
            out.write(profile, from, len);
        }
        out.write(jpeg, 2, jpeg.length - 2);
        return out.toByteArray();
    }
}
