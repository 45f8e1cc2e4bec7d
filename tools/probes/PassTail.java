import dev.alexnet.service.model.network.DnnlAlexNet;
import dev.alexnet.service.model.weights.NpyWeightsReader;
import java.util.*;
/**
 * The batch-1 pass of oneDNN's network alone, back to back with a busy gap between passes (the
 * request path's decode at 1 client, 3.5 ms by default), 4 runs of 600: how many passes take over
 * 1.4 times the median with no web server, JIT-compiled request path or collector beside them. Set
 * against the service's own count (passes over 16 ms of 600 after a 10 s warm-up, docs/benchmarks.md
 * section 0000000), it separates the machine's noise from the process's.
 * Run: java -cp "target/classes:$(cat target/classpath.txt)" tools/probes/PassTail.java WEIGHTS.npy [GAP_MICROSECONDS]
 */
public class PassTail {
  public static void main(String[] a) throws Exception {
    org.nd4j.linalg.factory.Nd4j.scalar(1f).addi(1f);
    DnnlAlexNet net = new DnnlAlexNet(new NpyWeightsReader().read(java.nio.file.Path.of(a[0])));
    net.prepare(1); net.keepBatchOnePath(false);
    float[] in = new float[3 * 227 * 227]; Random r = new Random(1); for (int i = 0; i < in.length; i++) in[i] = r.nextFloat() * 100 - 50;
    for (int i = 0; i < 300; i++) net.forward(in, 1);
    int gap = a.length > 1 ? Integer.parseInt(a[1]) : 3500;
    for (int round = 0; round < 4; round++) {
      List<Double> t = new ArrayList<>(); int slow = 0;
      for (int i = 0; i < 600; i++) {
        if (gap > 0) { long d = System.nanoTime() + gap * 1000L; while (System.nanoTime() < d) Thread.onSpinWait(); }
        long t0 = System.nanoTime(); net.forward(in, 1); double ms = (System.nanoTime() - t0) / 1e6; t.add(ms);
      }
      List<Double> s = new ArrayList<>(t); Collections.sort(s);
      double p50 = s.get(300); for (double x : t) if (x > 1.4 * p50) slow++;
      System.out.printf("gap %d us: p50 %.2f p90 %.2f p99 %.2f max %.2f slow(>1.4 p50) %d/600%n", gap, p50, s.get(540), s.get(594), s.get(599), slow);
    }
  }
}
