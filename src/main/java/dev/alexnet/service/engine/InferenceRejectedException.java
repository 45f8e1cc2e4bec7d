package dev.alexnet.service.engine;

/** The batcher refused or dropped work: the caller should retry later (HTTP 503 with Retry-After). */
public class InferenceRejectedException extends RuntimeException {

    /** Why. */
    public enum Reason {
        /** The bounded queue had no room for all of the request's images. */
        QUEUE_FULL,
        /** The service is draining before it stops. */
        SHUTTING_DOWN,
        /** The request's deadline passed before its images were classified. */
        TIMEOUT
    }

    private final Reason reason;

    public InferenceRejectedException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
