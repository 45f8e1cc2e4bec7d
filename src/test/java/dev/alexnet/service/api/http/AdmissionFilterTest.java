package dev.alexnet.service.api.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

import java.util.concurrent.atomic.AtomicLong;

import dev.alexnet.service.engine.Batcher;
import jakarta.servlet.ServletException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.mock.web.MockFilterChain;
import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.mock.web.MockHttpServletResponse;

/** The upload budget in front of the inference endpoints: bodies held at once stay within it, and a refusal costs nothing. */
class AdmissionFilterTest {

    private final Batcher batcher = mock(Batcher.class);
    private final UploadBudget budget = new UploadBudget(10_000, 64_000);
    private final AdmissionFilter filter = new AdmissionFilter(batcher, budget);

    @BeforeEach
    void room() {
        when(batcher.isAccepting()).thenReturn(true);
        when(batcher.hasRoom()).thenReturn(true);
    }

    private static MockHttpServletRequest post(int bytes) {
        MockHttpServletRequest request = new MockHttpServletRequest("POST", "/classify");
        request.setContentType("image/jpeg");
        request.setContent(new byte[bytes]);
        return request;
    }

    @Test
    void aBodyTakesItsBytesWhileItIsServedAndGivesThemBack() throws Exception {
        AtomicLong during = new AtomicLong();
        MockFilterChain chain = new MockFilterChain(new jakarta.servlet.http.HttpServlet() {
            @Override
            protected void service(jakarta.servlet.http.HttpServletRequest req, jakarta.servlet.http.HttpServletResponse res) {
                during.set(budget.held());
            }
        });
        MockHttpServletResponse response = new MockHttpServletResponse();
        filter.doFilter(post(6_000), response, chain);
        assertThat(during.get()).isEqualTo(6_000);
        assertThat(budget.held()).isZero();
        assertThat(response.getStatus()).isEqualTo(200);
    }

    @Test
    void aBodyThatDoesNotFitBesideThoseInFlightIsRefusedAtOnceWith503() throws Exception {
        assertThat(budget.tryTake(6_000)).isTrue();
        MockHttpServletResponse response = new MockHttpServletResponse();
        MockFilterChain chain = new MockFilterChain();
        filter.doFilter(post(6_000), response, chain);
        assertThat(response.getStatus()).isEqualTo(503);
        assertThat(response.getHeader("Retry-After")).isEqualTo("1");
        assertThat(response.getContentAsString()).contains("urn:alexnet:problem:queue-full")
                .contains("uploads, its limit is");
        assertThat(chain.getRequest()).as("the controller is never reached").isNull();
        verify(batcher).countQueueFullRefusal();
        assertThat(budget.held()).isEqualTo(6_000);
    }

    @Test
    void aBodyLargerThanTheWholeBudgetRunsAloneAndAChunkedOneCountsAsTheLargestAllowed() throws Exception {
        MockHttpServletResponse response = new MockHttpServletResponse();
        filter.doFilter(post(50_000), response, new MockFilterChain());
        assertThat(response.getStatus()).as("alone, it fits").isEqualTo(200);
        assertThat(budget.cost(-1)).isEqualTo(10_000);
        assertThat(new UploadBudget(1 << 30, 64_000).cost(-1)).isEqualTo(64_000);
    }

    @Test
    void theBudgetIsGivenBackWhenTheRequestFails() {
        MockFilterChain failing = new MockFilterChain(new jakarta.servlet.http.HttpServlet() {
            @Override
            protected void service(jakarta.servlet.http.HttpServletRequest req, jakarta.servlet.http.HttpServletResponse res)
                    throws ServletException {
                throw new ServletException("boom");
            }
        });
        assertThatThrownBy(() -> filter.doFilter(post(6_000), new MockHttpServletResponse(), failing)).isInstanceOf(ServletException.class);
        assertThat(budget.held()).isZero();
    }
}
