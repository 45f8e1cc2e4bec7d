package dev.alexnet.service.api.http;

import dev.alexnet.service.api.problem.ProblemType;
import dev.alexnet.service.api.problem.Problems;
import java.io.IOException;

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
 * When {@code alexnet.security.api-keys} is set, the API (classify, features, model, and the v2
 * protocol except its health endpoints) needs one of the keys, in {@code X-API-Key} or as
 * {@code Authorization: Bearer KEY}; the model repository's endpoints need an admin key
 * ({@code alexnet.security.admin-api-keys}, 403 for another key). Keys are compared in constant time, as SHA-256 digests so that
 * their lengths do not leak either. The page, the probes and the management port stay open.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE + 5)
class ApiKeyFilter extends OncePerRequestFilter {

    private final ApiKeys keys;

    ApiKeyFilter(ApiKeys keys) {
        this.keys = keys;
    }

    static boolean protectedPath(String path) {
        return path.equals("/classify") || path.equals("/features") || path.equals("/model") || path.equals("/models")
                || (path.startsWith("/v2") && !path.startsWith("/v2/health/"));
    }

    /** The model repository's endpoints: with keys configured, only an admin key opens them. */
    static boolean adminPath(String path) {
        return path.startsWith("/v2/repository");
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        if (!keys.enabled() || !protectedPath(request.getRequestURI())) {
            chain.doFilter(request, response);
            return;
        }
        String presented = ApiKeys.presented(request.getHeader("X-API-Key"), request.getHeader(HttpHeaders.AUTHORIZATION));
        boolean ok = keys.accepts(presented);
        if (ok && adminPath(request.getRequestURI()) && !keys.acceptsAdmin(presented)) {
            Problems.write(request, response, ProblemType.FORBIDDEN,
                    "the model repository needs an admin key (alexnet.security.admin-api-keys)");
            return;
        }
        if (ok) {
            chain.doFilter(request, response);
            return;
        }
        response.setHeader(HttpHeaders.WWW_AUTHENTICATE, "Bearer realm=\"alexnet-service\"");
        Problems.write(request, response, ProblemType.UNAUTHORIZED, presented == null
                ? "an API key is required: send it in X-API-Key or as Authorization: Bearer" : "the API key is not valid");
    }
}
