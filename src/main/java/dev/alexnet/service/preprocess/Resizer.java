package dev.alexnet.service.preprocess;

/**
 * Separable antialiased resampling with a triangle (bilinear) filter whose support widens by the
 * downscale factor, as Pillow's {@code resize(BILINEAR)} does: downscaling averages every source
 * pixel under each output pixel's footprint (no aliasing), upscaling interpolates bilinearly, and
 * a size that does not change copies pixels exactly.
 */
public final class Resizer {

    private Resizer() {
    }

    /** Resamples 0xRRGGBB pixels to interleaved float R, G, B in [0, 255], row-major ow x oh. */
    public static float[] resize(int[] rgb, int w, int h, int ow, int oh) {
        float[] src = new float[w * h * 3];
        for (int i = 0; i < w * h; i++) {
            int p = rgb[i];
            src[3 * i] = (p >> 16) & 0xFF;
            src[3 * i + 1] = (p >> 8) & 0xFF;
            src[3 * i + 2] = p & 0xFF;
        }
        if (w == ow && h == oh) {
            return src;
        }
        Coefficients cx = Coefficients.of(w, ow);
        Coefficients cy = Coefficients.of(h, oh);
        float[] tmp = new float[h * ow * 3];
        for (int y = 0; y < h; y++) {
            int rowIn = y * w * 3;
            int rowOut = y * ow * 3;
            for (int x = 0; x < ow; x++) {
                float r = 0;
                float g = 0;
                float b = 0;
                int start = cx.start[x];
                int base = x * cx.width;
                for (int k = 0; k < cx.count[x]; k++) {
                    float wk = cx.weights[base + k];
                    int s = rowIn + (start + k) * 3;
                    r += wk * src[s];
                    g += wk * src[s + 1];
                    b += wk * src[s + 2];
                }
                tmp[rowOut + 3 * x] = r;
                tmp[rowOut + 3 * x + 1] = g;
                tmp[rowOut + 3 * x + 2] = b;
            }
        }
        float[] out = new float[oh * ow * 3];
        int stride = ow * 3;
        for (int y = 0; y < oh; y++) {
            int start = cy.start[y];
            int base = y * cy.width;
            int rowOut = y * stride;
            for (int k = 0; k < cy.count[y]; k++) {
                float wk = cy.weights[base + k];
                int rowIn = (start + k) * stride;
                for (int i = 0; i < stride; i++) {
                    out[rowOut + i] += wk * tmp[rowIn + i];
                }
            }
            for (int i = 0; i < stride; i++) {
                out[rowOut + i] = Math.min(255f, Math.max(0f, out[rowOut + i]));
            }
        }
        return out;
    }

    /** Per output index: the first source index, how many sources, and their normalised weights. */
    private record Coefficients(int[] start, int[] count, float[] weights, int width) {

        static Coefficients of(int in, int out) {
            double scale = (double) in / out;
            double filterScale = Math.max(scale, 1.0);
            double support = filterScale;
            int width = (int) Math.ceil(support) * 2 + 1;
            int[] start = new int[out];
            int[] count = new int[out];
            float[] weights = new float[out * width];
            for (int i = 0; i < out; i++) {
                double center = (i + 0.5) * scale;
                int min = Math.max(0, (int) (center - support + 0.5));
                int max = Math.min(in, (int) (center + support + 0.5));
                double total = 0;
                double[] ws = new double[max - min];
                for (int j = min; j < max; j++) {
                    double t = Math.abs((j - center + 0.5) / filterScale);
                    ws[j - min] = t < 1 ? 1 - t : 0;
                    total += ws[j - min];
                }
                if (total <= 0) {
                    ws = new double[] {1};
                    min = Math.min(in - 1, Math.max(0, (int) center));
                    total = 1;
                }
                start[i] = min;
                count[i] = ws.length;
                for (int k = 0; k < ws.length; k++) {
                    weights[i * width + k] = (float) (ws[k] / total);
                }
            }
            return new Coefficients(start, count, weights, width);
        }
    }
}
