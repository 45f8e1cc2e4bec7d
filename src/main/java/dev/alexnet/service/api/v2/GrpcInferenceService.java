package dev.alexnet.service.api.v2;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import com.google.protobuf.ByteString;
import dev.alexnet.service.api.problem.ProblemType;
import dev.alexnet.service.classify.Classified;
import dev.alexnet.service.classify.Classifier;
import dev.alexnet.service.classify.ModelRegistry;
import dev.alexnet.service.metrics.AlexNetMetrics;
import dev.alexnet.service.api.v2.proto.GRPCInferenceServiceGrpc;
import dev.alexnet.service.api.v2.proto.InferParameter;
import dev.alexnet.service.api.v2.proto.ModelInferRequest;
import dev.alexnet.service.api.v2.proto.ModelInferResponse;
import dev.alexnet.service.api.v2.proto.ModelMetadataRequest;
import dev.alexnet.service.api.v2.proto.ModelMetadataResponse;
import dev.alexnet.service.api.v2.proto.ModelReadyRequest;
import dev.alexnet.service.api.v2.proto.ModelReadyResponse;
import dev.alexnet.service.api.v2.proto.ServerLiveRequest;
import dev.alexnet.service.api.v2.proto.ServerLiveResponse;
import dev.alexnet.service.api.v2.proto.ServerMetadataRequest;
import dev.alexnet.service.api.v2.proto.ServerMetadataResponse;
import dev.alexnet.service.api.v2.proto.ServerReadyRequest;
import dev.alexnet.service.api.v2.proto.ServerReadyResponse;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.availability.ApplicationAvailability;
import org.springframework.boot.availability.ReadinessState;
import org.springframework.stereotype.Service;

/**
 * The Open Inference Protocol over gRPC ({@code inference.GRPCInferenceService}), on the same
 * classifier, batcher and limits as the REST endpoint: a request is turned into the REST one's
 * form and goes through the same {@link V2RequestValidator}, so the two answer alike. Inputs come
 * as {@code raw_input_contents} (little-endian FP32) or {@code contents.fp32_contents}; outputs go
 * back as {@code raw_output_contents}, as Triton sends them (classification strings with a 4-byte
 * little-endian length before each). Refusals map to gRPC codes by their problem type
 * ({@link GrpcStatuses}): INVALID_ARGUMENT, NOT_FOUND, RESOURCE_EXHAUSTED with a RetryInfo of one
 * second when the queue is full, UNAVAILABLE while draining, DEADLINE_EXCEEDED past the deadline.
 */
@Service
class GrpcInferenceService extends GRPCInferenceServiceGrpc.GRPCInferenceServiceImplBase {

    private static final Logger log = LoggerFactory.getLogger(GrpcInferenceService.class);

    private final ModelRegistry models;
    private final ApplicationAvailability availability;
    private final AlexNetMetrics metrics;

    GrpcInferenceService(ModelRegistry models, ApplicationAvailability availability, AlexNetMetrics metrics) {
        this.models = models;
        this.availability = availability;
        this.metrics = metrics;
    }

    /** Ready to serve: accepting traffic, and the default model (else any model) READY and warm. */
    private boolean ready() {
        if (availability.getReadinessState() != ReadinessState.ACCEPTING_TRAFFIC) {
            return false;
        }
        return models.defaultReady();
    }

    @Override
    public void serverLive(ServerLiveRequest request, StreamObserver<ServerLiveResponse> response) {
        reply(response, ServerLiveResponse.newBuilder().setLive(true).build());
    }

    @Override
    public void serverReady(ServerReadyRequest request, StreamObserver<ServerReadyResponse> response) {
        reply(response, ServerReadyResponse.newBuilder().setReady(ready()).build());
    }

