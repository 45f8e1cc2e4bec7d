package dev.alexnet.service.api.v2;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;

import com.google.protobuf.Descriptors;
import dev.alexnet.service.api.v2.proto.GrpcPredictV2;
import org.junit.jupiter.api.Test;

/**
 * Clients of KServe and Triton are compiled against the protocol's published
 * {@code grpc_predict_v2.proto}: every message, field name, number, label and type of ours must be
 * exactly its, and the service's methods too. The expected lines below are the published
 * definition, field by field.
 */
class ProtocolWireCompatibilityTest {

    private static final List<String> PUBLISHED = List.of(
            "inference.GRPCInferenceService/ServerLive(inference.ServerLiveRequest) -> inference.ServerLiveResponse",
            "inference.GRPCInferenceService/ServerReady(inference.ServerReadyRequest) -> inference.ServerReadyResponse",
            "inference.GRPCInferenceService/ModelReady(inference.ModelReadyRequest) -> inference.ModelReadyResponse",
            "inference.GRPCInferenceService/ServerMetadata(inference.ServerMetadataRequest) -> inference.ServerMetadataResponse",
            "inference.GRPCInferenceService/ModelMetadata(inference.ModelMetadataRequest) -> inference.ModelMetadataResponse",
            "inference.GRPCInferenceService/ModelInfer(inference.ModelInferRequest) -> inference.ModelInferResponse",
            "inference.ServerLiveRequest {}",
            "inference.ServerLiveResponse.live = 1 optional bool",
            "inference.ServerReadyRequest {}",
            "inference.ServerReadyResponse.ready = 1 optional bool",
            "inference.ModelReadyRequest.name = 1 optional string",
            "inference.ModelReadyRequest.version = 2 optional string",
            "inference.ModelReadyResponse.ready = 1 optional bool",
            "inference.ServerMetadataRequest {}",
            "inference.ServerMetadataResponse.name = 1 optional string",
            "inference.ServerMetadataResponse.version = 2 optional string",
            "inference.ServerMetadataResponse.extensions = 3 repeated string",
            "inference.ModelMetadataRequest.name = 1 optional string",
            "inference.ModelMetadataRequest.version = 2 optional string",
            "inference.ModelMetadataResponse.name = 1 optional string",
            "inference.ModelMetadataResponse.versions = 2 repeated string",
            "inference.ModelMetadataResponse.platform = 3 optional string",
            "inference.ModelMetadataResponse.inputs = 4 repeated inference.ModelMetadataResponse.TensorMetadata",
            "inference.ModelMetadataResponse.outputs = 5 repeated inference.ModelMetadataResponse.TensorMetadata",
            "inference.ModelMetadataResponse.TensorMetadata.name = 1 optional string",
            "inference.ModelMetadataResponse.TensorMetadata.datatype = 2 optional string",
            "inference.ModelMetadataResponse.TensorMetadata.shape = 3 repeated int64",
            "inference.ModelInferRequest.model_name = 1 optional string",
            "inference.ModelInferRequest.model_version = 2 optional string",
            "inference.ModelInferRequest.id = 3 optional string",
            "inference.ModelInferRequest.parameters = 4 map<string, inference.InferParameter>",
            "inference.ModelInferRequest.inputs = 5 repeated inference.ModelInferRequest.InferInputTensor",
            "inference.ModelInferRequest.outputs = 6 repeated inference.ModelInferRequest.InferRequestedOutputTensor",
            "inference.ModelInferRequest.raw_input_contents = 7 repeated bytes",
            "inference.ModelInferRequest.InferInputTensor.name = 1 optional string",
            "inference.ModelInferRequest.InferInputTensor.datatype = 2 optional string",
            "inference.ModelInferRequest.InferInputTensor.shape = 3 repeated int64",
            "inference.ModelInferRequest.InferInputTensor.parameters = 4 map<string, inference.InferParameter>",
            "inference.ModelInferRequest.InferInputTensor.contents = 5 optional inference.InferTensorContents",
            "inference.ModelInferRequest.InferRequestedOutputTensor.name = 1 optional string",
            "inference.ModelInferRequest.InferRequestedOutputTensor.parameters = 2 map<string, inference.InferParameter>",
            "inference.ModelInferResponse.model_name = 1 optional string",
            "inference.ModelInferResponse.model_version = 2 optional string",
            "inference.ModelInferResponse.id = 3 optional string",
            "inference.ModelInferResponse.parameters = 4 map<string, inference.InferParameter>",
            "inference.ModelInferResponse.outputs = 5 repeated inference.ModelInferResponse.InferOutputTensor",
            "inference.ModelInferResponse.raw_output_contents = 6 repeated bytes",
            "inference.ModelInferResponse.InferOutputTensor.name = 1 optional string",
            "inference.ModelInferResponse.InferOutputTensor.datatype = 2 optional string",
            "inference.ModelInferResponse.InferOutputTensor.shape = 3 repeated int64",
            "inference.ModelInferResponse.InferOutputTensor.parameters = 4 map<string, inference.InferParameter>",
            "inference.ModelInferResponse.InferOutputTensor.contents = 5 optional inference.InferTensorContents",
            "inference.InferParameter.bool_param = 1 optional bool in oneof parameter_choice",
            "inference.InferParameter.int64_param = 2 optional int64 in oneof parameter_choice",
            "inference.InferParameter.string_param = 3 optional string in oneof parameter_choice",
            "inference.InferTensorContents.bool_contents = 1 repeated bool",
            "inference.InferTensorContents.int_contents = 2 repeated int32",
            "inference.InferTensorContents.int64_contents = 3 repeated int64",
            "inference.InferTensorContents.uint_contents = 4 repeated uint32",
            "inference.InferTensorContents.uint64_contents = 5 repeated uint64",
            "inference.InferTensorContents.fp32_contents = 6 repeated float",
            "inference.InferTensorContents.fp64_contents = 7 repeated double",
            "inference.InferTensorContents.bytes_contents = 8 repeated bytes");

