package dev.alexnet.service.api.v2;

import static org.assertj.core.api.Assertions.assertThat;

import dev.alexnet.service.api.RequestAttributes;
import dev.alexnet.service.api.problem.ProblemType;
import dev.alexnet.service.engine.InferenceRejectedException;
import dev.alexnet.service.engine.InferenceRejectedException.Reason;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.mock.web.MockHttpServletRequest;

/** A v2 503 tells clients when to come back by the same rule as every other 503 (ProblemType). */
class V2AdviceTest {

    @Test
    void busyAndShuttingDownCarryTheirOwnRetryAfter() {
        for (Reason reason : Reason.values()) {
            MockHttpServletRequest request = new MockHttpServletRequest();
            ResponseEntity<V2Models.Error> response = new V2Advice().refused(new InferenceRejectedException(reason, "refused: " + reason), request);
            ProblemType type = ProblemType.of(reason);
            assertThat(response.getStatusCode()).isEqualTo(HttpStatus.SERVICE_UNAVAILABLE);
            assertThat(response.getHeaders().getFirst(HttpHeaders.RETRY_AFTER))
                    .isEqualTo(reason == Reason.SHUTTING_DOWN ? "5" : "1")
                    .isEqualTo(type.retryAfterSeconds());
            assertThat(response.getBody().error()).isEqualTo("refused: " + reason);
            assertThat(request.getAttribute(RequestAttributes.PROBLEM)).isEqualTo(type);
        }
    }
}
