package dev.alexnet.service.api.problem;

/** A request the API refuses, with its problem type. */
public class ApiException extends RuntimeException {

    private final ProblemType type;

    public ApiException(ProblemType type, String detail) {
        super(detail);
        this.type = type;
    }

    public ProblemType type() {
        return type;
    }
}
