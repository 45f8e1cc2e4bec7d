package dev.alexnet.service.engine;

import java.nio.file.Path;

import dev.alexnet.service.model.network.AlexNet;
import dev.alexnet.service.model.network.DnnlAlexNet;
import dev.alexnet.service.model.Precision;
import dev.alexnet.service.model.network.ServingNetwork;
import dev.alexnet.service.model.AlexNetArchitecture;
import dev.alexnet.service.model.weights.AlexNetWeights;
import dev.alexnet.service.model.runtime.BackendInfo;
import dev.alexnet.service.model.runtime.NativeBuild;
import dev.alexnet.service.model.weights.NpyWeightsReader;
import dev.alexnet.service.model.runtime.OpenMpSpin;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Builds the engine: selects the native build, reads the weights (or makes random ones), and logs what it got. */
public final class EngineLoader {

    private static final Logger log = LoggerFactory.getLogger(EngineLoader.class);
    private static final String CUDA_BACKEND = "org.nd4j.linalg.jcublas.JCublasBackend";

    private EngineLoader() {
    }

    /**
     * @param weights       a bvlc-format file, or null for the random initialisation
     * @param seed          the random initialisation's seed
     * @param cpuExtension  {@code alexnet.backend.cpu-extension}
     */
    public static InferenceEngine load(Path weights, long seed, String cpuExtension) {
        return load(weights, seed, cpuExtension, null);
    }

    /**
     * {@link #load(Path, long, String)} for an engine that runs its passes on {@code sharedWorker}
     * (a model repository's versions share the one inference thread); null for a thread of its own.
     */
    public static InferenceEngine load(Path weights, long seed, String cpuExtension, InferenceThread sharedWorker) {
        return load(weights, seed, cpuExtension, PassSetting.AUTO, Precision.FP32, sharedWorker, true);
    }

    /** {@link #load(Path, long, String, InferenceThread)} with the forward pass chosen by {@code pass}. */
    public static InferenceEngine load(Path weights, long seed, String cpuExtension, PassSetting pass,
                                       InferenceThread sharedWorker) {
        return load(weights, seed, cpuExtension, pass, Precision.FP32, sharedWorker, true);
    }

    /** As above, computing in {@code precision} ({@code alexnet.precision}). */
    public static InferenceEngine load(Path weights, long seed, String cpuExtension, PassSetting pass, Precision precision,
                                       InferenceThread sharedWorker) {
        return load(weights, seed, cpuExtension, pass, precision, sharedWorker, true);
    }

    /**
     * A random-init network that only measures this machine (pass times, the batch-1 dense path)
     * and serves nothing: with a model repository, the models come from there. No warning banner.
     */
    public static InferenceEngine loadForMeasurement(long seed, String cpuExtension, PassSetting pass, Precision precision) {
        return load(null, seed, cpuExtension, pass, precision, null, false);
    }

