import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

import dev.alexnet.service.model.network.AlexNet;
import dev.alexnet.service.classify.TopK;
import dev.alexnet.service.model.AlexNetArchitecture;
import dev.alexnet.service.model.weights.AlexNetWeights;
import dev.alexnet.service.model.runtime.NativeBuild;
import dev.alexnet.service.model.weights.NpyWeightsReader;
import dev.alexnet.service.preprocess.DecodedImage;
import dev.alexnet.service.preprocess.ImageDecoder;
import dev.alexnet.service.preprocess.Preprocessor;

/**
 * What DCT-domain JPEG reduction changes in the network's input, over a folder of real photos:
 * the PSNR of the 227 x 227 centre crop (scaled decode against full decode, 0-255 scale), how
 * often the top-1 and the top-5 change, and the decode + preprocessing time of each. Run by
 * tools/jpeg-scaling.sh (which builds the class path); not part of the build.
 *
 *   java -cp CLASSPATH tools/JpegScaling.java [--weights FILE] DIR...
 */
public class JpegScaling {

    public static void main(String[] args) throws Exception {
        Path weights = null;
        List<Path> dirs = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--weights")) {
                weights = Path.of(args[++i]);
            } else {
                dirs.add(Path.of(args[i]));
            }
        }
        List<Path> files = new ArrayList<>();
        for (Path dir : dirs) {
            try (Stream<Path> walk = Files.walk(dir)) {
                walk.filter(p -> p.toString().toLowerCase(Locale.ROOT).matches(".*\\.jpe?g$")).sorted().forEach(files::add);
            }
        }
        NativeBuild.select("auto");
        AlexNetWeights w = weights == null ? AlexNetWeights.random(AlexNetArchitecture.FULL, 42) : new NpyWeightsReader().read(weights);
        ImageDecoder decoder = new ImageDecoder(100_000_000);
        List<Double> psnr = new ArrayList<>();
        List<Double> fullMs = new ArrayList<>();
        List<Double> scaledMs = new ArrayList<>();
        int top1Changed = 0;
        int top5Changed = 0;
        int top5SetChanged = 0;
        int reduced = 0;
        int skipped = 0;
        try (AlexNet net = new AlexNet(w)) {
            for (Path file : files) {
                byte[] data = Files.readAllBytes(file);
                DecodedImage full;
                DecodedImage scaled;
                try {
                    decoder.decode(data, Preprocessor.CENTER_CROP_RESIZE);
                    long t0 = System.nanoTime();
                    full = decoder.decode(data, 0);
                    float[] fullCrop = Preprocessor.cropped(full, Preprocessor.Mode.CENTER_CROP);
                    long t1 = System.nanoTime();
                    scaled = decoder.decode(data, Preprocessor.CENTER_CROP_RESIZE);
                    float[] scaledCrop = Preprocessor.cropped(scaled, Preprocessor.Mode.CENTER_CROP);
                    long t2 = System.nanoTime();
                    fullMs.add((t1 - t0) / 1e6);
                    scaledMs.add((t2 - t1) / 1e6);
                    if (scaled.reduced()) {
                        reduced++;
                    }
                    double se = 0;
                    for (int i = 0; i < fullCrop.length; i++) {
                        double d = fullCrop[i] - scaledCrop[i];
                        se += d * d;
                    }
                    double mse = se / fullCrop.length;
                    psnr.add(mse == 0 ? Double.POSITIVE_INFINITY : 10 * Math.log10(255.0 * 255.0 / mse));
                    int[] a = TopK.indices(net.forward(Preprocessor.toTensor(fullCrop), 1).probabilities(), 5);
                    int[] b = TopK.indices(net.forward(Preprocessor.toTensor(scaledCrop), 1).probabilities(), 5);
                    top1Changed += a[0] != b[0] ? 1 : 0;
                    top5Changed += Arrays.equals(a, b) ? 0 : 1;
                    top5SetChanged += Arrays.equals(sorted(a), sorted(b)) ? 0 : 1;
                } catch (RuntimeException e) {
                    skipped++;
                }
            }
        }
        int n = psnr.size();
        List<Double> finite = psnr.stream().filter(Double::isFinite).sorted().toList();
        System.out.printf(Locale.ROOT, "%d JPEGs (%d skipped), %d of them reduced in the DCT domain (the rest were too small to)%n",
                n, skipped, reduced);
        if (!finite.isEmpty()) {
            System.out.printf(Locale.ROOT, "PSNR of the 227 x 227 crop, scaled against full decode: min %.1f dB, median %.1f dB, "
                    + "10th percentile %.1f dB (%d identical crops)%n", finite.get(0), finite.get(finite.size() / 2),
                    finite.get(finite.size() / 10), n - finite.size());
        }
        System.out.printf(Locale.ROOT, "top-1 changed: %d of %d; top-5 (ordered) changed: %d; top-5 (as a set) changed: %d (weights: %s)%n",
                top1Changed, n, top5Changed, top5SetChanged, weights == null ? "random-init" : weights.getFileName());
        System.out.printf(Locale.ROOT, "decode + crop, median: full %.1f ms, scaled %.1f ms%n", median(fullMs), median(scaledMs));
    }


    private static int[] sorted(int[] a) {
        int[] c = a.clone();
        Arrays.sort(c);
        return c;
    }

    private static double median(List<Double> xs) {
        List<Double> s = xs.stream().sorted().toList();
        return s.isEmpty() ? Double.NaN : s.get(s.size() / 2);
    }
}
