package dev.alexnet.service.model.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;

/** This test JVM's own C2 threads moved to SCHED_IDLE for real, C1's left alone. */
class CompilerThreadsTest {

    @Test
    void c2ThreadsRunAtIdlePolicyAndC1ThreadsDoNot() throws Exception {
        List<Integer> c2 = OpenMpTeams.threadsNamed(CompilerThreads.C2);
        List<Integer> c1 = OpenMpTeams.threadsNamed("C1 CompilerThre");
        List<String> flags = java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments();
        org.junit.jupiter.api.Assumptions.assumeFalse(flags.stream().anyMatch(f -> f.equals("-Xint") || f.startsWith("-XX:TieredStopAtLevel")),
                "a JVM without C2");
        assertThat(c2).as("this JVM's C2 threads").isNotEmpty();
        List<Integer> moved = CompilerThreads.yieldC2ToPasses();
        assertThat(moved).containsExactlyInAnyOrderElementsOf(c2);
        for (int tid : c2) {
            assertThat(CompilerThreads.policyOf(tid)).as("C2 thread %d", tid).isEqualTo(CompilerThreads.SCHED_IDLE);
        }
        for (int tid : c1) {
            assertThat(CompilerThreads.policyOf(tid)).as("C1 thread %d", tid).isZero();
        }
        int self = Integer.parseInt(java.nio.file.Files.readSymbolicLink(java.nio.file.Path.of("/proc/thread-self")).getFileName().toString());
        assertThat(CompilerThreads.policyOf(self)).as("the test's own thread, SCHED_OTHER").isZero();
    }
}
