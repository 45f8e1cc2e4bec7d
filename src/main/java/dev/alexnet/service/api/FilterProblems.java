package dev.alexnet.service.api;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import tools.jackson.databind.json.JsonMapper;

/**
 * Problem responses written by servlet filters, which answer before Spring MVC and its
 * {@link ProblemAdvice} are reached: the same problem+json body (with the request id), or the Open
 * Inference Protocol's {@code {"error": ...}} under {@code /v2}; 503s with their {@code Retry-After}.
 */
final class FilterProblems {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private FilterProblems() {
    }

    static void write(HttpServletRequest request, HttpServletResponse response, ProblemType type, String detail) throws IOException {
        request.setAttribute(MetricsFilter.PROBLEM, type);
        response.setStatus(type.status().value());
        if (type.retryAfterSeconds() != null) {
            response.setHeader(HttpHeaders.RETRY_AFTER, type.retryAfterSeconds());
        }
        Map<String, Object> body = new LinkedHashMap<>();
        if (request.getRequestURI().startsWith("/v2")) {
            response.setContentType(MediaType.APPLICATION_JSON_VALUE);
            body.put("error", detail);
        } else {
            response.setContentType(MediaType.APPLICATION_PROBLEM_JSON_VALUE);
            body.put("type", type.uri().toString());
            body.put("title", type.title());
            body.put("status", type.status().value());
            body.put("detail", detail);
            body.put("instance", request.getRequestURI());
            if (request.getAttribute(RequestIdFilter.ATTRIBUTE) instanceof String id) {
                body.put("requestId", id);
            }
        }
        response.setCharacterEncoding("UTF-8");
        response.getWriter().write(JSON.writeValueAsString(body));
    }
}
