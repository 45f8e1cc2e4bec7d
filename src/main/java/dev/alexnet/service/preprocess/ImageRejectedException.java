package dev.alexnet.service.preprocess;

/** An upload that cannot be classified, with the reason that decides its HTTP status. */
public class ImageRejectedException extends RuntimeException {

    /** Why an image was refused. */
    public enum Reason {
        /** Zero bytes. */
        EMPTY,
        /** Not an image format we recognise. */
        NOT_AN_IMAGE,
        /** A recognised format whose data is corrupt or truncated. */
        CORRUPT,
        /** A recognised image format that this service does not decode (HEIC, AVIF, JPEG 2000, ...). */
        UNSUPPORTED_FORMAT,
        /** More pixels than {@code alexnet.max-pixels}. */
        TOO_MANY_PIXELS
    }

    private final Reason reason;

    public ImageRejectedException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public ImageRejectedException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
