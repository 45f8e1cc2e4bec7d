import java.util.*;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.layers.convolution.Conv2D;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.Conv2DConfig;
import org.nd4j.linalg.api.ops.impl.reduce.Mmul;
import org.nd4j.linalg.factory.Nd4j;
import dev.alexnet.service.model.runtime.NativeBuild;
/**
 * conv1 alone at batch N, ND4J's Conv2D (oneDNN) against im2col in Java plus the Mmul op on the
 * file's HWIO weights as they are (no reorder), with the largest difference between the two, and
 * after what precedes it in a pass: MODE none, fc (a 151 MB Mmul like fc6's), sleep
 * (5 ms idle), ws (input and output in a workspace configured like the pass's), ws+8 (the same,
 * 8 bytes off). Run: java -cp "target/classes:$(cat target/classpath.txt)" tools/probes/Conv1Context.java 1 MODE
 */
public class Conv1Context {
  public static void main(String[] a) {
    NativeBuild.select("auto");
    int n = Integer.parseInt(a[0]);
    float[] nhwc = new float[n*227*227*3]; for (int i=0;i<nhwc.length;i++) nhwc[i]=(i*37%255)-120f;
    INDArray x = Nd4j.create(nhwc, new long[]{n,227,227,3}, 'c');
    INDArray w = Nd4j.rand(DataType.FLOAT, 11,11,3,96).subi(0.5);
    INDArray b = Nd4j.rand(DataType.FLOAT, 96);
    Conv2DConfig cfg = Conv2DConfig.builder().kH(11).kW(11).sH(4).sW(4).pH(0).pW(0).dH(1).dW(1).paddingMode(org.nd4j.linalg.api.ops.impl.layers.convolution.config.PaddingMode.VALID).dataFormat(Conv2DConfig.NHWC).weightsFormat(org.nd4j.enums.WeightsFormat.YXIO).build();
    INDArray w2 = w.reshape('c', 363, 96);
    float[] col = new float[n*3025*363];
    INDArray colArr = Nd4j.create(DataType.FLOAT, n*3025, 363);
    INDArray out = Nd4j.create(DataType.FLOAT, n*3025, 96);
    List<Double> t1 = new ArrayList<>(), t2 = new ArrayList<>(), t3 = new ArrayList<>();
    INDArray ref = null, mine = null;
    INDArray fx = Nd4j.rand(DataType.FLOAT, 1, 9216);
    INDArray fw = Nd4j.rand(DataType.FLOAT, 9216, 4096);
    INDArray fz = Nd4j.create(DataType.FLOAT, 1, 4096);
    INDArray small = Nd4j.rand(DataType.FLOAT, 1, 1024);
    String mode = a.length > 1 ? a[1] : "fc";
    org.nd4j.linalg.api.memory.conf.WorkspaceConfiguration WS = org.nd4j.linalg.api.memory.conf.WorkspaceConfiguration.builder().initialSize(0)
        .policyAllocation(org.nd4j.linalg.api.memory.enums.AllocationPolicy.OVERALLOCATE).overallocationLimit(0.1)
        .policyLearning(org.nd4j.linalg.api.memory.enums.LearningPolicy.FIRST_LOOP).policyReset(org.nd4j.linalg.api.memory.enums.ResetPolicy.BLOCK_LEFT)
        .policySpill(org.nd4j.linalg.api.memory.enums.SpillPolicy.REALLOCATE).build();
    for (int it=0; it<300; it++) {
      if (mode.equals("fc") || mode.equals("fc+wake")) Nd4j.exec(new Mmul(fx, fw, fz, null));
      if (mode.equals("sleep")) { try { Thread.sleep(5); } catch (InterruptedException e) {} }
      if (mode.equals("fc+wake")) small.addi(1f);
      long s=System.nanoTime();
      if (mode.startsWith("ws")) {
        try (org.nd4j.linalg.api.memory.MemoryWorkspace ws = Nd4j.getWorkspaceManager().getAndActivateWorkspace(WS, "probe")) {
          INDArray pad = mode.equals("ws+8") ? Nd4j.create(DataType.FLOAT, 2) : null;
          INDArray xin = x.dup('c');
          ref = Nd4j.exec(new Conv2D(xin, w, b, cfg))[0];
          ref = ref.detach();
        }
      } else
      ref = Nd4j.exec(new Conv2D(x, w, b, cfg))[0];
      long m=System.nanoTime();
      // im2col in Java from NHWC: row (img,oy,ox), cols (kh,kw,c); 33 contiguous floats per kh
      int r=0;
      for (int img=0; img<n; img++) for (int oy=0; oy<55; oy++) for (int ox=0; ox<55; ox++) {
        int base=r*363;
        for (int kh=0; kh<11; kh++) System.arraycopy(nhwc, ((img*227 + oy*4+kh)*227 + ox*4)*3, col, base + kh*33, 33);
        r++;
      }
      long c=System.nanoTime();
      colArr.data().setData(col);
      Nd4j.exec(new Mmul(colArr, w2, out, null));
      out.addiRowVector(b);
      long e=System.nanoTime();
      if (it>=150) { t1.add((m-s)/1e6); t2.add((c-m)/1e6); t3.add((e-c)/1e6); }
    }
    Collections.sort(t1); Collections.sort(t2); Collections.sort(t3);
    double diff = ref.reshape(n*3025,96).sub(out).amaxNumber().doubleValue();
    System.out.printf("n=%d oneDNN conv %.2f ms; im2col %.2f ms + copy+mmul+bias %.2f ms; max diff %.2e (max |ref| %.1f)%n", n, t1.get(75), t2.get(75), t3.get(75), diff, ref.amaxNumber().doubleValue());
  }
}
