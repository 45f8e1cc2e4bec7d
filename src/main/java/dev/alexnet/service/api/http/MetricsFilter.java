package dev.alexnet.service.api.http;

import dev.alexnet.service.api.problem.ProblemType;
import dev.alexnet.service.api.RequestAttributes;
import java.io.IOException;
import java.util.concurrent.TimeUnit;

import dev.alexnet.service.metrics.AlexNetMetrics;
import dev.alexnet.service.metrics.AlexNetMetrics.Endpoint;
import dev.alexnet.service.metrics.AlexNetMetrics.Outcome;
import dev.alexnet.service.metrics.AlexNetMetrics.RejectReason;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Meters every API request: outcome, duration, images, in-flight count, and the reason of each
 * refusal. Controllers and exception handlers leave the image count and the problem type as
 * request attributes; tags never carry user input.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE + 1)
class MetricsFilter extends OncePerRequestFilter {

    private final AlexNetMetrics metrics;

    MetricsFilter(AlexNetMetrics metrics) {
        this.metrics = metrics;
    }

    static Endpoint endpoint(String path) {
        if (path.equals("/classify")) {
            return Endpoint.CLASSIFY;
        }
        if (path.equals("/features")) {
            return Endpoint.FEATURES;
        }
        if (path.startsWith("/v2/models/") && path.endsWith("/infer")) {
            return Endpoint.V2_INFER;
        }
        return null;
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        Endpoint endpoint = endpoint(request.getRequestURI());
        if (endpoint == null) {
            chain.doFilter(request, response);
            return;
        }
        long start = System.nanoTime();
        metrics.inflight().incrementAndGet();
        int status = 500;
        try {
            chain.doFilter(request, response);
            status = response.getStatus();
        } finally {
            metrics.inflight().decrementAndGet();
            ProblemType problem = (ProblemType) request.getAttribute(RequestAttributes.PROBLEM);
            Outcome outcome = outcome(status, problem);
            String model = request.getAttribute(RequestAttributes.MODEL) instanceof String m ? m : AlexNetMetrics.NO_MODEL;
            String version = request.getAttribute(RequestAttributes.VERSION) instanceof String v ? v : AlexNetMetrics.NO_MODEL;
            metrics.requests(endpoint, outcome, model, version).increment();
            metrics.duration(endpoint, model, version).record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
            if (outcome == Outcome.SUCCESS && request.getAttribute(RequestAttributes.IMAGES) instanceof Integer images) {
                metrics.images(endpoint, model, version).increment(images);
            }
            RejectReason reason = problem == null ? null : problem.rejectReason();
            if (reason != null) {
                metrics.rejected(reason).increment();
            }
        }
    }

    static Outcome outcome(int status, ProblemType problem) {
        if (status < 400) {
            return Outcome.SUCCESS;
        }
        if (problem != null) {
            return problem.outcome();
        }
        return status == 503 ? Outcome.REJECTED : status < 500 ? Outcome.CLIENT_ERROR : Outcome.ERROR;
    }
}
