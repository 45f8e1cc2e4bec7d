package dev.alexnet.service.train;

import dev.alexnet.service.model.weights.Gaussian;
import java.util.SplittableRandom;

/**
 * The paper's PCA colour augmentation. Over the training set's RGB pixels (on the 0-1 scale) it
 * takes the 3 x 3 covariance's eigenvectors p_i and eigenvalues l_i; each image then gets
 * [p1 p2 p3][a1 l1, a2 l2, a3 l3]^T added to every pixel, with a_i ~ N(0, sigma) drawn once per
 * image per epoch.
 *
 * @param eigenvalues  l_1 >= l_2 >= l_3, on the 0-1 scale squared
 * @param eigenvectors eigenvectors[i] is p_i (unit length), in R, G, B order
 */
public record PcaColor(double[] eigenvalues, double[][] eigenvectors) {

    /** The paper's standard deviation of a_i. */
    public static final double PAPER_SIGMA = 0.1;

    /** Sums for the covariance of RGB pixels, one pixel at a time. */
    public static final class Accumulator {
        private long count;
        private final double[] sum = new double[3];
        private final double[][] products = new double[3][3];

        /** Adds one 0xRRGGBB pixel. */
        public void add(int rgb) {
            double[] v = {((rgb >> 16) & 0xFF) / 255.0, ((rgb >> 8) & 0xFF) / 255.0, (rgb & 0xFF) / 255.0};
            add(v);
        }

        /** Adds one pixel given as R, G, B on the 0-1 scale. */
        public void add(double[] v) {
            count++;
            for (int i = 0; i < 3; i++) {
                sum[i] += v[i];
                for (int j = 0; j < 3; j++) {
                    products[i][j] += v[i] * v[j];
                }
            }
        }

        public long count() {
            return count;
        }

        /** The sample covariance of what was added. */
        public double[][] covariance() {
            if (count < 2) {
                throw new IllegalStateException("the covariance needs at least 2 pixels, got " + count);
            }
            double[][] c = new double[3][3];
            for (int i = 0; i < 3; i++) {
                for (int j = 0; j < 3; j++) {
                    c[i][j] = (products[i][j] - sum[i] * sum[j] / count) / (count - 1);
                }
            }
            return c;
        }

        public PcaColor fit() {
            return PcaColor.of(covariance());
        }
    }

    /** The eigen-decomposition of a symmetric 3 x 3 covariance (cyclic Jacobi rotations). */
    public static PcaColor of(double[][] covariance) {
        double[][] a = new double[3][3];
        double[][] v = new double[3][3];
        for (int i = 0; i < 3; i++) {
            a[i] = covariance[i].clone();
            v[i][i] = 1;
        }
        for (int sweep = 0; sweep < 64; sweep++) {
            double off = a[0][1] * a[0][1] + a[0][2] * a[0][2] + a[1][2] * a[1][2];
            if (off < 1e-30) {
                break;
            }
            for (int p = 0; p < 2; p++) {
                for (int q = p + 1; q < 3; q++) {
                    if (a[p][q] == 0) {
                        continue;
                    }
                    double theta = (a[q][q] - a[p][p]) / (2 * a[p][q]);
                    double t = Math.signum(theta) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
                    if (theta == 0) {
                        t = 1;
                    }
                    double c = 1 / Math.sqrt(t * t + 1);
                    double s = t * c;
                    for (int k = 0; k < 3; k++) {
                        double akp = a[k][p];
                        double akq = a[k][q];
                        a[k][p] = c * akp - s * akq;
                        a[k][q] = s * akp + c * akq;
                    }
                    for (int k = 0; k < 3; k++) {
                        double apk = a[p][k];
                        double aqk = a[q][k];
                        a[p][k] = c * apk - s * aqk;
                        a[q][k] = s * apk + c * aqk;
                    }
                    for (int k = 0; k < 3; k++) {
                        double vkp = v[k][p];
                        double vkq = v[k][q];
                        v[k][p] = c * vkp - s * vkq;
                        v[k][q] = s * vkp + c * vkq;
                    }
                }
            }
        }
        Integer[] order = {0, 1, 2};
        java.util.Arrays.sort(order, (x, y) -> Double.compare(a[y][y], a[x][x]));
        double[] values = new double[3];
        double[][] vectors = new double[3][3];
        for (int i = 0; i < 3; i++) {
            values[i] = Math.max(0, a[order[i]][order[i]]);
            for (int k = 0; k < 3; k++) {
                vectors[i][k] = v[k][order[i]];
            }
        }
        return new PcaColor(values, vectors);
    }

    /** Draws a_1..a_3 ~ N(0, sigma). */
    public static double[] drawAlphas(SplittableRandom random, double sigma) {
        double[] alphas = new double[3];
        for (int i = 0; i < 3; i++) {
            alphas[i] = Gaussian.next(random) * sigma;
        }
        return alphas;
    }

    /** The R, G, B offset, on the 0-255 scale, that alphas give: 255 * sum of p_i a_i l_i. */
    public float[] offset(double[] alphas) {
        float[] rgb = new float[3];
        for (int k = 0; k < 3; k++) {
            double d = 0;
            for (int i = 0; i < 3; i++) {
                d += eigenvectors[i][k] * alphas[i] * eigenvalues[i];
            }
            rgb[k] = (float) (255 * d);
        }
        return rgb;
    }
}
