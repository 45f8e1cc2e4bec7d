import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;

/**
 * Times an AlexNet ONNX model in ONNX Runtime's CPU provider with the same protocol as the
 * service's bench mode (warm-up, then the median of timed passes per batch size) and prints one
 * JSON line. usage: java -jar ort-bench.jar MODEL.onnx [batches=1,8,32,64] [seconds=5] [threads=2]
 */
public final class OrtBench {
    public static void main(String[] args) throws Exception {
        String model = args[0];
        String[] batches = (args.length > 1 ? args[1] : "1,8,32,64").split(",");
        double seconds = args.length > 2 ? Double.parseDouble(args[2]) : 5;
        int threads = args.length > 3 ? Integer.parseInt(args[3]) : 2;
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        options.setIntraOpNumThreads(threads);
        options.setInterOpNumThreads(1);
        options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
        StringBuilder json = new StringBuilder("{\"engine\": \"ONNX Runtime " + env.getVersion() + "\", \"threads\": " + threads + ", \"results\": [");
        try (OrtSession session = env.createSession(model, options)) {
            SplittableRandom random = new SplittableRandom(7);
            for (int k = 0; k < batches.length; k++) {
                int b = Integer.parseInt(batches[k].trim());
                float[] data = new float[b * 3 * 227 * 227];
                for (int i = 0; i < data.length; i++) {
                    data[i] = (float) (random.nextDouble() * 255 - 128);
                }
                try (OnnxTensor input = OnnxTensor.createTensor(env, FloatBuffer.wrap(data), new long[] {b, 3, 227, 227})) {
                    for (int i = 0; i < 2; i++) {
                        session.run(Map.of("data", input)).close();
                    }
                    List<Double> times = new ArrayList<>();
                    long deadline = System.nanoTime() + (long) (seconds * 1e9);
                    while (times.size() < 3 || System.nanoTime() < deadline) {
                        long t0 = System.nanoTime();
                        session.run(Map.of("data", input)).close();
                        times.add((System.nanoTime() - t0) / 1e6);
                    }
                    Collections.sort(times);
                    int n = times.size();
                    double ms = n % 2 == 1 ? times.get(n / 2) : (times.get(n / 2 - 1) + times.get(n / 2)) / 2;
                    json.append(String.format(Locale.ROOT, "%s{\"batch\": %d, \"passes\": %d, \"msPerBatch\": %.3f, \"p10Ms\": %.3f, \"p90Ms\": %.3f, \"imagesPerSecond\": %.3f, \"gflops\": %.2f}",
                            k == 0 ? "" : ", ", b, n, ms, times.get(n / 10), times.get(n * 9 / 10), b * 1000 / ms, 1.4488 * b * 1000 / ms));
                }
            }
        }
        System.out.println(json.append("]}"));
    }
}
