package dev.alexnet.service.api.problem;

import java.net.URI;

import dev.alexnet.service.classify.ClassifyRequestException;
import dev.alexnet.service.engine.InferenceRejectedException;
import dev.alexnet.service.metrics.AlexNetMetrics.Outcome;
import dev.alexnet.service.metrics.AlexNetMetrics.RejectReason;
import dev.alexnet.service.model.repository.RepositoryException;
import dev.alexnet.service.preprocess.ImageRejectedException;
import org.springframework.http.HttpStatus;

/** The stable problem types of the API (RFC 9457); clients may switch on {@link #uri()}. */
public enum ProblemType {
    MISSING_IMAGE("missing-image", HttpStatus.BAD_REQUEST, "No image in the request"),
    EMPTY_IMAGE("empty-image", HttpStatus.BAD_REQUEST, "Empty image"),
    TOO_MANY_IMAGES("too-many-images", HttpStatus.BAD_REQUEST, "Too many images in one request"),
    INVALID_PARAMETER("invalid-parameter", HttpStatus.BAD_REQUEST, "Invalid parameter"),
    MALFORMED_REQUEST("malformed-request", HttpStatus.BAD_REQUEST, "Malformed request"),
    NOT_AN_IMAGE("not-an-image", HttpStatus.UNPROCESSABLE_CONTENT, "Not an image"),
    CORRUPT_IMAGE("corrupt-image", HttpStatus.UNPROCESSABLE_CONTENT, "Corrupt or truncated image"),
    UNSUPPORTED_FORMAT("unsupported-format", HttpStatus.UNSUPPORTED_MEDIA_TYPE, "Unsupported image format"),
    UNSUPPORTED_MEDIA_TYPE("unsupported-media-type", HttpStatus.UNSUPPORTED_MEDIA_TYPE, "Unsupported request content type"),
    UPLOAD_TOO_SLOW("upload-too-slow", HttpStatus.REQUEST_TIMEOUT, "Upload too slow"),
    UPLOAD_TOO_LARGE("upload-too-large", HttpStatus.CONTENT_TOO_LARGE, "Upload too large"),
    TOO_MANY_PIXELS("too-many-pixels", HttpStatus.CONTENT_TOO_LARGE, "Image has too many pixels"),
    UNAUTHORIZED("unauthorized", HttpStatus.UNAUTHORIZED, "Unauthorized"),
    NOT_FOUND("not-found", HttpStatus.NOT_FOUND, "Not found"),
    METHOD_NOT_ALLOWED("method-not-allowed", HttpStatus.METHOD_NOT_ALLOWED, "Method not allowed"),
    FORBIDDEN("forbidden", HttpStatus.FORBIDDEN, "Not allowed with this key"),
    MODEL_UNAVAILABLE("model-unavailable", HttpStatus.CONFLICT, "The model cannot be loaded"),
    TOO_MANY_MODELS("too-many-models", HttpStatus.CONFLICT, "Too many models loaded"),
    QUEUE_FULL("queue-full", HttpStatus.SERVICE_UNAVAILABLE, "Server busy"),
    SHUTTING_DOWN("shutting-down", HttpStatus.SERVICE_UNAVAILABLE, "Server shutting down"),
    TIMEOUT("timeout", HttpStatus.SERVICE_UNAVAILABLE, "Request deadline exceeded"),
    INFERENCE_FAILED("inference-failed", HttpStatus.INTERNAL_SERVER_ERROR, "Inference failed");

    private final String slug;
    private final HttpStatus status;
    private final String title;

    ProblemType(String slug, HttpStatus status, String title) {
        this.slug = slug;
        this.status = status;
        this.title = title;
    }

    public URI uri() {
        return URI.create("urn:alexnet:problem:" + slug);
    }

    public HttpStatus status() {
        return status;
    }

    public String title() {
        return title;
    }

    /** The {@code Retry-After} seconds that go with a 503 of this type, or null for the others. */
    public String retryAfterSeconds() {
        if (status != HttpStatus.SERVICE_UNAVAILABLE) {
            return null;
        }
        return this == SHUTTING_DOWN ? "5" : "1";
    }

