import dev.alexnet.service.model.network.DnnlAlexNet;
import dev.alexnet.service.model.weights.NpyWeightsReader;
import java.util.*;
/**
 * The batch-1 pass of oneDNN's network alone, after idle gaps of 0, 4 and 40 ms (a small photo's and
 * a phone photo's request path at 1 client) and after 40 ms of work on the same thread, first with
 * one OpenMP team in the process, then with a second, idle one (a thread that once ran a pass and
 * lives on): libgomp throttles idle workers to 100 spins once the process holds more team threads
 * than CPUs. ND4J is loaded first, as in the service, so that its libgomp is the one used.
 * Run: java -cp "target/classes:$(cat target/classpath.txt)" tools/probes/IdleTeams.java WEIGHTS.npy
 */
public class IdleTeams {
  static String run(DnnlAlexNet net, float[] in, int n, int gapMs, boolean busy) throws Exception {
    List<Double> t = new ArrayList<>();
    byte[] junk = new byte[32 << 20];
    for (int i = 0; i < n; i++) {
      if (busy) { long d = System.nanoTime() + gapMs * 1_000_000L; int s = 0; while (System.nanoTime() < d) { for (int k = 0; k < junk.length; k += 64) s += junk[k]++; } }
      else if (gapMs > 0) Thread.sleep(gapMs);
      long t0 = System.nanoTime(); net.forward(in, 1); t.add((System.nanoTime() - t0) / 1e6);
    }
    Collections.sort(t);
    return String.format("p50 %.2f p90 %.2f", t.get(n / 2), t.get(n * 9 / 10));
  }
  public static void main(String[] a) throws Exception {
    org.nd4j.linalg.factory.Nd4j.scalar(1f).addi(1f);
    DnnlAlexNet net = new DnnlAlexNet(new NpyWeightsReader().read(java.nio.file.Path.of(a[0])));
    net.prepare(1); net.keepBatchOnePath(false);
    float[] in = new float[3 * 227 * 227]; Random r = new Random(1); for (int i = 0; i < in.length; i++) in[i] = r.nextFloat() * 100 - 50;
    run(net, in, 200, 0, false);
    for (int teams = 1; teams <= 2; teams++) {
      System.out.println(teams + " team(s): gap 0: " + run(net, in, 300, 0, false) + " | idle 4 ms: " + run(net, in, 200, 4, false)
          + " | idle 40 ms: " + run(net, in, 60, 40, false) + " | busy 40 ms: " + run(net, in, 60, 40, true));
      if (teams == 1) {
        Thread other = new Thread(() -> { net.forward(in, 1); try { Thread.sleep(Long.MAX_VALUE); } catch (InterruptedException e) { } });
        other.setDaemon(true); other.start(); other.join(2000);
      }
    }
  }
}
