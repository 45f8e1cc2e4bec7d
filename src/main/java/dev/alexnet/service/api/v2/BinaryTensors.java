package dev.alexnet.service.api.v2;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import tools.jackson.core.JacksonException;
import tools.jackson.databind.json.JsonMapper;

/**
 * The binary tensor data extension (Triton's, adopted by KServe): a body whose first
 * {@code Inference-Header-Content-Length} bytes are the JSON request, followed by each input that
 * has {@code parameters.binary_data_size}, in input order, as little-endian values without
 * padding; answers the same way for outputs asked for with {@code binary_data}. A batch of 32
 * images is then 19.8 MB of floats instead of about 50 MB of JSON text to parse.
 */
final class BinaryTensors {

    /** The header that gives the JSON part's length, in requests and answers. */
    static final String HEADER = "Inference-Header-Content-Length";

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private BinaryTensors() {
    }

    /** The request in {@code body}: its JSON header, with every binary input's data read from the bytes after it. */
    static V2Models.InferRequest decode(byte[] body, String headerLength) {
        long jsonLength;
        try {
            jsonLength = Long.parseLong(headerLength.trim());
        } catch (NumberFormatException e) {
            throw new V2Exception(HEADER + " must be a byte count; got '" + headerLength + "'");
        }
        if (jsonLength < 0 || jsonLength > body.length) {
            throw new V2Exception(HEADER + " is " + jsonLength + " but the body has " + body.length + " bytes");
        }
        V2Models.InferRequest request;
        try {
            request = JSON.readValue(body, 0, (int) jsonLength, V2Models.InferRequest.class);
        } catch (JacksonException e) {
            throw new V2Exception("the first " + jsonLength + " bytes (" + HEADER + ") are not a valid inference request");
        }
        if (request == null || request.inputs() == null) {
            throw new V2Exception("expected exactly one input, 'data'");
        }
        int offset = (int) jsonLength;
        List<V2Models.InferInput> inputs = new ArrayList<>(request.inputs().size());
        for (V2Models.InferInput input : request.inputs()) {
            Object declared = input.parameters() == null ? null : input.parameters().get("binary_data_size");
            if (declared == null) {
                inputs.add(input);
                continue;
            }
            if (!(declared instanceof Number size) || size.longValue() < 0 || size.doubleValue() != Math.rint(size.doubleValue())) {
                throw new V2Exception("input '" + input.name() + "' has binary_data_size " + declared + "; expected a byte count");
            }
            if (input.data() != null) {
                throw new V2Exception("input '" + input.name() + "' has both JSON data and binary_data_size");
            }
            if (!"FP32".equals(input.datatype())) {
                throw new V2Exception("input '" + input.name() + "' has datatype " + input.datatype() + "; expected FP32");
            }
            long bytes = size.longValue();
            if (bytes % Float.BYTES != 0) {
                throw new V2Exception("input '" + input.name() + "' has binary_data_size " + bytes + ", not a whole number of FP32 values");
            }
            if (offset + bytes > body.length) {
                throw new V2Exception("input '" + input.name() + "' declares " + bytes + " bytes of binary data; the body has "
                        + (body.length - offset) + " left");
            }
            float[] values = new float[(int) (bytes / Float.BYTES)];
            ByteBuffer.wrap(body, offset, (int) bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(values);
            offset += (int) bytes;
            inputs.add(input.withData(TensorData.flat(values)));
        }
        if (offset != body.length) {
            throw new V2Exception("the body has " + (body.length - offset) + " bytes after the JSON and the binary inputs it declares");
        }
        return request.withInputs(inputs);
    }

    /** The bytes of an output: FP32 little-endian, or BYTES as a 4-byte little-endian length before each UTF-8 string. */
    static byte[] bytes(Object data) {
        if (data instanceof float[] values) {
            ByteBuffer buffer = ByteBuffer.allocate(values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
            buffer.asFloatBuffer().put(values);
            return buffer.array();
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Object element : (List<?>) data) {
            byte[] utf8 = String.valueOf(element).getBytes(StandardCharsets.UTF_8);
            out.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(utf8.length).array());
            out.writeBytes(utf8);
        }
        return out.toByteArray();
    }

    /** An output sent as bytes: its JSON entry carries the size, the bytes follow the JSON. */
    static V2Models.OutputTensor asBinary(V2Models.OutputTensor tensor, byte[] bytes) {
        return new V2Models.OutputTensor(tensor.name(), tensor.datatype(), tensor.shape(), Map.of("binary_data_size", bytes.length), null);
    }

    /** The answer's body: the JSON, then the binary outputs in order; {@code jsonLength[0]} receives the JSON's length. */
    static byte[] encode(V2Models.InferResponse response, List<byte[]> binaries, int[] jsonLength) {
        byte[] json = JSON.writeValueAsBytes(response);
        jsonLength[0] = json.length;
        int total = json.length + binaries.stream().mapToInt(b -> b.length).sum();
        ByteBuffer body = ByteBuffer.allocate(total);
        body.put(json);
        binaries.forEach(body::put);
        return body.array();
    }
}
