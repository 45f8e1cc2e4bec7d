package dev.alexnet.service.classify;

/** A request the classification use case refuses before any work, with the reason that decides the answer's status. */
public class ClassifyRequestException extends RuntimeException {

    /** Why. */
    public enum Reason {
        /** More images in one request than {@code alexnet.limits.max-images-per-request}. */
        TOO_MANY_IMAGES,
        /** A top-k outside 1 to the output's width. */
        INVALID_TOP_K
    }

    private final Reason reason;

    public ClassifyRequestException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
