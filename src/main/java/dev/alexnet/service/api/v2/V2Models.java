package dev.alexnet.service.api.v2;

import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/** Bodies of the Open Inference Protocol v2 REST API (KServe, Triton). */
final class V2Models {

    private V2Models() {
    }

    record ServerMetadata(String name, String version, List<String> extensions) {
    }

    record TensorMetadata(String name, String datatype, List<Long> shape) {
    }

    record ModelMetadata(String name, List<String> versions, String platform, List<TensorMetadata> inputs,
                         List<TensorMetadata> outputs, Map<String, Object> parameters) {
    }

    record InferInput(String name, String datatype, List<Long> shape, Map<String, Object> parameters, float[] data) {
    }

    record RequestedOutput(String name, Map<String, Object> parameters) {
    }

    record InferRequest(String id, Map<String, Object> parameters, List<InferInput> inputs, List<RequestedOutput> outputs) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    record OutputTensor(String name, String datatype, List<Long> shape, Object data) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    record InferResponse(@JsonProperty("model_name") String modelName, @JsonProperty("model_version") String modelVersion,
                         String id, List<OutputTensor> outputs) {
    }

    record Error(String error) {
    }

    record Ready(boolean ready) {
    }
}