    @Override
    public void modelReady(ModelReadyRequest request, StreamObserver<ModelReadyResponse> response) {
        try {
            try (ModelRegistry.Lease lease = V2RequestValidator.lease(models, request.getName(), request.getVersion())) {
                reply(response, ModelReadyResponse.newBuilder().setReady(lease.classifier().isWarm()
                        && availability.getReadinessState() == ReadinessState.ACCEPTING_TRAFFIC).build());
            }
        } catch (RuntimeException e) {
            response.onError(status(e));
        }
    }

    @Override
    public void serverMetadata(ServerMetadataRequest request, StreamObserver<ServerMetadataResponse> response) {
        String version = GrpcInferenceService.class.getPackage().getImplementationVersion();
        reply(response, ServerMetadataResponse.newBuilder().setName("alexnet-service").setVersion(version == null ? "dev" : version)
                .addExtensions("classification").build());
    }

    @Override
    public void modelMetadata(ModelMetadataRequest request, StreamObserver<ModelMetadataResponse> response) {
        try (ModelRegistry.Lease lease = V2RequestValidator.lease(models, request.getName(), request.getVersion())) {
            V2RequestValidator validator = new V2RequestValidator(lease.classifier().architecture());
            long size = dev.alexnet.service.model.AlexNetArchitecture.INPUT_SIZE;
            reply(response, ModelMetadataResponse.newBuilder().setName(lease.model())
                    .addAllVersions(request.getVersion().isEmpty() ? models.readyVersions(lease.model()) : List.of(lease.version()))
                    .setPlatform("nd4j_alexnet")
                    .addInputs(tensor(V2RequestValidator.INPUT, List.of(-1L, 3L, size, size)))
                    .addOutputs(tensor(V2RequestValidator.PROB, List.of(-1L, (long) validator.width(V2RequestValidator.PROB))))
                    .addOutputs(tensor(V2RequestValidator.FC7, List.of(-1L, (long) validator.width(V2RequestValidator.FC7))))
                    .build());
        } catch (RuntimeException e) {
            response.onError(status(e));
        }
    }

    private static ModelMetadataResponse.TensorMetadata tensor(String name, List<Long> shape) {
        return ModelMetadataResponse.TensorMetadata.newBuilder().setName(name).setDatatype("FP32").addAllShape(shape).build();
    }

    @Override
    public void modelInfer(ModelInferRequest request, StreamObserver<ModelInferResponse> response) {
        long start = System.nanoTime();
        AlexNetMetrics.Outcome outcome = AlexNetMetrics.Outcome.ERROR;
        String model = AlexNetMetrics.NO_MODEL;
        String version = AlexNetMetrics.NO_MODEL;
        metrics.inflight().incrementAndGet();
        try (ModelRegistry.Lease lease = V2RequestValidator.lease(models, request.getModelName(), request.getModelVersion())) {
            Classifier classifier = lease.classifier();
            model = lease.model();
            version = lease.version();
            V2RequestValidator validator = new V2RequestValidator(classifier.architecture());
            V2RequestValidator.Valid valid = validator.validate(toRest(request), classifier::checkCount);
            List<Classified> results = classifier.classifyTensors(valid.data(), valid.images());
            ModelInferResponse.Builder answer = ModelInferResponse.newBuilder().setModelName(lease.model())
                    .setModelVersion(lease.version()).setId(request.getId());
            for (V2RequestValidator.Output out : valid.outputs()) {
                V2Models.OutputTensor tensor = out.classification() != null
                        ? V2Outputs.classification(classifier, out, results) : V2Outputs.tensor(validator, out, results);
                answer.addOutputs(ModelInferResponse.InferOutputTensor.newBuilder().setName(tensor.name())
                        .setDatatype(tensor.datatype()).addAllShape(tensor.shape()));
                answer.addRawOutputContents(ByteString.copyFrom(BinaryTensors.bytes(tensor.data())));
            }
            outcome = AlexNetMetrics.Outcome.SUCCESS;
            metrics.images(AlexNetMetrics.Endpoint.GRPC_INFER, model, version).increment(valid.images());
            reply(response, answer.build());
        } catch (RuntimeException e) {
            ProblemType type = ProblemType.of(e);
            outcome = type == null ? AlexNetMetrics.Outcome.ERROR : type.outcome();
            if (type != null && type.rejectReason() != null) {
                metrics.rejected(type.rejectReason()).increment();
            }
            response.onError(status(e));
        } finally {
            metrics.inflight().decrementAndGet();
            metrics.requests(AlexNetMetrics.Endpoint.GRPC_INFER, outcome, model, version).increment();
            metrics.duration(AlexNetMetrics.Endpoint.GRPC_INFER, model, version).record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
        }
    }

