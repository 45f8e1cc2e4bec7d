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
        return resizeRegion(rgb, w, h, ow, oh, 0, 0, ow, oh);
    }

    /**
     * Resamples to ow x oh but computes only the cw x ch window at (x0, y0) of the result, e.g. the
     * central crop, reading only the source rows that window needs.
     */
    public static float[] resizeRegion(int[] rgb, int w, int h, int ow, int oh, int x0, int y0, int cw, int ch) {
        if (w == ow && h == oh) {
            float[] out = new float[cw * ch * 3];
            for (int y = 0; y < ch; y++) {
                for (int x = 0; x < cw; x++) {
                    int p = rgb[(y + y0) * w + x + x0];
                    int o = 3 * (y * cw + x);
                    out[o] = (p >> 16) & 0xFF;
                    out[o + 1] = (p >> 8) & 0xFF;
                    out[o + 2] = p & 0xFF;
                }
            }
            return out;
        }
        Coefficients cx = Coefficients.of(w, ow);
        Coefficients cy = Coefficients.of(h, oh);
        int firstRow = cy.start[y0];
        int lastRow = cy.start[y0 + ch - 1] + cy.count[y0 + ch - 1];
        int stride = cw * 3;
        float[] tmp = new float[(lastRow - firstRow) * stride];
        for (int y = firstRow; y < lastRow; y++) {
            int rowIn = y * w;
            int rowOut = (y - firstRow) * stride;
            for (int x = 0; x < cw; x++) {
                float r = 0;
                float g = 0;
                float b = 0;
                int start = cx.start[x + x0];
                int base = (x + x0) * cx.width;
                int count = cx.count[x + x0];
                for (int k = 0; k < count; k++) {
                    float wk = cx.weights[base + k];
                    int p = rgb[rowIn + start + k];
                    r += wk * ((p >> 16) & 0xFF);
                    g += wk * ((p >> 8) & 0xFF);
                    b += wk * (p & 0xFF);
                }
                tmp[rowOut + 3 * x] = r;
                tmp[rowOut + 3 * x + 1] = g;
                tmp[rowOut + 3 * x + 2] = b;
            }
        }
        float[] out = new float[ch * stride];
        for (int y = 0; y < ch; y++) {
            int start = cy.start[y + y0];
            int base = (y + y0) * cy.width;
            int rowOut = y * stride;
            for (int k = 0; k < cy.count[y + y0]; k++) {
                float wk = cy.weights[base + k];
                int rowIn = (start + k - firstRow) * stride;
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
