package dev.alexnet.service.fuzz;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.alexnet.service.model.NpyWeightsReader;
import dev.alexnet.service.model.WeightsFormatException;
import dev.alexnet.service.preprocess.ImageDecoder;
import dev.alexnet.service.preprocess.ImageRejectedException;
import dev.alexnet.service.preprocess.Preprocessor;

/**
 * Jazzer targets for the two parsers of untrusted bytes. Only the documented bad-input exceptions
 * may escape; anything else (or an OutOfMemoryError, or a hang) is a finding. Every test run
 * replays the seed corpus in src/test/resources/dev/alexnet/service/fuzz/ParserFuzzTestInputs;
 * to fuzz: JAZZER_FUZZ=1 ./mvnw test-compile surefire:test@fuzz-tests -Dtest='ParserFuzzTest#image' (or
 * #weights). They run in a JVM of their own: Jazzer's agent rewrites the classes it loads.
 */
class ParserFuzzTest {

    private static final Preprocessor PREPROCESSOR =
            new Preprocessor(new ImageDecoder(4_000_000), Preprocessor.Mode.CENTER_CROP, 1);

    @FuzzTest(maxDuration = "60s")
    void image(byte[] data) {
        try {
            PREPROCESSOR.preprocess(data);
        } catch (ImageRejectedException expected) {
            // the documented refusal of bad input
        }
    }

    @FuzzTest(maxDuration = "60s")
    void weights(byte[] data) throws IOException {
        Path file = Files.createTempFile("fuzz", ".npy");
        try {
            Files.write(file, data);
            new NpyWeightsReader().read(file);
        } catch (WeightsFormatException expected) {
            // the documented refusal of a bad weights file
        } finally {
            Files.deleteIfExists(file);
        }
    }
}
