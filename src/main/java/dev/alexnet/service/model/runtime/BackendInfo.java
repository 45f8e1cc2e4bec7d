package dev.alexnet.service.model.runtime;

import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.nativeblas.NativeOpsHolder;

/**
 * What ND4J actually loaded: the backend, the native build variant, the BLAS, and the device.
 *
 * @param backend     ND4J backend class, e.g. {@code CpuBackend} or {@code JCublasBackend}
 * @param nativeBuild the native library variant, e.g. {@code linux-x86_64-onednn-avx2}
 * @param onednn      whether libnd4j was built with oneDNN
 * @param blas        the BLAS vendor
 * @param device      {@code cpu} or the CUDA device name
 * @param threads     OpenMP threads ND4J uses
 */
public record BackendInfo(String backend, String nativeBuild, boolean onednn, String blas, String device, int threads) {

    /** Initialises ND4J if needed and describes it. Call {@link NativeBuild#select} first. */
    public static BackendInfo current() {
        String backend = Nd4j.getBackend().getClass().getSimpleName();
        var ops = NativeOpsHolder.getInstance().getDeviceNativeOps();
        String build = ops.buildInfo();
        boolean cuda = backend.toLowerCase().contains("cu");
        String device = cuda ? "cuda:" + ops.getDeviceName(0) : "cpu";
        String blas = Nd4j.factory().blas().getBlasVendor().toString();
        String variant = cuda ? "cuda" : NativeBuild.describe(System.getProperty(NativeBuild.PLATFORM_EXTENSION_PROPERTY, ""));
        return new BackendInfo(backend, variant, build != null && build.contains("HAVE_ONEDNN"), blas, device,
                ops.ompGetMaxThreads());
    }

    @Override
    public String toString() {
        return backend + " " + nativeBuild + (onednn ? " (oneDNN)" : "") + ", BLAS " + blas + ", device " + device
                + ", " + threads + " threads";
    }
}
