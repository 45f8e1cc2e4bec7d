package dev.alexnet.service.model.weights;

import dev.alexnet.service.model.AlexNetArchitecture;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.slf4j.LoggerFactory;

/** The loader accepts every dialect of the bvlc file and rejects each kind of bad file with a clear message. */
class NpyWeightsReaderTest {

    private static final AlexNetArchitecture TINY = new AlexNetArchitecture(2, 2, 2, 2, 2, 4, 4, 3);

    @TempDir
    Path dir;

    private static float[] flatten(AlexNetWeights weights) {
        int total = (int) weights.parameterCount();
        float[] all = new float[total];
        int offset = 0;
        for (LayerWeights layer : weights.layers().values()) {
            System.arraycopy(layer.weights().data(), 0, all, offset, layer.weights().size());
            offset += layer.weights().size();
            System.arraycopy(layer.bias().data(), 0, all, offset, layer.bias().size());
            offset += layer.bias().size();
        }
        return all;
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-py2.npy", "tiny-py3-p2.npy", "tiny-py3-p3.npy", "tiny-py3-p4.npy", "tiny-py3-p5.npy",
            "tiny-np2-p2.npy", "tiny-np2-p3.npy", "tiny-np2-p4.npy", "tiny-np2-p5.npy"})
    void readsEveryDialectToTheSameValues(String name) throws Exception {
        AlexNetWeights weights = new NpyWeightsReader().read(NpyArrays.fixture(name));
        assertThat(weights.architecture()).isEqualTo(TINY);
        assertThat(flatten(weights)).containsExactly(NpyArrays.read("/fixtures/tiny-values.npy").data());
        assertThat(weights.source().name()).isEqualTo(name);
        assertThat(weights.source().sha256()).hasSize(64);
        assertThat(weights.source().isRandom()).isFalse();
    }

    @Test
    void writerOutputReadsBackBitIdentical() throws Exception {
        AlexNetWeights original = new NpyWeightsReader().read(NpyArrays.fixture("reduced.npy"));
        Path file = dir.resolve("copy.npy");
        new NpyWeightsWriter().write(original, file);
        AlexNetWeights copy = new NpyWeightsReader().read(file);
        assertThat(copy.architecture()).isEqualTo(original.architecture());
        assertThat(copy.layers()).isEqualTo(original.layers());
        // The Python 2 dialect: str data as SHORT_BINSTRING/BINSTRING, numpy.core globals, no unicode.
        String text = new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1);
        assertThat(text).startsWith("\u0093NUMPY\u0001\u0000").contains("cnumpy.core.multiarray\n_reconstruct\n")
                .contains("U\u0005conv1").contains("U\u0002f4");
        assertThat(Files.size(file) % 16).isNotNegative();
        assertThat(text.indexOf('\n') + 1).isEqualTo(text.indexOf("\u0080\u0002"));
        assertThat(text.indexOf("\u0080\u0002") % 16).isZero();
    }

    @Test
    void missingFile() {
        Path file = dir.resolve("absent.npy");
        assertThatThrownBy(() -> new NpyWeightsReader().read(file))
                .isInstanceOf(WeightsFormatException.class)
                .hasMessageContaining(file.toString()).hasMessageContaining("no such file");
    }

    @Test
    void notAnNpyFile() throws IOException {
        Path file = Files.writeString(dir.resolve("weights.npy"), "PK\u0003\u0004 this is a zip, not an npy");
        assertThatThrownBy(() -> new NpyWeightsReader().read(file))
                .isInstanceOf(WeightsFormatException.class)
                .hasMessageContaining(file.toString()).hasMessageContaining("not an NPY file");
    }

    @Test
    void plainFloatArrayIsNotTheBvlcFormat() throws Exception {
        Path file = NpyArrays.fixture("reduced-prob.npy");
        assertThatThrownBy(() -> new NpyWeightsReader().read(file))
                .isInstanceOf(WeightsFormatException.class)
                .hasMessageContaining("'<f4'").hasMessageContaining("0-d object array");
    }

    @ParameterizedTest
    @ValueSource(ints = {9, 100, 2000, 60000, 129000, 129815})
    void truncatedFile(int length) throws Exception {
        byte[] full = Files.readAllBytes(NpyArrays.fixture("reduced.npy"));
        Path file = Files.write(dir.resolve("cut.npy"), java.util.Arrays.copyOf(full, length));
        assertThatThrownBy(() -> new NpyWeightsReader().read(file))
                .isInstanceOf(WeightsFormatException.class)
                .hasMessageContaining(file.toString()).hasMessageContaining("truncated");
    }

    @Test
    void wrongDtype() throws Exception {
        byte[] bytes = Files.readAllBytes(NpyArrays.fixture("tiny-py2.npy"));
        String text = new String(bytes, StandardCharsets.ISO_8859_1);
        // The first float array is conv1's weights: declare them float64.
        int at = text.indexOf("U\u0002f4");
        bytes[at + 3] = '8';
        Path file = Files.write(dir.resolve("f8.npy"), bytes);
        assertThatThrownBy(() -> new NpyWeightsReader().read(file))
                .isInstanceOf(WeightsFormatException.class)
                .hasMessageContaining(file.toString()).hasMessageContaining("layer conv1 weights")
                .hasMessageContaining("'<f8'").hasMessageContaining("'<f4'");
    }

    private Path writeLayers(Map<String, LayerWeights> layers) throws IOException {
        Path file = dir.resolve("custom.npy");
        new NpyWeightsWriter().writeUnchecked(new ArrayList<>(layers.values()), file);
        return file;
    }

    private static Map<String, LayerWeights> tinyLayers() {
        return new LinkedHashMap<>(AlexNetWeights.random(TINY, 3).layers());
    }

    @Test
    void missingLayer() throws Exception {
        Map<String, LayerWeights> layers = tinyLayers();
        layers.remove("fc7");
        Path file = writeLayers(layers);
        assertThatThrownBy(() -> new NpyWeightsReader().read(file))
                .isInstanceOf(WeightsFormatException.class)
                .hasMessageContaining(file.toString()).hasMessageContaining("layer fc7 is missing");
    }

    @Test
    void wrongShape() throws Exception {
        Map<String, LayerWeights> layers = tinyLayers();
        // conv2 must see conv1's 2 channels split in two groups: [5, 5, 1, 2]. Give it [5, 5, 2, 2].
        layers.put("conv2", new LayerWeights("conv2", new Tensor(new long[] {5, 5, 2, 2}, new float[100]),
                new Tensor(new long[] {2}, new float[2])));
        Path file = writeLayers(layers);
        assertThatThrownBy(() -> new NpyWeightsReader().read(file))
                .isInstanceOf(WeightsFormatException.class)
                .hasMessageContaining(file.toString()).hasMessageContaining("layer conv2 weights")
                .hasMessageContaining("[5, 5, 2, 2]").hasMessageContaining("expected [5, 5, 1, 2]");
    }

    @Test
    void wrongBiasShape() throws Exception {
        Map<String, LayerWeights> layers = tinyLayers();
        LayerWeights fc8 = layers.get("fc8");
        layers.put("fc8", new LayerWeights("fc8", fc8.weights(), new Tensor(new long[] {5}, new float[5])));
        Path file = writeLayers(layers);
        assertThatThrownBy(() -> new NpyWeightsReader().read(file))
                .isInstanceOf(WeightsFormatException.class)
                .hasMessageContaining("layer fc8 bias").hasMessageContaining("[5]").hasMessageContaining("expected [3]");
    }

    @Test
    void unknownExtraLayerIsAWarning() throws Exception {
        Map<String, LayerWeights> layers = tinyLayers();
        layers.put("fc9", new LayerWeights("fc9", new Tensor(new long[] {3, 2}, new float[6]), new Tensor(new long[] {2}, new float[2])));
        Path file = writeLayers(layers);
        Logger logger = (Logger) LoggerFactory.getLogger(NpyWeightsReader.class);
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.start();
        logger.addAppender(appender);
        try {
            AlexNetWeights weights = new NpyWeightsReader().read(file);
            assertThat(weights.layers()).containsOnlyKeys(AlexNetArchitecture.LAYERS);
            List<String> warnings = appender.list.stream()
                    .filter(e -> e.getLevel() == ch.qos.logback.classic.Level.WARN).map(ILoggingEvent::getFormattedMessage).toList();
            assertThat(warnings).anySatisfy(w -> assertThat(w).contains("fc9").contains(file.toString()));
        } finally {
            logger.detachAppender(appender);
        }
    }

    @Test
    void directoryIsRejected() {
        assertThatThrownBy(() -> new NpyWeightsReader().read(dir))
                .isInstanceOf(WeightsFormatException.class).hasMessageContaining("directory");
    }
}
