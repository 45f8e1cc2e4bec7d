package dev.alexnet.service.api.v2;

import dev.alexnet.service.api.problem.ProblemType;
import dev.alexnet.service.api.RequestAttributes;
import dev.alexnet.service.classify.ClassifyRequestException;
import dev.alexnet.service.engine.InferenceRejectedException;
import jakarta.servlet.http.HttpServletRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.http.converter.HttpMessageNotReadableException;
import org.springframework.web.HttpMediaTypeNotSupportedException;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;

/** v2 errors as the protocol has them: {@code {"error": "..."}} with a 4xx (or 503 when busy). */
@RestControllerAdvice(assignableTypes = V2Controller.class)
@Order(Ordered.HIGHEST_PRECEDENCE)
class V2Advice {

    private static final Logger log = LoggerFactory.getLogger(V2Advice.class);

    private static ResponseEntity<V2Models.Error> error(HttpStatus status, String message) {
        return ResponseEntity.status(status).contentType(MediaType.APPLICATION_JSON).body(new V2Models.Error(message));
    }

    @ExceptionHandler(V2Exception.class)
    ResponseEntity<V2Models.Error> v2(V2Exception e) {
        return error(e.status(), e.getMessage());
    }

    @ExceptionHandler(ClassifyRequestException.class)
    ResponseEntity<V2Models.Error> refused(ClassifyRequestException e, HttpServletRequest request) {
        request.setAttribute(RequestAttributes.PROBLEM, ProblemType.of(e.reason()));
        return error(HttpStatus.BAD_REQUEST, e.getMessage());
    }

    @ExceptionHandler(HttpMessageNotReadableException.class)
    ResponseEntity<V2Models.Error> unreadable(HttpMessageNotReadableException e) {
        return error(HttpStatus.BAD_REQUEST, "the request body is not a valid inference request: "
                + "expected JSON with inputs [{name, datatype, shape, data (a flat array of numbers)}]");
    }

    @ExceptionHandler(HttpMediaTypeNotSupportedException.class)
    ResponseEntity<V2Models.Error> mediaType(HttpMediaTypeNotSupportedException e) {
        return error(HttpStatus.UNSUPPORTED_MEDIA_TYPE, "send the inference request as application/json");
    }

    @ExceptionHandler(InferenceRejectedException.class)
    ResponseEntity<V2Models.Error> busy(InferenceRejectedException e, HttpServletRequest request) {
        ProblemType type = ProblemType.of(e.reason());
        request.setAttribute(RequestAttributes.PROBLEM, type);
        return ResponseEntity.status(HttpStatus.SERVICE_UNAVAILABLE).header(HttpHeaders.RETRY_AFTER, type.retryAfterSeconds())
                .contentType(MediaType.APPLICATION_JSON).body(new V2Models.Error(e.getMessage()));
    }

    @ExceptionHandler(Exception.class)
    ResponseEntity<V2Models.Error> unexpected(Exception e) {
        log.error("v2 request failed", e);
        return error(HttpStatus.INTERNAL_SERVER_ERROR, "the server could not complete the request");
    }
}
