package dev.alexnet.service.api.http;

import java.io.IOException;

import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import org.apache.catalina.connector.Request;
import org.apache.catalina.connector.Response;
import org.apache.catalina.valves.ValveBase;
import org.apache.coyote.ActionCode;

/**
 * After an answer that gave up on the request body (408 for a body that arrives too slowly, or a
 * refusal marked with {@link #mark}), Tomcat must not read the rest of it: by default it drains
 * the declared body before the response leaves (up to {@code server.tomcat.max-swallow-size}), so
 * a client that keeps trickling would hold a request thread for as long as it likes, and would see
 * its 408 only when it stopped. The connection is closed instead, right after the answer.
 */
final class AbandonedBodyValve extends ValveBase {

    private static final String ATTRIBUTE = AbandonedBodyValve.class.getName();

    AbandonedBodyValve() {
        super(true);
    }

    /** Marks the request: its unread body is to be dropped with the connection. */
    static void mark(HttpServletRequest request) {
        request.setAttribute(ATTRIBUTE, Boolean.TRUE);
    }

    @Override
    public void invoke(Request request, Response response) throws IOException, ServletException {
        try {
            getNext().invoke(request, response);
        } finally {
            if (response.getStatus() == 408 || request.getAttribute(ATTRIBUTE) != null) {
                request.getCoyoteRequest().action(ActionCode.DISABLE_SWALLOW_INPUT, null);
            }
        }
    }
}
