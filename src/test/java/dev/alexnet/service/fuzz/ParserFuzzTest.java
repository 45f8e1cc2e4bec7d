package dev.alexnet.service.fuzz;

import java.nio.file.Files;
import java.nio.file.Path;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.alexnet.service.model.weights.NpyWeightsReader;
import dev.alexnet.service.model.weights.WeightsFormatException;
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

    /** Runs each input on a worker thread: one that takes longer than its limit is reported as a hang. */
    private static final ExecutorService WORKER = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "fuzz-target");
        t.setDaemon(true);
        return t;
    });

    @FuzzTest(maxDuration = "60s")
    void image(byte[] data) throws Exception {
        withinTimeLimit(10, () -> {
            try {
                PREPROCESSOR.preprocess(data);
            } catch (ImageRejectedException expected) {
                // the documented refusal of bad input
            }
            return null;
        });
    }

    @FuzzTest(maxDuration = "60s")
    void weights(byte[] data) throws Exception {
        // Jazzer's instrumentation makes the pickle reader slow: valid seeds take up to ~20 s here.
        withinTimeLimit(60, () -> {
            Path file = Files.createTempFile("fuzz", ".npy");
            try {
                Files.write(file, data);
                new NpyWeightsReader().read(file);
            } catch (WeightsFormatException expected) {
                // the documented refusal of a bad weights file
            } finally {
                Files.deleteIfExists(file);
            }
            return null;
        });
    }

    private static void withinTimeLimit(long seconds, java.util.concurrent.Callable<Void> target) throws Exception {
        Future<Void> run = WORKER.submit(target);
        try {
            run.get(seconds, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            throw new AssertionError("hang: an input took more than " + seconds + " s");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Exception cause) {
                throw cause;
            }
            throw (Error) e.getCause();
        }
    }
}
