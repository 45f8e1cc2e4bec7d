package dev.alexnet.service.model.network;

import dev.alexnet.service.model.AlexNetArchitecture;
import dev.alexnet.service.model.ForwardResult;
import dev.alexnet.service.model.runtime.NativeBuild;
import dev.alexnet.service.model.weights.AlexNetWeights;
import dev.alexnet.service.model.weights.NpyArrays;
import dev.alexnet.service.model.weights.NpyWeightsReader;
import static dev.alexnet.service.model.network.Assertions2.assertClose;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.URISyntaxException;
import java.nio.file.Path;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The whole network against PyTorch (tools/make_reference_fixtures.py): a reduced-width AlexNet
 * with the spec's geometry, its weights in the bvlc Python 2 dialect, and PyTorch's float64
 * probabilities and fc7 features for two 227x227 inputs.
 */
class AlexNetReferenceTest {

    @BeforeAll
    static void backend() {
        NativeBuild.select(null);
    }

    static Path fixture(String name) throws URISyntaxException {
        return NpyArrays.fixture(name);
    }

    @Test
    void reducedNetworkMatchesPyTorch() throws Exception {
        AlexNetWeights weights = new NpyWeightsReader().read(fixture("reduced.npy"));
        assertThat(weights.architecture()).isEqualTo(new AlexNetArchitecture(8, 16, 24, 24, 16, 32, 32, 10));
        NpyArrays.Array input = NpyArrays.read("/fixtures/reduced-input.npy");
        NpyArrays.Array prob = NpyArrays.read("/fixtures/reduced-prob.npy");
        NpyArrays.Array fc7 = NpyArrays.read("/fixtures/reduced-fc7.npy");
        try (AlexNet net = new AlexNet(weights)) {
            ForwardResult result = net.forward(input.data(), 2);
            assertClose(prob.data(), result.probabilities(), 1e-5, "probabilities");
            assertClose(fc7.data(), result.features(), 1e-5, "fc7");
        }
    }

    /** A batch of one takes its own path through the dense layers: both of them against PyTorch. */
    @Test
    void batchOfOneMatchesPyTorchOnBothDensePaths() throws Exception {
        AlexNetWeights weights = new NpyWeightsReader().read(fixture("reduced.npy"));
        NpyArrays.Array input = NpyArrays.read("/fixtures/reduced-input.npy");
        NpyArrays.Array prob = NpyArrays.read("/fixtures/reduced-prob.npy");
        NpyArrays.Array fc7 = NpyArrays.read("/fixtures/reduced-fc7.npy");
        int classes = weights.architecture().classes();
        int features = weights.architecture().fc7();
        float[] second = new float[input.data().length / 2];
        System.arraycopy(input.data(), second.length, second, 0, second.length);
        for (boolean sgemv : new boolean[] {true, false}) {
            try (AlexNet net = new AlexNet(weights, sgemv)) {
                ForwardResult single = net.forward(second, 1);
                assertClose(java.util.Arrays.copyOfRange(prob.data(), classes, 2 * classes), single.probabilities(0), 1e-5,
                        "probabilities, sgemv " + sgemv);
                assertClose(java.util.Arrays.copyOfRange(fc7.data(), features, 2 * features), single.features(0), 1e-5,
                        "fc7, sgemv " + sgemv);
                assertClose(net.forward(input.data(), 2).probabilities(1), single.probabilities(0), 1e-6,
                        "batch of 1 vs batch of 2, sgemv " + sgemv);
            }
        }
    }
}
