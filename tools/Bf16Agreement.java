import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

import dev.alexnet.service.classify.TopK;
import dev.alexnet.service.model.AlexNetArchitecture;
import dev.alexnet.service.model.network.DnnlAlexNet;
import dev.alexnet.service.model.Precision;
import dev.alexnet.service.model.runtime.NativeBuild;
import dev.alexnet.service.model.weights.AlexNetWeights;
import dev.alexnet.service.model.weights.NpyWeightsReader;
import dev.alexnet.service.preprocess.DecodedImage;
import dev.alexnet.service.preprocess.ImageDecoder;
import dev.alexnet.service.preprocess.Preprocessor;

/**
 * What {@code alexnet.precision=bf16} changes in the network's output, against fp32 on the same
 * weights: over real photos, each taken seven ways (the whole photo, its four quadrants, its middle
 * half and its mirror image, each then resized and centre-cropped as the service does), the largest
 * difference of any class's probability, how often the top-1 and the top-5 differ, and both passes'
 * batch-32 speed. With random-init weights (no trained ones can be downloaded here) the outputs
 * are nearly flat, so it also gives what is independent of how sharp they are: the logits' error
 * (from log-probabilities, which differ from the logits by one constant per input) against their
 * spread, the features' (fc7) relative error, and the largest probability difference once the
 * fp32 logits are scaled to a trained AlexNet's confidence (median top-1 probability 0.6; the same
 * scale applied to both passes, which leaves every ranking as it is). Run by tools/bf16-agreement.sh (which builds the class path); not part of the build.
 *
 *   java -cp CLASSPATH tools/Bf16Agreement.java [--weights FILE] [--limit N] DIR...
 */
public class Bf16Agreement {

    private static final int BATCH = 32;

