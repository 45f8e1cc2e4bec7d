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

    /** An input; {@code data} is null when the tensor travels as raw bytes after the JSON (binary tensor data extension). */
    record InferInput(String name, String datatype, List<Long> shape, Map<String, Object> parameters, TensorData data) {

        InferInput withData(TensorData newData) {
            return new InferInput(name, datatype, shape, parameters, newData);
        }
    }

    record RequestedOutput(String name, Map<String, Object> parameters) {
    }

    record InferRequest(String id, Map<String, Object> parameters, List<InferInput> inputs, List<RequestedOutput> outputs) {

        InferRequest withInputs(List<InferInput> newInputs) {
            return new InferRequest(id, parameters, newInputs, outputs);
        }
    }

    /** An output; with the binary tensor data extension {@code parameters} holds its {@code binary_data_size} and {@code data} is null. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record OutputTensor(String name, String datatype, List<Long> shape, Map<String, Object> parameters, Object data) {
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
