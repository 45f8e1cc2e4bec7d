package dev.alexnet.service.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import dev.alexnet.service.model.network.AlexNet;
import dev.alexnet.service.model.AlexNetArchitecture;
import dev.alexnet.service.model.weights.AlexNetWeights;
import dev.alexnet.service.model.runtime.BackendInfo;
import dev.alexnet.service.model.ForwardResult;
import dev.alexnet.service.model.runtime.NativeBuild;
import org.bytedeco.javacpp.Pointer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The singleton engine under concurrent callers: the same answers as alone, and flat memory. */
class InferenceEngineTest {

    private static InferenceEngine engine;

    @BeforeAll
    static void setUp() {
        NativeBuild.select(null);
        engine = new InferenceEngine(new AlexNet(AlexNetWeights.random(AlexNetArchitecture.FULL, 5)), BackendInfo.current(), 0);
        engine.warmUp();
    }

    @AfterAll
    static void tearDown() {
        engine.close();
    }

    private static float[] image(long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] x = new float[3 * 227 * 227];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (random.nextDouble() * 255 - 120);
        }
        return x;
    }

    @Test
    void concurrentCallersGetTheirOwnAnswers() throws Exception {
        int callers = 16;
        List<float[]> expected = new ArrayList<>();
        for (int i = 0; i < callers; i++) {
            expected.add(engine.infer(image(i), 1).probabilities(0));
        }
        ExecutorService pool = Executors.newFixedThreadPool(callers);
        try {
            List<Future<float[]>> answers = new ArrayList<>();
            for (int round = 0; round < 2; round++) {
                for (int i = 0; i < callers; i++) {
                    int id = i;
                    answers.add(pool.submit(() -> engine.infer(image(id), 1).probabilities(0)));
                }
            }
            for (int i = 0; i < answers.size(); i++) {
                assertThat(answers.get(i).get()).as("caller %d", i).containsExactly(expected.get(i % callers));
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(engine.passes()).isGreaterThanOrEqualTo(3L * callers);
    }

    @Test
    void allPassesRunOnTheOneInferenceThread() throws Exception {
        List<CompletableFuture<String>> threads = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            threads.add(engine.submit(image(i), 1).thenApply(r -> Thread.currentThread().getName()));
        }
        for (CompletableFuture<String> t : threads) {
            assertThat(t.get()).isEqualTo("alexnet-inference");
        }
    }

    @Test
    void offHeapMemoryDoesNotGrowWithRequests() {
        float[] batch = new float[8 * 3 * 227 * 227];
        System.arraycopy(image(1), 0, batch, 0, 3 * 227 * 227);
        for (int i = 0; i < 5; i++) {
            engine.infer(batch, 8);
        }
        long before = Pointer.physicalBytes();
        for (int i = 0; i < 40; i++) {
            ForwardResult r = engine.infer(batch, 8);
            assertThat(r.batch()).isEqualTo(8);
        }
        long after = Pointer.physicalBytes();
        // A pass of batch 8 allocates about 90 MB of activations: 40 passes held outside the
        // workspace would add gigabytes of resident memory. Allow 64 MiB of noise.
        assertThat(after - before).as("resident growth over 40 passes").isLessThan(64L << 20);
    }

    @Test
    void badInputFailsOnlyThatCall() {
        CompletableFuture<ForwardResult> bad = engine.submit(new float[10], 1);
        assertThat(bad).failsWithin(java.time.Duration.ofSeconds(30));
        assertThat(engine.infer(image(3), 1).batch()).isEqualTo(1);
    }

    @Test
    void aMeasuringNetworkKeepsItsMeasurementsAndRefusesPassesOnceItsWeightsAreFreed() {
        InferenceEngine measuring = new InferenceEngine(new AlexNet(AlexNetWeights.random(AlexNetArchitecture.FULL, 6)),
                BackendInfo.current(), 0);
        try {
            measuring.warmUp(4, DensePathProbe.Setting.AUTO);
            PassTimes times = measuring.passTimes();
            measuring.releaseWeights();
            assertThat(measuring.passTimes()).isSameAs(times);
            assertThat(measuring.isWarm()).isTrue();
            assertThatThrownBy(() -> measuring.infer(image(1), 1)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("weights were freed");
        } finally {
            measuring.close();
        }
    }
}
