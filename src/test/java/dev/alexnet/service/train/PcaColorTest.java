package dev.alexnet.service.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

/** The PCA colour augmentation: a correct eigen-decomposition, and perturbations of the paper's size. */
class PcaColorTest {

    /** A covariance with distinct eigenvalues and correlated channels, like natural images'. */
    private static final double[][] MIX = {{0.20, 0.05, 0.01}, {0.12, 0.15, 0.03}, {0.08, 0.10, 0.09}};

    private static double[][] covarianceOf(double[][] mix) {
        double[][] c = new double[3][3];
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 3; j++) {
                for (int k = 0; k < 3; k++) {
                    c[i][j] += mix[i][k] * mix[j][k];
                }
            }
        }
        return c;
    }

    private static double[][] reconstruct(PcaColor pca) {
        double[][] c = new double[3][3];
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 3; j++) {
                for (int k = 0; k < 3; k++) {
                    c[i][j] += pca.eigenvectors()[k][i] * pca.eigenvalues()[k] * pca.eigenvectors()[k][j];
                }
            }
        }
        return c;
    }

    @Test
    void eigenvectorsAreOrthonormalAndRebuildTheCovariance() {
        double[][] covariance = covarianceOf(MIX);
        PcaColor pca = PcaColor.of(covariance);
        for (int a = 0; a < 3; a++) {
            for (int b = 0; b < 3; b++) {
                double dot = 0;
                for (int k = 0; k < 3; k++) {
                    dot += pca.eigenvectors()[a][k] * pca.eigenvectors()[b][k];
                }
                assertThat(dot).as("p%d . p%d", a + 1, b + 1).isCloseTo(a == b ? 1 : 0, offset(1e-12));
            }
        }
        assertThat(pca.eigenvalues()[0]).isGreaterThan(pca.eigenvalues()[1]);
        assertThat(pca.eigenvalues()[1]).isGreaterThan(pca.eigenvalues()[2]);
        double[][] rebuilt = reconstruct(pca);
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 3; j++) {
                assertThat(rebuilt[i][j]).isCloseTo(covariance[i][j], offset(1e-12));
            }
            // And each is an eigenvector: C p = l p.
            double[] cp = new double[3];
            for (int r = 0; r < 3; r++) {
                for (int k = 0; k < 3; k++) {
                    cp[r] += covariance[r][k] * pca.eigenvectors()[i][k];
                }
                assertThat(cp[r]).isCloseTo(pca.eigenvalues()[i] * pca.eigenvectors()[i][r], offset(1e-12));
            }
        }
    }

    @Test
    void theCovarianceOfSyntheticPixelsIsRecovered() {
        SplittableRandom random = new SplittableRandom(5);
        PcaColor.Accumulator pixels = new PcaColor.Accumulator();
        for (int n = 0; n < 200_000; n++) {
            double[] z = {gaussian(random), gaussian(random), gaussian(random)};
            double[] v = new double[3];
            for (int i = 0; i < 3; i++) {
                v[i] = 0.5 + MIX[i][0] * z[0] + MIX[i][1] * z[1] + MIX[i][2] * z[2];
            }
            pixels.add(v);
        }
        double[][] expected = covarianceOf(MIX);
        PcaColor exact = PcaColor.of(expected);
        PcaColor fitted = pixels.fit();
        double[][] rebuilt = reconstruct(fitted);
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 3; j++) {
                assertThat(rebuilt[i][j]).as("covariance[%d][%d]", i, j).isCloseTo(expected[i][j], offset(0.002));
            }
            assertThat(fitted.eigenvalues()[i]).isCloseTo(exact.eigenvalues()[i], offset(0.02 * exact.eigenvalues()[0]));
        }
        // Integer pixels go through the same sums on the 0-1 scale.
        PcaColor.Accumulator grey = new PcaColor.Accumulator();
        grey.add(0x000000);
        grey.add(0xFFFFFF);
        assertThat(grey.covariance()[0][1]).isCloseTo(0.5, offset(1e-12));
    }

    @Test
    void perturbationsHaveTheDrawnSigmaAlongEachComponent() {
        PcaColor pca = PcaColor.of(covarianceOf(MIX));
        SplittableRandom random = new SplittableRandom(9);
        int draws = 40_000;
        double[] sumSquares = new double[3];
        double[] sums = new double[3];
        for (int n = 0; n < draws; n++) {
            float[] offset = pca.offset(PcaColor.drawAlphas(random, PcaColor.PAPER_SIGMA));
            for (int i = 0; i < 3; i++) {
                // Project the offset back on p_i and divide by l_i: that is a_i.
                double projection = 0;
                for (int k = 0; k < 3; k++) {
                    projection += offset[k] / 255.0 * pca.eigenvectors()[i][k];
                }
                double alpha = projection / pca.eigenvalues()[i];
                sums[i] += alpha;
                sumSquares[i] += alpha * alpha;
            }
        }
        for (int i = 0; i < 3; i++) {
            double mean = sums[i] / draws;
            double sigma = Math.sqrt(sumSquares[i] / draws - mean * mean);
            assertThat(mean).as("mean of a_%d", i + 1).isCloseTo(0, offset(0.003));
            assertThat(sigma).as("sigma of a_%d", i + 1).isCloseTo(0.1, offset(0.002));
        }
    }

    private static double gaussian(SplittableRandom random) {
        return Math.sqrt(-2 * Math.log(1 - random.nextDouble())) * Math.cos(2 * Math.PI * random.nextDouble());
    }
}
