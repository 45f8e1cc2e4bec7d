package dev.alexnet.service.api.problem;

import java.net.URI;

import jakarta.servlet.RequestDispatcher;
import jakarta.servlet.http.HttpServletRequest;
import org.springframework.boot.webmvc.error.ErrorController;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * The container's own error responses (a read that timed out in Tomcat, a request rejected before
 * it reached a controller) as problem+json too, in place of Spring Boot's default error JSON.
 */
@RestController
class ProblemErrorController implements ErrorController {

    @RequestMapping("/error")
    ResponseEntity<ProblemDetail> error(HttpServletRequest request) {
        int status = request.getAttribute(RequestDispatcher.ERROR_STATUS_CODE) instanceof Integer code ? code : 500;
        ProblemType type = switch (status) {
            case 408 -> ProblemType.UPLOAD_TOO_SLOW;
            case 404 -> ProblemType.NOT_FOUND;
            case 405 -> ProblemType.METHOD_NOT_ALLOWED;
            case 413 -> ProblemType.UPLOAD_TOO_LARGE;
            case 415 -> ProblemType.UNSUPPORTED_MEDIA_TYPE;
            default -> status < 500 ? ProblemType.MALFORMED_REQUEST : ProblemType.INFERENCE_FAILED;
        };
        String detail = switch (type) {
            case UPLOAD_TOO_SLOW -> "the request stopped arriving before it was complete";
            case NOT_FOUND -> "no such resource";
            case INFERENCE_FAILED -> "the server could not complete the request";
            default -> "the request could not be read";
        };
        ResponseEntity<ProblemDetail> response = Problems.response(type, detail, request);
        if (request.getAttribute(RequestDispatcher.ERROR_REQUEST_URI) instanceof String uri && response.getBody() != null) {
            response.getBody().setInstance(URI.create(uri));
        }
        return response;
    }
}