    /** The request in the REST protocol's form, with each input's data from its raw bytes or its typed contents. */
    static V2Models.InferRequest toRest(ModelInferRequest request) {
        if (request.getRawInputContentsCount() > 0 && request.getRawInputContentsCount() != request.getInputsCount()) {
            throw new V2Exception(request.getRawInputContentsCount() + " raw_input_contents for " + request.getInputsCount()
                    + " inputs; send one per input, in order");
        }
        List<V2Models.InferInput> inputs = new ArrayList<>(request.getInputsCount());
        for (int i = 0; i < request.getInputsCount(); i++) {
            ModelInferRequest.InferInputTensor input = request.getInputs(i);
            TensorData data = null;
            if (request.getRawInputContentsCount() > 0) {
                if (input.hasContents()) {
                    throw new V2Exception("input '" + input.getName() + "' has both contents and raw_input_contents");
                }
                ByteString raw = request.getRawInputContents(i);
                if (!"FP32".equals(input.getDatatype())) {
                    throw new V2Exception("input '" + input.getName() + "' has datatype " + input.getDatatype() + "; expected FP32");
                }
                if (raw.size() % Float.BYTES != 0) {
                    throw new V2Exception("raw_input_contents of input '" + input.getName() + "' holds " + raw.size()
                            + " bytes, not a whole number of FP32 values");
                }
                float[] values = new float[raw.size() / Float.BYTES];
                raw.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(values);
                data = TensorData.flat(values);
            } else if (input.hasContents()) {
                float[] values = new float[input.getContents().getFp32ContentsCount()];
                for (int j = 0; j < values.length; j++) {
                    values[j] = input.getContents().getFp32Contents(j);
                }
                data = TensorData.flat(values);
            }
            inputs.add(new V2Models.InferInput(input.getName(), input.getDatatype(), input.getShapeList(),
                    parameters(input.getParametersMap()), data));
        }
        List<V2Models.RequestedOutput> outputs = request.getOutputsList().stream()
                .map(o -> new V2Models.RequestedOutput(o.getName(), parameters(o.getParametersMap()))).toList();
        return new V2Models.InferRequest(request.getId(), parameters(request.getParametersMap()), inputs, outputs);
    }

    private static Map<String, Object> parameters(Map<String, InferParameter> parameters) {
        if (parameters.isEmpty()) {
            return null;
        }
        Map<String, Object> values = new LinkedHashMap<>();
        parameters.forEach((name, p) -> values.put(name, switch (p.getParameterChoiceCase()) {
            case BOOL_PARAM -> p.getBoolParam();
            case INT64_PARAM -> p.getInt64Param();
            case STRING_PARAM -> p.getStringParam();
            case PARAMETERCHOICE_NOT_SET -> null;
        }));
        return values;
    }

    private static <T> void reply(StreamObserver<T> response, T message) {
        response.onNext(message);
        response.onCompleted();
    }

    /** The gRPC status of a failed call; the refusal's problem type decides it, as it decides REST's HTTP status. */
    static StatusRuntimeException status(RuntimeException e) {
        ProblemType type = ProblemType.of(e);
        if (type == null) {
            log.error("gRPC inference failed", e);
            return GrpcStatuses.of(ProblemType.INFERENCE_FAILED, "the server could not complete the request");
        }
        return GrpcStatuses.of(type, e.getMessage());
    }
}
