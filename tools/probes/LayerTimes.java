import java.util.*;
import dev.alexnet.service.model.*;
import dev.alexnet.service.model.network.*;
import dev.alexnet.service.model.weights.*;
import dev.alexnet.service.model.runtime.*;
/**
 * Per-layer time of the serving network's forward pass (the time between Trace callbacks; ND4J's
 * CPU ops are synchronous), median of the second half of -Diters passes (default 400).
 * Run: java -cp "target/classes:$(cat target/classpath.txt)" tools/probes/LayerTimes.java BATCH [sgemv]
 * With DNNL_VERBOSE=1 oneDNN prints each primitive's kind, implementation and time.
 */
public class LayerTimes {
    public static void main(String[] a) throws Exception {
        NativeBuild.select("auto");
        AlexNetWeights w = AlexNetWeights.random(AlexNetArchitecture.FULL, 42);
        int n = Integer.parseInt(a[0]);
        boolean sgemv = a.length > 1 && a[1].equals("sgemv");
        try (AlexNet net = new AlexNet(w, sgemv)) {
            float[] x = new float[n*3*227*227];
            for (int i = 0; i < x.length; i++) x[i] = (i*37%255) - 120f;
            Map<String, List<Double>> t = new LinkedHashMap<>();
            List<Double> total = new ArrayList<>();
            for (int it = 0; it < Integer.getInteger("iters", 400); it++) {
                long[] last = {System.nanoTime()};
                long start = last[0];
                boolean rec = it >= Integer.getInteger("iters", 400) / 2;
                net.forward(x, n, null, (name, act) -> {
                    long now = System.nanoTime();
                    if (rec) t.computeIfAbsent(name, k -> new ArrayList<>()).add((now - last[0]) / 1e6);
                    last[0] = now;
                });
                if (rec) total.add((System.nanoTime() - start) / 1e6);
            }
            for (var e : t.entrySet()) { var l = e.getValue(); Collections.sort(l); System.out.printf("%-6s %7.2f ms%n", e.getKey(), l.get(l.size()/2)); }
            Collections.sort(total); System.out.printf("total  %7.2f ms (p10 %.2f)%n", total.get(total.size()/2), total.get(total.size()/10));
        }
    }
}
