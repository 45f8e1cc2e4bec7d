package dev.alexnet.service.model.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.factory.Nd4j;

/** libgomp's teams held, bound and released for real, through the libgomp ND4J loads. */
class OpenMpTeamsTest {

    @Test
    void cpuListsAreRead() {
        assertThat(OpenMpTeams.parseCpuList(" 0-3,8\n")).containsExactly(0, 1, 2, 3, 8);
        assertThat(OpenMpTeams.parseCpuList("5")).containsExactly(5);
        assertThat(OpenMpTeams.parseCpuList("")).isEmpty();
    }

    @Test
    void aThreadsTeamIsHeldBoundAndReleased() throws Exception {
        Nd4j.scalar(1f).addi(1f); // loads ND4J's native build and its libgomp, as the engine does before oneDNN
        Optional<OpenMpTeams> found = OpenMpTeams.find();
        if (found.isEmpty()) {
            // Only where oneDNN's own libgomp (before OpenMP 5.0) was loaded first, by a test that ran before this one.
            assertThat(mappedLibgomp()).as("the libgomp loaded").contains("dnnl");
            return;
        }
        OpenMpTeams teams = found.get();
        int cpus = OpenMpTeams.allowedCpus().size();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread thread = new Thread(() -> {
            try {
                assertThat(OpenMpTeams.threadsNamed("omp-teams-test")).hasSize(1);
                teams.holdTeam(2);
                var team = OpenMpTeams.threadsNamed("omp-teams-test");
                assertThat(team).as("the thread and its team's worker").hasSize(2);
                if (cpus >= 2) {
                    assertThat(teams.bind(team)).isTrue();
                    assertThat(cpusAllowedOf(team)).as("one CPU each, not the same one").containsOnly(1);
                    assertThat(cpuOf(team.get(0))).isNotEqualTo(cpuOf(team.get(1)));
                    teams.unbind(team);
                    assertThat(cpusAllowedOf(team)).as("every CPU again").containsOnly(cpus);
                }
                assertThat(teams.releaseTeam()).isTrue();
                assertThat(OpenMpTeams.threadsNamed("omp-teams-test")).as("the worker is gone").hasSize(1);
            } catch (Throwable e) {
                failure.set(e);
            }
        }, "omp-teams-test");
        thread.start();
        thread.join();
        if (failure.get() != null) {
            throw new AssertionError(failure.get());
        }
    }

    private static String mappedLibgomp() throws IOException {
        return Files.readAllLines(Path.of("/proc/self/maps")).stream().filter(l -> l.contains("libgomp.so")).findFirst().orElse("");
    }

    /** How many CPUs each thread may run on. */
    private static java.util.List<Integer> cpusAllowedOf(java.util.List<Integer> tids) throws IOException {
        java.util.List<Integer> counts = new java.util.ArrayList<>();
        for (int tid : tids) {
            counts.add(OpenMpTeams.parseCpuList(statusField(tid, "Cpus_allowed_list:")).size());
        }
        return counts;
    }

    private static String cpuOf(int tid) throws IOException {
        return statusField(tid, "Cpus_allowed_list:").trim();
    }

    private static String statusField(int tid, String field) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/task/" + tid + "/status"))) {
            if (line.startsWith(field)) {
                return line.substring(field.length());
            }
        }
        return "";
    }
}