    public static void main(String[] args) throws Exception {
        Path weights = null;
        int limit = 1000;
        List<Path> dirs = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--weights" -> weights = Path.of(args[++i]);
                case "--limit" -> limit = Integer.parseInt(args[++i]);
                default -> dirs.add(Path.of(args[i]));
            }
        }
        List<Path> files = new ArrayList<>();
        for (Path dir : dirs) {
            try (Stream<Path> walk = Files.walk(dir)) {
                walk.filter(p -> p.toString().toLowerCase(Locale.ROOT).matches(".*\\.(jpe?g|png)$")).sorted().forEach(files::add);
            }
        }
        NativeBuild.select("auto");
        AlexNetWeights w = weights == null ? AlexNetWeights.random(AlexNetArchitecture.FULL, 42) : new NpyWeightsReader().read(weights);
        ImageDecoder decoder = new ImageDecoder(100_000_000);
        List<float[]> inputs = new ArrayList<>();
        int photos = 0;
        for (Path file : files) {
            if (inputs.size() >= limit) {
                break;
            }
            DecodedImage image;
            try {
                image = decoder.decode(Files.readAllBytes(file), 0);
            } catch (RuntimeException e) {
                continue;
            }
            photos++;
            for (DecodedImage view : views(image)) {
                if (inputs.size() < limit) {
                    inputs.add(Preprocessor.toTensor(Preprocessor.cropped(view, Preprocessor.Mode.CENTER_CROP)));
                }
            }
        }
        int n = inputs.size();
        System.out.printf(Locale.ROOT, "%d inputs from %d photos; oneDNN %s%n", n, photos, DnnlAlexNet.runtime());
        float[][] fp32;
        float[][] bf16;
        float[][] fp32Features;
        float[][] bf16Features;
        double[] fp32Ms;
        double[] bf16Ms;
        try (DnnlAlexNet a = new DnnlAlexNet(w, Precision.FP32); DnnlAlexNet b = new DnnlAlexNet(w, Precision.BF16)) {
            fp32Features = new float[n][];
            bf16Features = new float[n][];
            fp32 = run(a, inputs, fp32Features);
            bf16 = run(b, inputs, bf16Features);
            float[] batch = batchOf(inputs, 0, BATCH);
            fp32Ms = new double[3];
            bf16Ms = new double[3];
            for (int round = 0; round < 3; round++) {
                fp32Ms[round] = time(a, batch);
                bf16Ms[round] = time(b, batch);
            }
        }
        double maxDiff = 0;
        List<Double> rowMax = new ArrayList<>();
        List<Double> topProbability = new ArrayList<>();
        int top1 = 0;
        int top5Ordered = 0;
        int top5Set = 0;
        for (int i = 0; i < n; i++) {
            double m = 0;
            for (int c = 0; c < fp32[i].length; c++) {
                m = Math.max(m, Math.abs(fp32[i][c] - bf16[i][c]));
            }
            rowMax.add(m);
            maxDiff = Math.max(maxDiff, m);
            int[] x = TopK.indices(fp32[i], 5);
            int[] y = TopK.indices(bf16[i], 5);
            topProbability.add((double) fp32[i][x[0]]);
            top1 += x[0] == y[0] ? 1 : 0;
            top5Ordered += Arrays.equals(x, y) ? 1 : 0;
            top5Set += Arrays.equals(sorted(x), sorted(y)) ? 1 : 0;
        }
        List<Double> logitError = new ArrayList<>();
        List<Double> featureError = new ArrayList<>();
        double[][] logits32 = new double[n][];
        double[][] logits16 = new double[n][];
        for (int i = 0; i < n; i++) {
            logits32[i] = centredLog(fp32[i]);
            logits16[i] = centredLog(bf16[i]);
            logitError.add(rms(logits32[i], logits16[i]) / rms(logits32[i], new double[logits32[i].length]));
            double num = 0;
            double den = 0;
            for (int c = 0; c < fp32Features[i].length; c++) {
                double d = fp32Features[i][c] - bf16Features[i][c];
                num += d * d;
                den += (double) fp32Features[i][c] * fp32Features[i][c];
            }
            featureError.add(Math.sqrt(num / Math.max(den, 1e-30)));
        }
        double scale = scaleForMedianTop(logits32, 0.6);
        double sharpDiff = 0;
        for (int i = 0; i < n; i++) {
            double[] p = softmax(logits32[i], scale);
            double[] q = softmax(logits16[i], scale);
            for (int c = 0; c < p.length; c++) {
                sharpDiff = Math.max(sharpDiff, Math.abs(p[c] - q[c]));
            }
        }
        System.out.printf(Locale.ROOT, "logits: RMS error / RMS spread, median %.4f, max %.4f; fc7 features: relative error median %.4f, max %.4f%n",
                median(logitError), logitError.stream().mapToDouble(Double::doubleValue).max().orElse(0),
                median(featureError), featureError.stream().mapToDouble(Double::doubleValue).max().orElse(0));
        System.out.printf(Locale.ROOT, "logits scaled x%.1f to a median top-1 probability of 0.6: largest probability difference %.4f%n",
                scale, sharpDiff);
        System.out.printf(Locale.ROOT, "largest probability difference: %.5f (median per input %.5f; fp32 top-1 probability median %.3f)%n",
                maxDiff, median(rowMax), median(topProbability));
        System.out.printf(Locale.ROOT, "top-1 agrees: %d of %d (%.1f%%); top-5 as a set: %d (%.1f%%); top-5 in order: %d (%.1f%%)%n",
                top1, n, 100.0 * top1 / n, top5Set, 100.0 * top5Set / n, top5Ordered, 100.0 * top5Ordered / n);
        System.out.printf(Locale.ROOT, "batch %d, ms per pass, 3 interleaved rounds: fp32 %s, bf16 %s: bf16 %.2fx faster (medians)%n",
                BATCH, fmt(fp32Ms), fmt(bf16Ms), median(fp32Ms) / median(bf16Ms));
    }

    /** log p minus its mean: the logits minus their mean, since softmax only shifts them by a constant. */
    private static double[] centredLog(float[] p) {
        double[] l = new double[p.length];
        double mean = 0;
        for (int c = 0; c < p.length; c++) {
            l[c] = Math.log(Math.max(p[c], Float.MIN_VALUE));
            mean += l[c] / p.length;
        }
        for (int c = 0; c < p.length; c++) {
            l[c] -= mean;
        }
        return l;
    }

    private static double rms(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += (a[i] - b[i]) * (a[i] - b[i]);
        }
        return Math.sqrt(s / a.length);
    }

    private static double[] softmax(double[] logits, double scale) {
        double max = Double.NEGATIVE_INFINITY;
        for (double l : logits) {
            max = Math.max(max, l * scale);
        }
        double[] p = new double[logits.length];
        double sum = 0;
        for (int c = 0; c < p.length; c++) {
            p[c] = Math.exp(logits[c] * scale - max);
            sum += p[c];
        }
        for (int c = 0; c < p.length; c++) {
            p[c] /= sum;
        }
        return p;
    }

    /** The logit scale at which the median input's top-1 probability is {@code target} (bisection). */
    private static double scaleForMedianTop(double[][] logits, double target) {
        double lo = 1;
        double hi = 1e4;
        for (int iter = 0; iter < 60; iter++) {
            double mid = Math.sqrt(lo * hi);
            List<Double> tops = new ArrayList<>();
            for (double[] l : logits) {
                tops.add(Arrays.stream(softmax(l, mid)).max().orElse(0));
            }
            if (median(tops) < target) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        return Math.sqrt(lo * hi);
    }

    /** The photo, its quadrants, its middle half and its mirror image. */
    private static List<DecodedImage> views(DecodedImage image) {
        int w = image.width();
        int h = image.height();
        List<DecodedImage> views = new ArrayList<>();
        views.add(image);
        views.add(region(image, 0, 0, w / 2, h / 2));
        views.add(region(image, w / 2, 0, w - w / 2, h / 2));
        views.add(region(image, 0, h / 2, w / 2, h - h / 2));
        views.add(region(image, w / 2, h / 2, w - w / 2, h - h / 2));
        views.add(region(image, w / 4, h / 4, w / 2, h / 2));
        int[] mirrored = new int[w * h];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                mirrored[y * w + x] = image.rgb()[y * w + (w - 1 - x)];
            }
        }
        views.add(new DecodedImage(mirrored, w, h, image.format(), 1));
        return views;
    }

    private static DecodedImage region(DecodedImage image, int x0, int y0, int w, int h) {
        int[] rgb = new int[w * h];
        for (int y = 0; y < h; y++) {
            System.arraycopy(image.rgb(), (y0 + y) * image.width() + x0, rgb, y * w, w);
        }
        return new DecodedImage(rgb, w, h, image.format(), 1);
    }

    private static float[][] run(DnnlAlexNet net, List<float[]> inputs, float[][] features) {
        int classes = net.architecture().classes();
        int f = net.architecture().fc7();
        float[][] out = new float[inputs.size()][];
        for (int start = 0; start < inputs.size(); start += BATCH) {
            int k = Math.min(BATCH, inputs.size() - start);
            var result = net.forward(batchOf(inputs, start, k), k);
            for (int i = 0; i < k; i++) {
                out[start + i] = Arrays.copyOfRange(result.probabilities(), i * classes, (i + 1) * classes);
                features[start + i] = Arrays.copyOfRange(result.features(), i * f, (i + 1) * f);
            }
        }
        return out;
    }

    private static float[] batchOf(List<float[]> inputs, int start, int k) {
        int size = AlexNetArchitecture.INPUT_FLOATS;
        float[] batch = new float[k * size];
        for (int i = 0; i < k; i++) {
            System.arraycopy(inputs.get((start + i) % inputs.size()), 0, batch, i * size, size);
        }
        return batch;
    }

    /** Median ms of 10 passes after 2 untimed ones. */
    private static double time(DnnlAlexNet net, float[] batch) {
        double[] ms = new double[10];
        for (int i = -2; i < ms.length; i++) {
            long t0 = System.nanoTime();
            net.forward(batch, BATCH);
            if (i >= 0) {
                ms[i] = (System.nanoTime() - t0) / 1e6;
            }
        }
        return median(ms);
    }


    private static int[] sorted(int[] a) {
        int[] c = a.clone();
        Arrays.sort(c);
        return c;
    }

    private static double median(double[] xs) {
        double[] s = xs.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }

    private static double median(List<Double> xs) {
        List<Double> s = xs.stream().sorted().toList();
        return s.isEmpty() ? Double.NaN : s.get(s.size() / 2);
    }

    private static String fmt(double[] xs) {
        StringBuilder b = new StringBuilder();
        for (double x : xs) {
            b.append(b.length() == 0 ? "" : "/").append(String.format(Locale.ROOT, "%.1f", x));
        }
        return b.toString();
    }
}
