package dev.alexnet.service.api.v2;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.alexnet.service.api.RequestAttributes;
import dev.alexnet.service.api.http.UploadReader;
import dev.alexnet.service.classify.Classified;
import dev.alexnet.service.classify.Classifier;
import dev.alexnet.service.classify.ModelRegistry;
import dev.alexnet.service.classify.ModelDescription;
import dev.alexnet.service.model.AlexNetArchitecture;
import jakarta.servlet.http.HttpServletRequest;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.availability.ApplicationAvailability;
import org.springframework.boot.availability.ReadinessState;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.util.unit.DataSize;

/**
 * The Open Inference Protocol v2 REST API, so that KServe and Triton clients work unchanged. The
 * one model is {@code alexnet}, version 1; its input {@code data} is the preprocessed FP32 tensor
 * [N, 3, 227, 227] (BGR minus the ImageNet mean), its outputs {@code prob} [N, classes] and
 * {@code fc7} [N, 4096]. The classification extension answers {@code "score:index:label"} strings
 * for {@code prob} and {@code "score:index"} for {@code fc7}, which has no labels.
 */
@RestController
@RequestMapping(path = "/v2", produces = MediaType.APPLICATION_JSON_VALUE)
class V2Controller {

    static final String VERSION = "1";

    private final ModelRegistry models;
    private final ApplicationAvailability availability;
    private final UploadReader uploads;
    private final long maxBinaryBytes;

    /** @param maxBinaryBytes the largest binary request body: the same bound as a multipart request's */
    V2Controller(ModelRegistry models, ApplicationAvailability availability, UploadReader uploads,
                 @Value("${spring.servlet.multipart.max-request-size:64MB}") DataSize maxBinaryBytes) {
        this.models = models;
        this.availability = availability;
        this.uploads = uploads;
        this.maxBinaryBytes = maxBinaryBytes.toBytes();
    }

    @GetMapping
    V2Models.ServerMetadata server() {
        String version = V2Controller.class.getPackage().getImplementationVersion();
        return new V2Models.ServerMetadata("alexnet-service", version == null ? "dev" : version,
                List.of("classification", "binary_tensor_data"));
    }

    @GetMapping("/health/live")
    V2Models.Ready live() {
        return new V2Models.Ready(true);
    }

    @GetMapping({"/health/ready", "/models/{model}/ready", "/models/{model}/versions/{version}/ready"})
    ResponseEntity<?> ready(@PathVariable(required = false) String model, @PathVariable(required = false) String version) {
        boolean ready;
        if (model != null) {
            try (ModelRegistry.Lease lease = lease(model, version)) {
                ready = lease.classifier().isWarm();
            }
        } else {
            ready = models.defaultReady();
        }
        ready = ready && availability.getReadinessState() == ReadinessState.ACCEPTING_TRAFFIC;
        return ready ? ResponseEntity.ok(new V2Models.Ready(true))
                : ResponseEntity.status(HttpStatus.SERVICE_UNAVAILABLE).body(new V2Models.Error("not ready"));
    }

    @GetMapping({"/models/{model}", "/models/{model}/versions/{version}"})
    V2Models.ModelMetadata metadata(@PathVariable String model, @PathVariable(required = false) String version) {
        try (ModelRegistry.Lease lease = lease(model, version)) {
            Classifier classifier = lease.classifier();
            ModelDescription description = classifier.model();
            V2RequestValidator validator = new V2RequestValidator(classifier.architecture());
            long size = AlexNetArchitecture.INPUT_SIZE;
            Map<String, Object> parameters = new LinkedHashMap<>();
            parameters.put("weights", description.weights());
            parameters.put("sha256", String.valueOf(description.sha256()));
            parameters.put("preprocessing", classifier.inputConvention());
            return new V2Models.ModelMetadata(lease.model(), version == null ? models.readyVersions(lease.model()) : List.of(lease.version()),
                    "nd4j_alexnet",
                    List.of(new V2Models.TensorMetadata(V2RequestValidator.INPUT, "FP32", List.of(-1L, 3L, size, size))),
                    List.of(new V2Models.TensorMetadata(V2RequestValidator.PROB, "FP32", List.of(-1L, (long) validator.width("prob"))),
                            new V2Models.TensorMetadata(V2RequestValidator.FC7, "FP32", List.of(-1L, (long) validator.width("fc7")))),
                    parameters);
        }
    }

    @PostMapping(path = {"/models/{model}/infer", "/models/{model}/versions/{version}/infer"},
            consumes = MediaType.APPLICATION_JSON_VALUE)
    ResponseEntity<?> infer(@PathVariable String model, @PathVariable(required = false) String version,
                            @RequestBody V2Models.InferRequest request, HttpServletRequest http) {
        try (ModelRegistry.Lease lease = lease(model, version)) {
            return answer(lease, request, http);
        }
    }

    /** The binary tensor data extension: the JSON request, then raw tensor bytes, in one body of any content type. */
    @PostMapping(path = {"/models/{model}/infer", "/models/{model}/versions/{version}/infer"}, headers = BinaryTensors.HEADER)
    ResponseEntity<?> inferBinary(@PathVariable String model, @PathVariable(required = false) String version,
                                  @RequestHeader(BinaryTensors.HEADER) String jsonLength, HttpServletRequest http) throws IOException {
        try (ModelRegistry.Lease lease = lease(model, version)) {
            return answer(lease, BinaryTensors.decode(uploads.readBody(http, maxBinaryBytes), jsonLength), http);
        }
    }

    private ModelRegistry.Lease lease(String model, String version) {
        return V2RequestValidator.lease(models, model, version);
    }

    private ResponseEntity<?> answer(ModelRegistry.Lease lease, V2Models.InferRequest request, HttpServletRequest http) {
        RequestAttributes.servedBy(http, lease.model(), lease.version());
        Classifier classifier = lease.classifier();
        V2RequestValidator validator = new V2RequestValidator(classifier.architecture());
        V2RequestValidator.Valid valid = validator.validate(request, classifier::checkCount);
        int n = valid.images();
        List<Classified> results = classifier.classifyTensors(valid.data(), n);
        http.setAttribute(RequestAttributes.IMAGES, n);
        List<V2Models.OutputTensor> outputs = new ArrayList<>(valid.outputs().size());
        List<byte[]> binaries = new ArrayList<>();
        for (V2RequestValidator.Output out : valid.outputs()) {
            V2Models.OutputTensor tensor = out.classification() != null
                    ? V2Outputs.classification(classifier, out, results) : V2Outputs.tensor(validator, out, results);
            if (out.binary()) {
                byte[] bytes = BinaryTensors.bytes(tensor.data());
                binaries.add(bytes);
                tensor = BinaryTensors.asBinary(tensor, bytes);
            }
            outputs.add(tensor);
        }
        V2Models.InferResponse response = new V2Models.InferResponse(lease.model(), lease.version(), request.id(), outputs);
        if (binaries.isEmpty()) {
            return ResponseEntity.ok().contentType(MediaType.APPLICATION_JSON).body(response);
        }
        int[] jsonLength = new int[1];
        byte[] body = BinaryTensors.encode(response, binaries, jsonLength);
        return ResponseEntity.ok().contentType(MediaType.APPLICATION_OCTET_STREAM)
                .header(BinaryTensors.HEADER, Integer.toString(jsonLength[0])).body(body);
    }
}
