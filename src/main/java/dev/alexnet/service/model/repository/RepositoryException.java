package dev.alexnet.service.model.repository;

/** A refusal by the model repository; its reason maps to a problem type in the API. */
public class RepositoryException extends RuntimeException {

    /** Why. */
    public enum Reason {
        /** A model name outside {@code [a-z0-9][a-z0-9_.-]{0,63}}, or with a path in it. */
        BAD_NAME,
        /** No such model (or version) in the repository. */
        NOT_FOUND,
        /** A symlink in the repository that leads out of it. */
        OUTSIDE_REPOSITORY,
        /** A {@code model.json} that cannot be used. */
        MALFORMED_CONFIG,
        /** A version folder without its weights or labels, or files that cannot be read. */
        INCOMPLETE_VERSION,
        /** Loading it would pass {@code alexnet.model-repository.max-loaded}. */
        TOO_MANY_LOADED
    }

    private final Reason reason;

    public RepositoryException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
