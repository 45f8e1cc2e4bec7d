package dev.alexnet.service.engine;

import java.io.IOException;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import dev.alexnet.service.model.runtime.OpenMpTeams;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Chooses, pass by pass, how OpenMP's idle workers wait ({@link OpenMpTeams}): briefly (100 spins,
 * then sleep) while requests are decoding beside the passes, long (300,000 spins) for a pass that
 * runs alone after an idle spell. It switches by holding a team of its own on a thread of its own,
 * the ballast: with it the process holds more team threads than CPUs and libgomp throttles every
 * idle worker; released, only the inference thread's team is left and its workers spin, each bound
 * to a CPU of its own ({@link OpenMpTeams#bind}).
 * <p>
 * Measured on an Intel Xeon with AMX (2 cores, docs/benchmarks.md, section 000000), in the
 * service, each way against the commit before it ({@code tools/bench-ab.sh}, 2 rounds):
 * <ul>
 * <li>Phone photos (4032 x 3024), 1 client: throttled, a pass took 22 ms after the photo's 40 ms
 * of decoding (its worker, asleep at each of the pass's 14 steps, was woken each time on an idle
 * CPU), against 12 spinning; spinning and bound one CPU each, 15.6 against 13.7 requests/s.</li>
 * <li>Phone photos, 4 clients, always spinning: 21.5 against 26.1 requests/s: the workers'
 * spinning took the cores that three requests were decoding on. Always bound, spinning only when
 * alone: 3 to 8% fewer at 4 and 16 clients (bound threads cannot dodge busy CPUs). With this rule:
 * 25.8 against 25.4, and 29.6 against 29.7 at 16.</li>
 * <li>500 x 375 photos, 1 client, always spinning: the same requests/s, the p99 worse (37 to 40
 * ms against 30): with 4 ms between passes, the worker's spin after a pass ran on while the next
 * request was read and decoded. With this rule (throttled there): within 1 to 2% at 1 to 64
 * clients, either way by round.</li>
 * </ul>
 * Hence the rule: spin, bound, for a pass with nothing else queued or decoding that follows at
 * least {@link #IDLE_BEFORE_SPINNING} of idleness, twice in a row; throttle and unbind as soon as a
 * pass has company or follows a short gap.
 * Switches run on the ballast's thread, never on a pass's time (0.35 to 0.4 ms each).
 */
final class TeamThrottle implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(TeamThrottle.class);
    /** A lone pass after this long idle spins: the post-pass spin (about 3 ms here) is then over before the next request needs the core. */
    static final long IDLE_BEFORE_SPINNING = TimeUnit.MILLISECONDS.toNanos(15);
    /** Lone, idle-preceded passes in a row before spinning: one such pass among busy ones does not switch. */
    static final int LONE_PASSES_BEFORE_SPINNING = 2;

    /** What switches the waits: {@link OpenMpTeams} on the ballast's thread, or a stand-in in the tests. */
    interface Ballast extends AutoCloseable {
        /** Holds the team: idle workers spin briefly. */
        void hold();

        /** Releases it: idle workers spin long. */
        void release();

        @Override
        void close();
    }

    private final Ballast ballast;
    /** The state asked for last; the batch loop's thread only. */
    private boolean throttled = true;
    private int lonePasses;
    private final AtomicLong switches = new AtomicLong();

    TeamThrottle(Ballast ballast) {
        this.ballast = ballast;
        ballast.hold();
    }

    /** The throttle on this process's libgomp, or null where it cannot be steered (see {@link OpenMpTeams#find()}). */
    static TeamThrottle onThisProcess() {
        try {
            Optional<OpenMpTeams> teams = OpenMpTeams.find();
            if (teams.isPresent()) {
                return new TeamThrottle(new TeamBallast(teams.get()));
            }
        } catch (LinkageError e) {
            log.debug("No JNA: {}", e.toString());
        }
        log.info("OpenMP's idle waits are libgomp's defaults: no libgomp with omp_pause_resource_all is loaded, or no JNA");
        return null;
    }

    /**
     * Called by the batch loop before each pass.
     *
     * @param alone     nothing else is queued or being decoded
     * @param idleNanos how long the engine was idle before this pass
     */
    void beforePass(boolean alone, long idleNanos) {
        if (alone && idleNanos >= IDLE_BEFORE_SPINNING) {
            if (++lonePasses >= LONE_PASSES_BEFORE_SPINNING && throttled) {
                throttled = false;
                switches.incrementAndGet();
                log.debug("Lone pass after {} ms idle: idle OpenMP workers spin", idleNanos / 1_000_000);
                ballast.release();
            }
            return;
        }
        lonePasses = 0;
        if (!throttled) {
            throttled = true;
            switches.incrementAndGet();
            log.debug("Pass {} after {} ms idle: idle OpenMP workers yield", alone ? "alone" : "with company", idleNanos / 1_000_000);
            ballast.hold();
        }
    }

    /** Whether idle workers were last asked to spin briefly. */
    boolean throttled() {
        return throttled;
    }

    /** Switches made so far. */
    long switches() {
        return switches.get();
    }

    @Override
    public void close() {
        ballast.close();
    }

    /** The ballast team, held and released on a daemon thread of its own (a team belongs to the thread that made it). */
    private static final class TeamBallast implements Ballast {
        private final OpenMpTeams teams;
        private final ExecutorService thread = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "alexnet-openmp-ballast");
            t.setDaemon(true);
            return t;
        });
        /**
         * Enough threads that the process holds more than libgomp counts CPUs, whatever the inference
         * team's size: libgomp counts the CPUs the process may run on, not a container's CPU quota.
         */
        private final int size = Math.max(2, Math.min(64, allowedCpuCount()));

        TeamBallast(OpenMpTeams teams) {
            this.teams = teams;
            log.info("OpenMP waits steered through {}: throttled while passes have company; for lone passes after {} ms idle, "
                    + "spinning, and the inference thread's team bound one CPU each", teams.library(),
                    TimeUnit.NANOSECONDS.toMillis(IDLE_BEFORE_SPINNING));
        }

        @Override
        public void hold() {
            thread.execute(() -> {
                teams.holdTeam(size);
                teams.unbind(servingTeam());
            });
        }

        @Override
        public void release() {
            thread.execute(() -> {
                teams.releaseTeam();
                teams.bind(servingTeam());
            });
        }

        /** The inference thread and its OpenMP workers, as Linux names them (15 characters). */
        private static List<Integer> servingTeam() {
            try {
                return OpenMpTeams.threadsNamed(InferenceThread.NAME.substring(0, Math.min(15, InferenceThread.NAME.length())));
            } catch (IOException e) {
                return List.of();
            }
        }

        private static int allowedCpuCount() {
            try {
                List<Integer> cpus = OpenMpTeams.allowedCpus();
                return cpus.isEmpty() ? Runtime.getRuntime().availableProcessors() : cpus.size();
            } catch (IOException e) {
                return Runtime.getRuntime().availableProcessors();
            }
        }

        @Override
        public void close() {
            thread.execute(teams::releaseTeam);
            thread.shutdown();
        }
    }
}
