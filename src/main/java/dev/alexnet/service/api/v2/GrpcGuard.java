package dev.alexnet.service.api.v2;

import dev.alexnet.service.api.RequestAttributes;
import dev.alexnet.service.api.http.ApiKeys;
import dev.alexnet.service.api.problem.ProblemType;
import dev.alexnet.service.engine.Batcher;
import dev.alexnet.service.metrics.AlexNetMetrics;
import io.grpc.StatusRuntimeException;
import io.grpc.ForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import org.slf4j.MDC;
import org.springframework.grpc.server.GlobalServerInterceptor;
import org.springframework.stereotype.Component;

/**
 * What the HTTP filters do for REST, for every gRPC call: the request id (the client's
 * {@code x-request-id} when it is a sane token, else a new one; echoed in the response headers and
 * put in the log lines) and the API keys, presented as {@code x-api-key} or
 * {@code authorization: Bearer} metadata (UNAUTHENTICATED without one). As on REST, liveness and
 * readiness, gRPC health checking and reflection stay open.
 * <p>
 * And, as REST's admission filter does before a body is read, {@code ModelInfer} is refused from its
 * headers alone when the queue has no room (RESOURCE_EXHAUSTED with RetryInfo) or the service is
 * draining (UNAVAILABLE), so that a refusal skips parsing and copying the call's 0.6 MB of tensor
 * per image (what the client sent before the stream was reset still crosses the transport). Calls
 * that pass are still checked when they reserve their room.
 */
@Component
@GlobalServerInterceptor
class GrpcGuard implements ServerInterceptor {

    static final Metadata.Key<String> REQUEST_ID = Metadata.Key.of("x-request-id", Metadata.ASCII_STRING_MARSHALLER);
    static final Metadata.Key<String> API_KEY = Metadata.Key.of("x-api-key", Metadata.ASCII_STRING_MARSHALLER);
    static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

    static final String MODEL_INFER = "inference.GRPCInferenceService/ModelInfer";

    private final ApiKeys keys;
    private final Batcher batcher;
    private final AlexNetMetrics metrics;

    /** With {@code batcher} null, no admission check (the tests of keys and ids alone). */
    GrpcGuard(ApiKeys keys, Batcher batcher, AlexNetMetrics metrics) {
        this.keys = keys;
        this.batcher = batcher;
        this.metrics = metrics;
    }

    /** Closes a ModelInfer call unread, counted as the service counts every refusal. */
    private void refuse(ServerCall<?, ?> call, ProblemType refusal) {
        if (refusal == ProblemType.QUEUE_FULL) {
            batcher.countQueueFullRefusal();
        }
        metrics.rejected(refusal.rejectReason()).increment();
        metrics.requests(AlexNetMetrics.Endpoint.GRPC_INFER, refusal.outcome(), AlexNetMetrics.NO_MODEL, AlexNetMetrics.NO_MODEL)
                .increment();
        StatusRuntimeException e = GrpcStatuses.of(refusal, refusal.admissionDetail());
        call.close(e.getStatus(), e.getTrailers() == null ? new Metadata() : e.getTrailers());
    }

    static boolean open(String fullMethodName) {
        return !fullMethodName.startsWith("inference.GRPCInferenceService/")
                || fullMethodName.endsWith("/ServerLive") || fullMethodName.endsWith("/ServerReady");
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        String given = headers.get(REQUEST_ID);
        String id = RequestAttributes.requestId(given);
        ServerCall<Q, R> withId = new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
            @Override
            public void sendHeaders(Metadata responseHeaders) {
                responseHeaders.put(REQUEST_ID, id);
                super.sendHeaders(responseHeaders);
            }

            @Override
            public void close(Status status, Metadata trailers) {
                trailers.put(REQUEST_ID, id);
                super.close(status, trailers);
            }
        };
        if (keys.enabled() && !open(call.getMethodDescriptor().getFullMethodName())) {
            String presented = ApiKeys.presented(headers.get(API_KEY), headers.get(AUTHORIZATION));
            if (!keys.accepts(presented)) {
                withId.close(GrpcStatuses.of(ProblemType.UNAUTHORIZED, presented == null
                        ? "an API key is required: send it as x-api-key or authorization: Bearer metadata" : "the API key is not valid")
                        .getStatus(), new Metadata());
                return new ServerCall.Listener<>() { };
            }
        }
        if (batcher != null && call.getMethodDescriptor().getFullMethodName().equals(MODEL_INFER)) {
            ProblemType refusal = ProblemType.admission(batcher);
            if (refusal != null) {
                refuse(withId, refusal);
                return new ServerCall.Listener<>() { };
            }
        }
        MDC.put("requestId", id);
        try {
            return next.startCall(withId, headers);
        } finally {
            MDC.remove("requestId");
        }
    }
}
