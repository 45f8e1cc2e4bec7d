package dev.alexnet.service.api.v2;

import com.google.protobuf.Any;
import com.google.rpc.RetryInfo;
import dev.alexnet.service.api.problem.ProblemType;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;

/**
 * The gRPC status of every refusal, decided by its {@link ProblemType} as REST's HTTP status is,
 * so the two protocols cannot drift apart. The switch has no default: a new problem type does not
 * compile until it has a code here.
 */
final class GrpcStatuses {

    private GrpcStatuses() {
    }

    static Status.Code code(ProblemType type) {
        return switch (type) {
            case MISSING_IMAGE, EMPTY_IMAGE, TOO_MANY_IMAGES, INVALID_PARAMETER, MALFORMED_REQUEST, NOT_AN_IMAGE, CORRUPT_IMAGE,
                 UNSUPPORTED_FORMAT, UNSUPPORTED_MEDIA_TYPE -> Status.Code.INVALID_ARGUMENT;
            case NOT_FOUND -> Status.Code.NOT_FOUND;
            case UNAUTHORIZED -> Status.Code.UNAUTHENTICATED;
            case FORBIDDEN -> Status.Code.PERMISSION_DENIED;
            case MODEL_UNAVAILABLE, TOO_MANY_MODELS -> Status.Code.FAILED_PRECONDITION;
            case METHOD_NOT_ALLOWED -> Status.Code.UNIMPLEMENTED;
            case UPLOAD_TOO_LARGE, TOO_MANY_PIXELS, QUEUE_FULL -> Status.Code.RESOURCE_EXHAUSTED;
            case SHUTTING_DOWN -> Status.Code.UNAVAILABLE;
            case UPLOAD_TOO_SLOW, TIMEOUT -> Status.Code.DEADLINE_EXCEEDED;
            case INFERENCE_FAILED -> Status.Code.INTERNAL;
        };
    }

    /**
     * The status to close a call with. A refusal the client should retry (a full queue, a draining
     * replica) carries {@code google.rpc.RetryInfo} with the same delay as REST's Retry-After.
     */
    static StatusRuntimeException of(ProblemType type, String message) {
        Status.Code code = code(type);
        if (type.retryAfterSeconds() == null) {
            return code.toStatus().withDescription(message).asRuntimeException();
        }
        RetryInfo retry = RetryInfo.newBuilder()
                .setRetryDelay(com.google.protobuf.Duration.newBuilder().setSeconds(Long.parseLong(type.retryAfterSeconds())))
                .build();
        return StatusProto.toStatusRuntimeException(com.google.rpc.Status.newBuilder().setCode(code.value()).setMessage(message)
                .addDetails(Any.pack(retry)).build());
    }
}