    private static InferenceEngine load(Path weights, long seed, String cpuExtension, PassSetting pass, Precision precision,
                                        InferenceThread sharedWorker, boolean serving) {
        NativeBuild.select(cpuExtension);
        BackendInfo backend = BackendInfo.current();
        log.info("ND4J backend: {}", backend);
        if (!backend.device().startsWith("cuda") && isOnClasspath(CUDA_BACKEND)) {
            log.warn("This is the CUDA build, but no usable GPU or CUDA runtime was found: running on the CPU ({})",
                    backend.nativeBuild());
        }
        log.info("OpenMP idle spin: {}", OpenMpSpin.fromEnvironment());
        long start = System.nanoTime();
        AlexNetWeights loaded;
        if (weights == null && !serving) {
            loaded = AlexNetWeights.random(AlexNetArchitecture.FULL, seed);
            log.info("A random-init AlexNet measures this machine's pass times at start; the models served come from the repository");
        } else if (weights == null) {
            loaded = AlexNetWeights.random(AlexNetArchitecture.FULL, seed);
            log.warn("""

                    **************************************************************************
                    *  NO WEIGHTS CONFIGURED: AlexNet is running on RANDOM weights            *
                    *  (random-init, seed {}). Its predictions are meaningless.
                    *  Set ALEXNET_WEIGHTS=/path/to/bvlc_alexnet.npy (scripts/fetch-weights.sh)
                    **************************************************************************""", seed);
        } else {
            loaded = new NpyWeightsReader().read(weights);
        }
        ServingNetwork network = network(loaded, backend, pass, precision);
        if (network instanceof AlexNet && !backend.onednn() && !backend.device().startsWith("cuda")) {
            log.warn("The generic ND4J native build is loaded (no oneDNN) and the pass runs on ND4J's ops: inference is "
                    + "about 3x slower. Set alexnet.backend.cpu-extension=onednn-avx2 on a CPU with AVX2 and FMA.");
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        log.info("Model: AlexNet {} ({} parameters), weights {}{}, forward pass on {} in {}, loaded in {} s", loaded.architecture(),
                loaded.parameterCount(), loaded.source().name(),
                loaded.source().sha256() == null ? "" : " sha256 " + loaded.source().sha256(), network.passName(),
                network.precision().label(),
                String.format("%.2f", seconds));
        return sharedWorker == null ? new InferenceEngine(network, backend, seconds)
                : new InferenceEngine(network, backend, seconds, sharedWorker);
    }

    /**
     * The serving network: oneDNN's primitives directly unless the setting or the backend says ND4J.
     * On a CUDA device the ND4J pass runs on the GPU; oneDNN's would not. If oneDNN's runtime
     * cannot load or refuses the network (another OS or CPU architecture), {@code auto} falls back to
     * ND4J and says why; {@code onednn} fails.
     */
    public static ServingNetwork network(AlexNetWeights weights, BackendInfo backend, PassSetting pass) {
        return network(weights, backend, pass, Precision.FP32);
    }

    /**
     * {@link #network(AlexNetWeights, BackendInfo, PassSetting)} computing in {@code precision}.
     * bf16 is the oneDNN pass's only: asked of the ND4J pass, or on a CPU without bfloat16
     * instructions, it fails, since a user who chose it for speed would otherwise get a slower
     * or different pass without knowing.
     */
    public static ServingNetwork network(AlexNetWeights weights, BackendInfo backend, PassSetting pass, Precision precision) {
        boolean gpu = backend.device().startsWith("cuda");
        if (precision != Precision.FP32 && (pass == PassSetting.ND4J || gpu)) {
            throw new IllegalStateException("alexnet.precision=" + precision.label()
                    + " runs on oneDNN's pass only; this one runs on ND4J's ops (" + backend.device() + ")");
        }
        if (pass == PassSetting.ND4J || (pass == PassSetting.AUTO && gpu)) {
            return new AlexNet(weights);
        }
        try {
            DnnlAlexNet network = new DnnlAlexNet(weights, precision);
            // Not its layouts: they come from building a plan, which the warm-up does for every batch size and then logs.
            log.info("Forward pass on oneDNN's primitives ({})", DnnlAlexNet.runtime());
            return network;
        } catch (RuntimeException | LinkageError e) {
            if (pass == PassSetting.ONEDNN) {
                throw new IllegalStateException("alexnet.backend.forward-pass=onednn, but oneDNN could not run the network", e);
            }
            if (precision != Precision.FP32) {
                // DnnlAlexNet refuses bf16 on a CPU without it: say why, rather than fall back to ND4J's fp32 pass.
                throw new IllegalStateException("alexnet.precision=" + precision.label() + ", but oneDNN could not run the network: "
                        + e.getMessage(), e);
            }
            log.warn("oneDNN's runtime could not run the network ({}): the forward pass runs on ND4J's ops", e.toString());
            return new AlexNet(weights);
        }
    }

    private static boolean isOnClasspath(String className) {
        try {
            Class.forName(className, false, EngineLoader.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }
}
