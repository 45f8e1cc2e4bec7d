package dev.alexnet.service.api.http;

import dev.alexnet.service.api.problem.ProblemType;
import dev.alexnet.service.api.problem.Problems;
import java.io.IOException;

import dev.alexnet.service.engine.Batcher;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpHeaders;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Refuses inference requests before their body is read when the queue is already full (in images
 * or in time) or the service is draining: under overload a refusal must cost next to nothing, or
 * refusals eat the CPU that accepted requests need. A small refused body is read and dropped and
 * the connection kept (a new connection per refusal costs both sides more than reading 1 MB); with
 * a larger or chunked body the connection is closed instead, the body unread. Requests that pass
 * are still checked atomically when they reserve their room. A request that passes also takes its
 * body's bytes from the {@link UploadBudget}, so that the bodies held at once stay within the heap.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE + 10)
class AdmissionFilter extends OncePerRequestFilter {

    /** Refused bodies up to this size are read and dropped, keeping the connection: cheaper than a new one. */
    private static final long KEEP_ALIVE_BODY_BYTES = 1 << 20;

    private final Batcher batcher;
    private final UploadBudget uploads;

    AdmissionFilter(Batcher batcher, UploadBudget uploads) {
        this.batcher = batcher;
        this.uploads = uploads;
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        if (!"POST".equals(request.getMethod()) || MetricsFilter.endpoint(request.getRequestURI()) == null) {
            chain.doFilter(request, response);
            return;
        }
        ProblemType refusal = ProblemType.admission(batcher);
        long cost = uploads.cost(request.getContentLengthLong());
        String detail = refusal == null ? null : refusal.admissionDetail();
        if (refusal == null) {
            if (uploads.tryTake(cost)) {
                try {
                    chain.doFilter(request, response);
                } finally {
                    uploads.give(cost);
                }
                return;
            }
            refusal = ProblemType.QUEUE_FULL;
            detail = "the server holds " + (uploads.held() >> 20) + " MB of uploads, its limit is " + (uploads.limit() >> 20)
                    + " MB; retry shortly";
        }
        if (refusal == ProblemType.QUEUE_FULL) {
            batcher.countQueueFullRefusal();
        }
        long length = request.getContentLengthLong();
        if (length < 0 || length > KEEP_ALIVE_BODY_BYTES) {
            response.setHeader(HttpHeaders.CONNECTION, "close");
            AbandonedBodyValve.mark(request);
        }
        Problems.write(request, response, refusal, detail);
    }
}
