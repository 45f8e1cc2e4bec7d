package dev.alexnet.service.api.v2;

import dev.alexnet.service.api.problem.ApiException;
import dev.alexnet.service.api.problem.ProblemType;
import dev.alexnet.service.api.RequestAttributes;
import dev.alexnet.service.classify.ClassifyRequestException;
import dev.alexnet.service.engine.InferenceRejectedException;
import dev.alexnet.service.model.repository.RepositoryException;
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
@RestControllerAdvice(assignableTypes = {V2Controller.class, RepositoryController.class})
@Order(Ordered.HIGHEST_PRECEDENCE)
class V2Advice {

    private static final Logger log = LoggerFactory.getLogger(V2Advice.class);

    private static ResponseEntity<V2Models.Error> error(HttpStatus status, String message) {
        return ResponseEntity.status(status).contentType(MediaType.APPLICATION_JSON).body(new V2Models.Error(message));
    }

    /** Every refusal by its problem type (the same status, reason and Retry-After as REST's problems), in the protocol's form. */
    @ExceptionHandler({ApiException.class, ClassifyRequestException.class, InferenceRejectedException.class, RepositoryException.class})
    ResponseEntity<V2Models.Error> refused(RuntimeException e, HttpServletRequest request) {
        ProblemType type = ProblemType.of(e);
        request.setAttribute(RequestAttributes.PROBLEM, type);
        ResponseEntity.BodyBuilder answer = ResponseEntity.status(type.status()).contentType(MediaType.APPLICATION_JSON);
        if (type.retryAfterSeconds() != null) {
            answer.header(HttpHeaders.RETRY_AFTER, type.retryAfterSeconds());
        }
        return answer.body(new V2Models.Error(e.getMessage()));
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

    @ExceptionHandler(Exception.class)
    ResponseEntity<V2Models.Error> unexpected(Exception e) {
        log.error("v2 request failed", e);
        return error(HttpStatus.INTERNAL_SERVER_ERROR, "the server could not complete the request");
    }
}
