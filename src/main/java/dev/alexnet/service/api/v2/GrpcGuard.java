package dev.alexnet.service.api.v2;

import dev.alexnet.service.api.RequestAttributes;
import dev.alexnet.service.api.http.ApiKeys;
import dev.alexnet.service.api.problem.ProblemType;
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
 */
@Component
@GlobalServerInterceptor
class GrpcGuard implements ServerInterceptor {

    static final Metadata.Key<String> REQUEST_ID = Metadata.Key.of("x-request-id", Metadata.ASCII_STRING_MARSHALLER);
    static final Metadata.Key<String> API_KEY = Metadata.Key.of("x-api-key", Metadata.ASCII_STRING_MARSHALLER);
    static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

    private final ApiKeys keys;

    GrpcGuard(ApiKeys keys) {
        this.keys = keys;
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
        MDC.put("requestId", id);
        try {
            return next.startCall(withId, headers);
        } finally {
            MDC.remove("requestId");
        }
    }
}
