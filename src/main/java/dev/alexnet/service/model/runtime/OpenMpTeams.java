package dev.alexnet.service.model.runtime;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import com.sun.jna.Function;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * libgomp's thread teams, as far as Java can steer them, through JNA on the libgomp the process has
 * already loaded (ND4J's copy, loaded before oneDNN's, which resolves to it).
 * <p>
 * libgomp gives every thread that runs a parallel region a team of worker threads, kept idle until
 * that thread exits or releases it. An idle worker waits for the next region by spinning, then
 * sleeping on a futex: 300,000 spins, except while the process holds more team threads than CPUs,
 * when it spins 100 (libgomp's env.c, {@code gomp_throttled_spin_count_var}). Which of the two a
 * forward pass gets decides how it shares the CPU: the long spin keeps the workers awake between a
 * pass's 14 regions (a pass is faster, the more so after an idle spell) but also for milliseconds
 * after it, on cores that request threads need for decoding; the short one yields at once. No
 * environment variable can give both, so the engine switches between them by holding or releasing
 * a team of its own ({@code engine.TeamThrottle}).
 */
public final class OpenMpTeams {

    private static final Logger log = LoggerFactory.getLogger(OpenMpTeams.class);
    /** {@code omp_pause_soft}: the calling thread's team is stopped and freed; it comes back at its next region. */
    private static final int OMP_PAUSE_SOFT = 1;

    private final Path library;
    private final Function parallel;
    private final Function pause;
    private final Function noOp;

    private OpenMpTeams(Path library, Function parallel, Function pause, Function noOp) {
        this.library = library;
        this.parallel = parallel;
        this.pause = pause;
        this.noOp = noOp;
    }

    /**
     * The libgomp loaded in this process, if it has {@code omp_pause_resource_all} (OpenMP 5.0, GCC
     * 10 and later: ND4J's copy has it, oneDNN's older one does not); empty otherwise, and where JNA
     * or libgomp is missing (the CUDA build, another OS), with the reason logged at debug level.
     */
    public static Optional<OpenMpTeams> find() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/maps"))) {
                int slash = line.indexOf('/');
                if (slash < 0 || !line.contains("libgomp.so")) {
                    continue;
                }
                Path path = Path.of(line.substring(slash).trim());
                NativeLibrary gomp = NativeLibrary.getInstance(path.toString());
                try {
                    Function pause = gomp.getFunction("omp_pause_resource_all");
                    Function parallel = gomp.getFunction("GOMP_parallel");
                    // free(NULL) does nothing: a region whose body is that only creates the team.
                    Function noOp = NativeLibrary.getInstance("c").getFunction("free");
                    return Optional.of(new OpenMpTeams(path, parallel, pause, noOp));
                } catch (UnsatisfiedLinkError e) {
                    log.debug("libgomp at {} has no omp_pause_resource_all (before OpenMP 5.0)", path);
                }
            }
            log.debug("No libgomp with omp_pause_resource_all is loaded: OpenMP teams are not steered");
        } catch (IOException | RuntimeException | LinkageError e) {
            log.debug("OpenMP teams are not steered ({})", e.toString());
        }
        return Optional.empty();
    }

    /** Gives the calling thread a team of {@code threads} (itself included), idle once this returns. */
    public void holdTeam(int threads) {
        parallel.invokeVoid(new Object[] {noOp, Pointer.NULL, threads, 0});
    }

    /** Stops and frees the calling thread's team, if it has one; false if libgomp refused (inside a region). */
    public boolean releaseTeam() {
        return pause.invokeInt(new Object[] {OMP_PAUSE_SOFT}) == 0;
    }

    /**
     * The threads named {@code comm} (as Linux shows thread names: their first 15 characters): a
     * thread that ran parallel regions and its team's workers, which take their creator's name.
     */
    public static List<Integer> threadsNamed(String comm) throws IOException {
        List<Integer> tids = new ArrayList<>();
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc/self/task"))) {
            for (Path task : tasks) {
                int tid = Integer.parseInt(task.getFileName().toString());
                if (comm.equals(comm(tid))) {
                    tids.add(tid);
                }
            }
        }
        tids.sort(null);
        return tids;
    }

    /**
     * Binds each of {@code tids} to a CPU of its own, the first CPUs this process may run on (as
     * {@code OMP_PROC_BIND=close} would at start-up, which Java cannot set); false, binding none,
     * where there are fewer CPUs than threads or the call fails.
     * <p>
     * Why: left to the scheduler, a pass woken after an idle spell often found its thread and its
     * worker on the same CPU, where the pass's first steps ran in turn until the load balancer moved
     * one: 3.9 ms for a 0.56 ms input reorder, and 40% of passes at 16 to 22 ms against 12 (phone
     * photos, 1 client, Intel Xeon with AMX, traced with {@code perf sched}). But bound threads
     * cannot dodge busy CPUs: with requests decoding beside the passes, they lost 3 to 8% of the
     * throughput, so the engine binds only while passes run alone ({@code engine.TeamThrottle}).
     */
    public boolean bind(List<Integer> tids) {
        try {
            List<Integer> cpus = allowedCpus();
            if (tids.isEmpty() || cpus.size() < tids.size()) {
                return false;
            }
            for (int i = 0; i < tids.size(); i++) {
                if (!setAffinity(tids.get(i), List.of(cpus.get(i)))) {
                    unbind(tids);
                    return false;
                }
            }
            return true;
        } catch (IOException | RuntimeException | LinkageError e) {
            log.debug("OpenMP team left unbound ({})", e.toString());
            return false;
        }
    }

    /** Lets {@code tids} run on any CPU this process may run on again. */
    public void unbind(List<Integer> tids) {
        try {
            List<Integer> cpus = allowedCpus();
            for (int tid : tids) {
                setAffinity(tid, cpus);
            }
        } catch (IOException | RuntimeException | LinkageError e) {
            log.debug("OpenMP team not unbound ({})", e.toString());
        }
    }

    private static boolean setAffinity(int tid, List<Integer> cpus) {
        int highest = cpus.stream().mapToInt(Integer::intValue).max().orElse(0);
        byte[] mask = new byte[Math.max(128, highest / 8 + 1)];
        for (int cpu : cpus) {
            mask[cpu / 8] |= (byte) (1 << (cpu % 8));
        }
        return NativeLibrary.getInstance("c").getFunction("sched_setaffinity").invokeInt(new Object[] {tid, mask.length, mask}) == 0;
    }

    private static String comm(int tid) throws IOException {
        try {
            return Files.readString(Path.of("/proc/self/task/" + tid + "/comm")).trim();
        } catch (java.nio.file.NoSuchFileException e) {
            return "";
        }
    }

    /**
     * The CPUs this process may run on, in order ({@code Cpus_allowed_list}: e.g. {@code 0-3,8}):
     * libgomp's count of available CPUs, which a CPU quota does not lower (Java's
     * {@code availableProcessors()} does).
     */
    public static List<Integer> allowedCpus() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("Cpus_allowed_list:")) {
                return parseCpuList(line.substring(line.indexOf(':') + 1));
            }
        }
        return List.of();
    }

    static List<Integer> parseCpuList(String list) {
        List<Integer> cpus = new ArrayList<>();
        for (String part : list.trim().split(",")) {
            if (part.isBlank()) {
                continue;
            }
            String[] range = part.trim().split("-");
            int from = Integer.parseInt(range[0]);
            int to = range.length > 1 ? Integer.parseInt(range[1]) : from;
            for (int cpu = from; cpu <= to; cpu++) {
                cpus.add(cpu);
            }
        }
        return cpus;
    }

    /** The library steered. */
    public Path library() {
        return library;
    }
}
