package dev.alexnet.service.api.problem;

import dev.alexnet.service.classify.ClassifyRequestException;
import dev.alexnet.service.engine.InferenceRejectedException;
import dev.alexnet.service.model.repository.RepositoryException;
import dev.alexnet.service.preprocess.ImageRejectedException;
import jakarta.servlet.http.HttpServletRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.http.converter.HttpMessageNotReadableException;
import org.springframework.web.HttpMediaTypeNotAcceptableException;
import org.springframework.web.HttpMediaTypeNotSupportedException;
import org.springframework.web.HttpRequestMethodNotSupportedException;
import org.springframework.web.bind.MissingServletRequestParameterException;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.method.annotation.MethodArgumentTypeMismatchException;
import org.springframework.web.multipart.MaxUploadSizeExceededException;
import org.springframework.web.multipart.MultipartException;
import org.springframework.web.servlet.resource.NoResourceFoundException;

/**
 * Every refusal as RFC 9457 {@code application/problem+json} with a stable type. Bad input is a
 * 4xx, logged at DEBUG at most; no response carries a stack trace.
 */
@RestControllerAdvice
@Order(Ordered.LOWEST_PRECEDENCE)
class ProblemAdvice {

    private static final Logger log = LoggerFactory.getLogger(ProblemAdvice.class);

    private static ResponseEntity<ProblemDetail> problem(ProblemType type, String detail, HttpServletRequest request) {
        return Problems.response(type, detail, request);
    }

    /** Every refusal the API or the layers under it throw, by its problem type. */
    @ExceptionHandler({ApiException.class, ClassifyRequestException.class, ImageRejectedException.class,
            InferenceRejectedException.class, RepositoryException.class})
    ResponseEntity<ProblemDetail> refused(RuntimeException e, HttpServletRequest request) {
        log.debug("Refused {}: {}", request.getRequestURI(), e.getMessage());
        return problem(ProblemType.of(e), e.getMessage(), request);
    }

    @ExceptionHandler(MaxUploadSizeExceededException.class)
    ResponseEntity<ProblemDetail> tooLarge(MaxUploadSizeExceededException e, HttpServletRequest request) {
        return problem(ProblemType.UPLOAD_TOO_LARGE, "the upload is over the limit"
                + (e.getMaxUploadSize() > 0 ? " of " + e.getMaxUploadSize() + " bytes" : ""), request);
    }

    /**
     * From {@code DeadlineMultipartResolver}: a body that is not valid multipart. Its slow, too
     * large and too many parts come as {@link ApiException}s with their own types.
     */
    @ExceptionHandler(MultipartException.class)
    ResponseEntity<ProblemDetail> multipart(MultipartException e, HttpServletRequest request) {
        return problem(ProblemType.MALFORMED_REQUEST, "the multipart body could not be parsed", request);
    }

    @ExceptionHandler(HttpMediaTypeNotSupportedException.class)
    ResponseEntity<ProblemDetail> mediaType(HttpMediaTypeNotSupportedException e, HttpServletRequest request) {
        return problem(ProblemType.UNSUPPORTED_MEDIA_TYPE, "content type " + e.getContentType() + " is not accepted here", request);
    }

    @ExceptionHandler(HttpMediaTypeNotAcceptableException.class)
    ResponseEntity<ProblemDetail> notAcceptable(HttpMediaTypeNotAcceptableException e, HttpServletRequest request) {
        return problem(ProblemType.INVALID_PARAMETER, "the response is application/json; the Accept header rules it out", request);
    }

    @ExceptionHandler(HttpRequestMethodNotSupportedException.class)
    ResponseEntity<ProblemDetail> method(HttpRequestMethodNotSupportedException e, HttpServletRequest request) {
        return problem(ProblemType.METHOD_NOT_ALLOWED, e.getMethod() + " is not allowed on " + request.getRequestURI(), request);
    }

    @ExceptionHandler(NoResourceFoundException.class)
    ResponseEntity<ProblemDetail> notFound(NoResourceFoundException e, HttpServletRequest request) {
        return problem(ProblemType.NOT_FOUND, "no such resource: " + request.getRequestURI(), request);
    }

    @ExceptionHandler({MissingServletRequestParameterException.class, MethodArgumentTypeMismatchException.class,
            HttpMessageNotReadableException.class})
    ResponseEntity<ProblemDetail> badRequest(Exception e, HttpServletRequest request) {
        return problem(ProblemType.MALFORMED_REQUEST, "the request could not be read", request);
    }

    @ExceptionHandler(Exception.class)
    ResponseEntity<ProblemDetail> unexpected(Exception e, HttpServletRequest request) {
        log.error("Request {} failed", request.getRequestURI(), e);
        return problem(ProblemType.INFERENCE_FAILED, "the server could not complete the request", request);
    }
}
