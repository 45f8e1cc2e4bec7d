import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.layers.convolution.Conv2D;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.Conv2DConfig;
import org.nd4j.linalg.api.ops.impl.reduce.Mmul;
import org.nd4j.linalg.factory.Nd4j;
import dev.alexnet.service.model.runtime.NativeBuild;
/**
 * Whether ND4J 1.0.0-M2.1 can run AlexNet's layers in bfloat16: conv3 at batch 32 and fc6 at batch
 * 32 through the same ops the engine uses (Conv2D NHWC/YXIO, the Mmul op), float32 against
 * BFLOAT16. Run: java -cp "target/classes:$(cat target/classpath.txt)" tools/probes/Bf16.java
 * (target/classpath.txt from ./mvnw dependency:build-classpath -Dmdep.outputFile=target/classpath.txt).
 */
public class Bf16 {
  static double time(Runnable r, int n) { for (int i=0;i<3;i++) r.run(); long t=System.nanoTime(); for(int i=0;i<n;i++) r.run(); return (System.nanoTime()-t)/1e6/n; }
  public static void main(String[] a) {
    NativeBuild.select("auto");
    for (DataType dt : new DataType[]{DataType.FLOAT, DataType.BFLOAT16}) {
      try {
        INDArray x = Nd4j.rand(DataType.FLOAT, 32, 13, 13, 256).castTo(dt);
        INDArray w = Nd4j.rand(DataType.FLOAT, 3, 3, 256, 384).castTo(dt);
        INDArray b = Nd4j.rand(DataType.FLOAT, 384).castTo(dt);
        Conv2DConfig cfg = Conv2DConfig.builder().kH(3).kW(3).sH(1).sW(1).pH(1).pW(1).dH(1).dW(1).paddingMode(org.nd4j.linalg.api.ops.impl.layers.convolution.config.PaddingMode.VALID).dataFormat(Conv2DConfig.NHWC).weightsFormat(org.nd4j.enums.WeightsFormat.YXIO).build();
        INDArray[] out = new INDArray[1];
        double ms = time(() -> out[0] = Nd4j.exec(new Conv2D(x, w, b, cfg))[0], 10);
        System.out.printf("%s conv3 b32: %.2f ms, out %s%n", dt, ms, out[0].dataType());
      } catch (Throwable e) { System.out.println(dt + " conv: " + e); }
      try {
        INDArray x = Nd4j.rand(DataType.FLOAT, 32, 9216).castTo(dt);
        INDArray w = Nd4j.rand(DataType.FLOAT, 9216, 4096).castTo(dt);
        INDArray z = Nd4j.create(dt, 32, 4096);
        double ms = time(() -> Nd4j.exec(new Mmul(x, w, z, null)), 10);
        System.out.printf("%s fc6 b32: %.2f ms%n", dt, ms);
      } catch (Throwable e) { System.out.println(dt + " mmul: " + e); }
    }
  }
}
