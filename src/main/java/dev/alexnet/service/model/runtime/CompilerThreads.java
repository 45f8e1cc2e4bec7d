package dev.alexnet.service.model.runtime;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import com.sun.jna.NativeLibrary;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * HotSpot's C2 compiler threads, moved to Linux's {@code SCHED_IDLE} policy: a C2 compile then runs
 * only on a CPU nothing else wants, and a forward pass's thread or OpenMP worker woken on the CPU it
 * holds takes that CPU at once.
 * <p>
 * Why: on 2 cores, C2 keeps compiling the request path for minutes after start (a method called
 * once per request reaches it after about 5,000 requests; C2 took 0.53 s of CPU in the 11 s after a
 * 10 s warm-up at 1 client). A pass splits its work evenly between 2 OpenMP threads, so one of
 * them held off a CPU doubles it: traced with {@code perf sched}, the inference thread woken on the
 * CPU where C2 ran waited 3.5 ms while the other CPU idled, until the next load balance moved it.
 * <p>
 * Measured on an Intel Xeon with AMX (docs/benchmarks.md, section 0000000), {@code tools/bench-ab.sh}
 * against the commit before, 500 x 375 photos, 2 rounds each: the p99 lower in every cell (1
 * client 27.9, 26.2, 30.5, 28.2 ms against 34.0, 32.0, 31.6, 34.7; 4 clients 65 against 77; 16
 * clients 163 against 180; 64 clients 596 and 562 against 641 and 579), images/s the same or
 * higher (4 clients 83.7 and 82.2 against 76.5); phone photos within the noise. C1's threads
 * stay as they are: with them at {@code SCHED_IDLE} too, code left the interpreter later and the
 * 1-client p50 rose by up to 1.7 ms, fewer images/s in three rounds of four.
 * <p>
 * A thread may always lower its own policy to {@code SCHED_IDLE}, with no privilege; compiler
 * threads the JVM adds later are made by a compiler thread and take its policy. Where the call is
 * refused or missing (not Linux, no JNA, no C2) nothing changes.
 */
public final class CompilerThreads {

    private static final Logger log = LoggerFactory.getLogger(CompilerThreads.class);
    /** Linux's {@code SCHED_IDLE} (sched.h). */
    static final int SCHED_IDLE = 5;
    /** C2's threads as Linux shows them: the first 15 characters of "C2 CompilerThread0". */
    static final String C2 = "C2 CompilerThre";

    private CompilerThreads() {
    }

    /** Moves this process's C2 compiler threads to {@code SCHED_IDLE}; returns the threads moved. */
    public static List<Integer> yieldC2ToPasses() {
        List<Integer> moved = new ArrayList<>();
        try {
            for (int tid : OpenMpTeams.threadsNamed(C2)) {
                if (setIdlePolicy(tid)) {
                    moved.add(tid);
                }
            }
        } catch (IOException | RuntimeException | LinkageError e) {
            log.debug("C2 compiler threads left at their policy ({})", e.toString());
        }
        if (moved.isEmpty()) {
            log.info("C2 compiler threads keep their scheduling policy: none found, or SCHED_IDLE was refused");
        } else {
            log.info("C2 compiler threads {} run at SCHED_IDLE: a compile no longer holds a forward pass's thread off a CPU", moved);
        }
        return moved;
    }

    /** The scheduling policy of thread {@code tid} of this process (field 41 of its {@code stat}). */
    static int policyOf(int tid) {
        try {
            String stat = Files.readString(Path.of("/proc/self/task/" + tid + "/stat"));
            // Fields from the third (the state) on follow the name's closing parenthesis.
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Integer.parseInt(fields[41 - 3]);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static boolean setIdlePolicy(int tid) {
        int[] param = {0}; // struct sched_param { int sched_priority; }: 0, as SCHED_IDLE requires
        return NativeLibrary.getInstance("c").getFunction("sched_setscheduler").invokeInt(new Object[] {tid, SCHED_IDLE, param}) == 0;
    }
}