    /** How a request refused with this type is counted in {@code alexnet_requests_total}'s {@code outcome}. */
    public Outcome outcome() {
        if (this == TIMEOUT) {
            return Outcome.TIMEOUT;
        }
        if (status == HttpStatus.SERVICE_UNAVAILABLE) {
            return Outcome.REJECTED;
        }
        return status.is4xxClientError() ? Outcome.CLIENT_ERROR : Outcome.ERROR;
    }

    /** The {@code reason} of {@code alexnet_rejected_total} this refusal counts under, or null for none. */
    public RejectReason rejectReason() {
        return switch (this) {
            case QUEUE_FULL -> RejectReason.QUEUE_FULL;
            case TIMEOUT -> RejectReason.TIMEOUT;
            case SHUTTING_DOWN -> RejectReason.SHUTTING_DOWN;
            case UPLOAD_TOO_LARGE, TOO_MANY_PIXELS -> RejectReason.TOO_LARGE;
            case NOT_AN_IMAGE, CORRUPT_IMAGE, EMPTY_IMAGE -> RejectReason.BAD_IMAGE;
            case UNSUPPORTED_FORMAT, UNSUPPORTED_MEDIA_TYPE -> RejectReason.UNSUPPORTED;
            default -> null;
        };
    }

    /**
     * Why {@code batcher} would refuse a request before reading it: {@link #SHUTTING_DOWN} while it
     * drains, {@link #QUEUE_FULL} without room in images or time; null when it would take it. REST's
     * admission filter and gRPC's guard both ask here, so the two protocols refuse alike.
     */
    public static ProblemType admission(dev.alexnet.service.engine.Batcher batcher) {
        return !batcher.isAccepting() ? SHUTTING_DOWN : !batcher.hasRoom() ? QUEUE_FULL : null;
    }

    /** The detail of an {@link #admission} refusal. */
    public String admissionDetail() {
        return this == SHUTTING_DOWN ? "the service is shutting down" : "the inference queue is full; retry shortly";
    }

    /**
     * The problem type of any refusal the API or the layers under it throw, or null for an
     * unexpected failure (which is a 500 and logged, never a client's fault).
     */
    public static ProblemType of(Throwable e) {
        if (e instanceof ApiException api) {
            return api.type();
        }
        if (e instanceof ImageRejectedException image) {
            return of(image.reason());
        }
        if (e instanceof InferenceRejectedException rejected) {
            return of(rejected.reason());
        }
        if (e instanceof RepositoryException repository) {
            return of(repository.reason());
        }
        return e instanceof ClassifyRequestException refused ? of(refused.reason()) : null;
    }

    /** The problem type of an image the preprocessing refused. */
    public static ProblemType of(ImageRejectedException.Reason reason) {
        return switch (reason) {
            case EMPTY -> EMPTY_IMAGE;
            case NOT_AN_IMAGE -> NOT_AN_IMAGE;
            case CORRUPT -> CORRUPT_IMAGE;
            case UNSUPPORTED_FORMAT -> UNSUPPORTED_FORMAT;
            case TOO_MANY_PIXELS -> TOO_MANY_PIXELS;
        };
    }

    /** The problem type of work the batcher refused or dropped. */
    public static ProblemType of(InferenceRejectedException.Reason reason) {
        return switch (reason) {
            case QUEUE_FULL -> QUEUE_FULL;
            case SHUTTING_DOWN -> SHUTTING_DOWN;
            case TIMEOUT -> TIMEOUT;
        };
    }

    /** The problem type of a model repository's refusal. */
    public static ProblemType of(RepositoryException.Reason reason) {
        return switch (reason) {
            case BAD_NAME -> INVALID_PARAMETER;
            case NOT_FOUND -> NOT_FOUND;
            case OUTSIDE_REPOSITORY, MALFORMED_CONFIG, INCOMPLETE_VERSION -> MODEL_UNAVAILABLE;
            case TOO_MANY_LOADED -> TOO_MANY_MODELS;
        };
    }

    /** The problem type of a request the classification use case refused. */
    public static ProblemType of(ClassifyRequestException.Reason reason) {
        return switch (reason) {
            case TOO_MANY_IMAGES -> TOO_MANY_IMAGES;
            case INVALID_TOP_K -> INVALID_PARAMETER;
        };
    }
}
