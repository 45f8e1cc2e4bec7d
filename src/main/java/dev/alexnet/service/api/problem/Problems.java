package dev.alexnet.service.api.problem;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Map;

import dev.alexnet.service.api.RequestAttributes;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.http.converter.json.ProblemDetailJacksonMixin;
import tools.jackson.databind.json.JsonMapper;

/**
 * The one way a refusal is written, for exception handlers ({@link #response}) and for servlet
 * filters, which answer before Spring MVC is reached ({@link #write}): RFC 9457 problem+json with
 * the request id, or the Open Inference Protocol's {@code {"error": ...}} under {@code /v2}; 503s
 * with their {@code Retry-After}. Either way the type is left for the metrics filter.
 */
public final class Problems {

    /** Serialises a {@link ProblemDetail} as Spring MVC does: its properties flattened into the body. */
    private static final JsonMapper JSON = JsonMapper.builder().addMixIn(ProblemDetail.class, ProblemDetailJacksonMixin.class).build();

    private Problems() {
    }

    /** The problem body for a refusal of this request. */
    public static ProblemDetail detail(ProblemType type, String detail, HttpServletRequest request) {
        request.setAttribute(RequestAttributes.PROBLEM, type);
        ProblemDetail body = ProblemDetail.forStatusAndDetail(type.status(), detail);
        body.setType(type.uri());
        body.setTitle(type.title());
        body.setInstance(instance(request.getRequestURI()));
        if (request.getAttribute(RequestAttributes.REQUEST_ID) instanceof String id) {
            body.setProperty("requestId", id);
        }
        return body;
    }

    /** The path as a URI; one a filter sees before Tomcat rejects it may hold characters a URI must quote. */
    private static URI instance(String path) {
        try {
            return URI.create(path);
        } catch (IllegalArgumentException e) {
            try {
                return new URI(null, null, path, null);
            } catch (URISyntaxException unusable) {
                return null;
            }
        }
    }

    /** The problem as an exception handler returns it. */
    public static ResponseEntity<ProblemDetail> response(ProblemType type, String detail, HttpServletRequest request) {
        ResponseEntity.BodyBuilder response = ResponseEntity.status(type.status()).contentType(MediaType.APPLICATION_PROBLEM_JSON);
        if (type.retryAfterSeconds() != null) {
            response.header(HttpHeaders.RETRY_AFTER, type.retryAfterSeconds());
        }
        return response.body(detail(type, detail, request));
    }

    /** The problem written straight to the servlet response, as a filter must. */
    public static void write(HttpServletRequest request, HttpServletResponse response, ProblemType type, String detail) throws IOException {
        ProblemDetail body = detail(type, detail, request);
        response.setStatus(type.status().value());
        if (type.retryAfterSeconds() != null) {
            response.setHeader(HttpHeaders.RETRY_AFTER, type.retryAfterSeconds());
        }
        response.setCharacterEncoding("UTF-8");
        if (request.getRequestURI().startsWith("/v2")) {
            response.setContentType(MediaType.APPLICATION_JSON_VALUE);
            response.getWriter().write(JSON.writeValueAsString(Map.of("error", detail)));
        } else {
            response.setContentType(MediaType.APPLICATION_PROBLEM_JSON_VALUE);
            response.getWriter().write(JSON.writeValueAsString(body));
        }
    }
}
