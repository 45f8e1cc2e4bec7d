package dev.alexnet.service.model.network;

/**
 * AlexNet's layers as plain loops in double precision over NCHW arrays: the definitions in the
 * spec, written without ND4J, to check the engine against.
 */
final class ReferenceOps {

    private ReferenceOps() {
    }

    /** Grouped convolution; weights HWIO per group [k, k, c/groups, o], output [n, o, oh, ow]. */
    static float[] conv(float[] x, int n, int c, int h, int w, float[] weights, float[] bias, int k, int o,
                        int stride, int pad, int groups) {
        int oh = (h + 2 * pad - k) / stride + 1;
        int ow = (w + 2 * pad - k) / stride + 1;
        int cg = c / groups;
        int og = o / groups;
        float[] out = new float[n * o * oh * ow];
        for (int b = 0; b < n; b++) {
            for (int oc = 0; oc < o; oc++) {
                int g = oc / og;
                for (int y = 0; y < oh; y++) {
                    for (int xx = 0; xx < ow; xx++) {
                        double sum = bias[oc];
                        for (int ic = 0; ic < cg; ic++) {
                            int inC = g * cg + ic;
                            for (int ky = 0; ky < k; ky++) {
                                int iy = y * stride - pad + ky;
                                if (iy < 0 || iy >= h) {
                                    continue;
                                }
                                for (int kx = 0; kx < k; kx++) {
                                    int ix = xx * stride - pad + kx;
                                    if (ix < 0 || ix >= w) {
                                        continue;
                                    }
                                    double wv = weights[((ky * k + kx) * cg + ic) * o + oc];
                                    sum += wv * x[((b * c + inC) * h + iy) * w + ix];
                                }
                            }
                        }
                        out[((b * o + oc) * oh + y) * ow + xx] = (float) sum;
                    }
                }
            }
        }
        return out;
    }

    static float[] relu(float[] x) {
        float[] out = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = Math.max(0f, x[i]);
        }
        return out;
    }

    /** b_c = a_c / (1 + 2e-5 * sum_{j=c-2..c+2, in range} a_j^2)^0.75 over channels. */
    static float[] lrn(float[] x, int n, int c, int h, int w) {
        float[] out = new float[x.length];
        int plane = h * w;
        for (int b = 0; b < n; b++) {
            for (int ch = 0; ch < c; ch++) {
                for (int p = 0; p < plane; p++) {
                    double sum = 0;
                    for (int j = Math.max(0, ch - 2); j <= Math.min(c - 1, ch + 2); j++) {
                        double a = x[(b * c + j) * plane + p];
                        sum += a * a;
                    }
                    double a = x[(b * c + ch) * plane + p];
                    out[(b * c + ch) * plane + p] = (float) (a / Math.pow(1.0 + 2e-5 * sum, 0.75));
                }
            }
        }
        return out;
    }

    /** 3x3 max pooling, stride 2, no padding. */
    static float[] maxPool(float[] x, int n, int c, int h, int w) {
        int oh = (h - 3) / 2 + 1;
        int ow = (w - 3) / 2 + 1;
        float[] out = new float[n * c * oh * ow];
        for (int b = 0; b < n; b++) {
            for (int ch = 0; ch < c; ch++) {
                for (int y = 0; y < oh; y++) {
                    for (int xx = 0; xx < ow; xx++) {
                        float max = Float.NEGATIVE_INFINITY;
                        for (int ky = 0; ky < 3; ky++) {
                            for (int kx = 0; kx < 3; kx++) {
                                max = Math.max(max, x[((b * c + ch) * h + y * 2 + ky) * w + xx * 2 + kx]);
                            }
                        }
                        out[((b * c + ch) * oh + y) * ow + xx] = max;
                    }
                }
            }
        }
        return out;
    }

    /** x [n, in] times weights [in, out] plus bias. */
    static float[] dense(float[] x, int n, int in, float[] weights, float[] bias, int out) {
        float[] y = new float[n * out];
        for (int b = 0; b < n; b++) {
            for (int o = 0; o < out; o++) {
                double sum = bias[o];
                for (int i = 0; i < in; i++) {
                    sum += (double) x[b * in + i] * weights[i * out + o];
                }
                y[b * out + o] = (float) sum;
            }
        }
        return y;
    }

    static float[] softmax(float[] logits, int n, int classes) {
        float[] out = new float[logits.length];
        for (int b = 0; b < n; b++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int i = 0; i < classes; i++) {
                max = Math.max(max, logits[b * classes + i]);
            }
            double sum = 0;
            for (int i = 0; i < classes; i++) {
                sum += Math.exp(logits[b * classes + i] - max);
            }
            for (int i = 0; i < classes; i++) {
                out[b * classes + i] = (float) (Math.exp(logits[b * classes + i] - max) / sum);
            }
        }
        return out;
    }

    /** NCHW to NHWC. */
    static float[] toNhwc(float[] x, int n, int c, int h, int w) {
        float[] out = new float[x.length];
        for (int b = 0; b < n; b++) {
            for (int ch = 0; ch < c; ch++) {
                for (int p = 0; p < h * w; p++) {
                    out[(b * h * w + p) * c + ch] = x[(b * c + ch) * h * w + p];
                }
            }
        }
        return out;
    }

    /** NHWC to NCHW. */
    static float[] toNchw(float[] x, int n, int c, int h, int w) {
        float[] out = new float[x.length];
        for (int b = 0; b < n; b++) {
            for (int ch = 0; ch < c; ch++) {
                for (int p = 0; p < h * w; p++) {
                    out[(b * c + ch) * h * w + p] = x[(b * h * w + p) * c + ch];
                }
            }
        }
        return out;
    }
}
