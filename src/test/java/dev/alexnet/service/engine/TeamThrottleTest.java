package dev.alexnet.service.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

/** The rule that picks OpenMP's idle waits pass by pass, on a ballast that records what it was asked. */
class TeamThrottleTest {

    private static final long LONG_IDLE = TeamThrottle.IDLE_BEFORE_SPINNING + TimeUnit.MILLISECONDS.toNanos(1);
    private static final long SHORT_IDLE = TimeUnit.MILLISECONDS.toNanos(4);

    private final List<String> calls = new ArrayList<>();
    private final TeamThrottle.Ballast ballast = new TeamThrottle.Ballast() {
        @Override
        public void hold() {
            calls.add("hold");
        }

        @Override
        public void release() {
            calls.add("release");
        }

        @Override
        public void close() {
            calls.add("close");
        }
    };

    @Test
    void startsThrottledAndSpinsOnlyFromTheSecondLonePassAfterAnIdleSpell() {
        TeamThrottle throttle = new TeamThrottle(ballast);
        assertThat(calls).containsExactly("hold");
        assertThat(throttle.throttled()).isTrue();

        throttle.beforePass(true, LONG_IDLE);
        assertThat(throttle.throttled()).as("one lone pass does not switch").isTrue();
        throttle.beforePass(true, LONG_IDLE);
        assertThat(throttle.throttled()).isFalse();
        throttle.beforePass(true, LONG_IDLE);
        assertThat(calls).containsExactly("hold", "release");
        assertThat(throttle.switches()).isEqualTo(1);
    }

    @Test
    void aPassWithCompanyThrottlesAtOnceAndStartsTheCountAgain() {
        TeamThrottle throttle = new TeamThrottle(ballast);
        throttle.beforePass(true, LONG_IDLE);
        throttle.beforePass(true, LONG_IDLE);
        throttle.beforePass(false, LONG_IDLE);
        assertThat(throttle.throttled()).isTrue();
        assertThat(calls).containsExactly("hold", "release", "hold");

        throttle.beforePass(true, LONG_IDLE);
        assertThat(throttle.throttled()).as("the count started again").isTrue();
        throttle.beforePass(true, LONG_IDLE);
        assertThat(throttle.throttled()).isFalse();
        assertThat(throttle.switches()).isEqualTo(3);
    }

    @Test
    void lonePassesCloseTogetherStayThrottled() {
        // 500 x 375 photos at 1 client: 4 ms between passes, where the long spin after a pass ran into the next request.
        TeamThrottle throttle = new TeamThrottle(ballast);
        for (int i = 0; i < 10; i++) {
            throttle.beforePass(true, SHORT_IDLE);
        }
        throttle.beforePass(true, LONG_IDLE);
        throttle.beforePass(true, SHORT_IDLE);
        throttle.beforePass(true, LONG_IDLE);
        assertThat(throttle.throttled()).isTrue();
        assertThat(calls).containsExactly("hold");
        throttle.close();
        assertThat(calls).containsExactly("hold", "close");
    }
}