    private static String type(Descriptors.FieldDescriptor field) {
        return field.getType() == Descriptors.FieldDescriptor.Type.MESSAGE ? field.getMessageType().getFullName()
                : field.getType().name().toLowerCase(java.util.Locale.ROOT);
    }

    private static void describe(Descriptors.Descriptor message, List<String> out) {
        if (message.getOptions().getMapEntry()) {
            return;
        }
        if (message.getFields().isEmpty()) {
            out.add(message.getFullName() + " {}");
        }
        for (Descriptors.FieldDescriptor field : message.getFields()) {
            String shape;
            if (field.isMapField()) {
                shape = "map<" + type(field.getMessageType().findFieldByName("key")) + ", "
                        + type(field.getMessageType().findFieldByName("value")) + ">";
            } else {
                shape = (field.isRepeated() ? "repeated " : "optional ") + type(field);
            }
            Descriptors.OneofDescriptor oneof = field.getRealContainingOneof();
            out.add(message.getFullName() + "." + field.getName() + " = " + field.getNumber() + " " + shape
                    + (oneof == null ? "" : " in oneof " + oneof.getName()));
        }
        for (Descriptors.Descriptor nested : message.getNestedTypes()) {
            describe(nested, out);
        }
    }

    @Test
    void everyMessageFieldAndMethodIsThePublishedOne() {
        Descriptors.FileDescriptor file = GrpcPredictV2.getDescriptor();
        assertThat(file.getPackage()).isEqualTo("inference");
        List<String> ours = new ArrayList<>();
        for (Descriptors.ServiceDescriptor service : file.getServices()) {
            for (Descriptors.MethodDescriptor method : service.getMethods()) {
                ours.add(service.getFullName() + "/" + method.getName() + "(" + method.getInputType().getFullName() + ") -> "
                        + method.getOutputType().getFullName());
            }
        }
        for (Descriptors.Descriptor message : file.getMessageTypes()) {
            describe(message, ours);
        }
        assertThat(ours).containsExactlyInAnyOrderElementsOf(PUBLISHED);
    }
}
