package dev.alexnet.service.api.v2;

import dev.alexnet.service.api.problem.ApiException;
import dev.alexnet.service.api.problem.ProblemType;

/**
 * A v2 protocol refusal: answered as {@code {"error": "..."}} over REST and as the problem type's
 * status over gRPC. Without a type it is a malformed request (400, INVALID_ARGUMENT).
 */
class V2Exception extends ApiException {

    V2Exception(String message) {
        this(ProblemType.MALFORMED_REQUEST, message);
    }

    V2Exception(ProblemType type, String message) {
        super(type, message);
    }
}
