package dev.alexnet.service.api;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import dev.alexnet.service.engine.Batcher;
import dev.alexnet.service.engine.InferenceEngine;
import org.springframework.boot.availability.ApplicationAvailability;
import org.springframework.boot.availability.ReadinessState;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * The Open Inference Protocol v2 REST API, so that KServe and Triton clients work unchanged. The
 * one model is {@code alexnet}, version 1; its input {@code data} is the preprocessed FP32 tensor
 * [N, 3, 227, 227] (BGR minus the ImageNet mean), its outputs {@code prob} [N, classes] and
 * {@code fc7} [N, 4096]. The classification extension answers {@code "score:index:label"} strings.
 */
@RestController
@RequestMapping(path = "/v2", produces = MediaType.APPLICATION_JSON_VALUE)
class V2Controller {

    static final String MODEL = "alexnet";
    static final String VERSION = "1";
    private static final long IMAGE = 3L * 227 * 227;

    private final ClassificationService service;
    private final ApplicationAvailability availability;
    private final UploadReader limits;

    V2Controller(ClassificationService service, ApplicationAvailability availability, UploadReader limits) {
        this.service = service;
        this.availability = availability;
        this.limits = limits;
    }

    @GetMapping
    V2Models.ServerMetadata server() {
        String version = V2Controller.class.getPackage().getImplementationVersion();
        return new V2Models.ServerMetadata("alexnet-service", version == null ? "dev" : version, List.of("classification"));
    }

    @GetMapping("/health/live")
    V2Models.Ready live() {
        return new V2Models.Ready(true);
    }

    @GetMapping({"/health/ready", "/models/{model}/ready", "/models/{model}/versions/{version}/ready"})
    ResponseEntity<?> ready(@PathVariable(required = false) String model, @PathVariable(required = false) String version) {
        if (model != null) {
            checkModel(model, version);
        }
        InferenceEngine engine = service.engine();
        boolean ready = engine.isWarm() && availability.getReadinessState() == ReadinessState.ACCEPTING_TRAFFIC;
        return ready ? ResponseEntity.ok(new V2Models.Ready(true))
                : ResponseEntity.status(HttpStatus.SERVICE_UNAVAILABLE).body(new V2Models.Error("not ready"));
    }

    @GetMapping({"/models/{model}", "/models/{model}/versions/{version}"})
    V2Models.ModelMetadata metadata(@PathVariable String model, @PathVariable(required = false) String version) {
        checkModel(model, version);
        InferenceEngine engine = service.engine();
        return new V2Models.ModelMetadata(MODEL, List.of(VERSION), "nd4j_alexnet",
                List.of(new V2Models.TensorMetadata("data", "FP32", List.of(-1L, 3L, 227L, 227L))),
                List.of(new V2Models.TensorMetadata("prob", "FP32", List.of(-1L, (long) engine.architecture().classes())),
                        new V2Models.TensorMetadata("fc7", "FP32", List.of(-1L, (long) engine.architecture().fc7()))),
                Map.of("weights", engine.source().name(), "sha256", String.valueOf(engine.source().sha256()),
                        "preprocessing", "BGR, minus mean (104.007, 116.669, 122.679), 0-255 scale, NCHW"));
    }

    @PostMapping(path = {"/models/{model}/infer", "/models/{model}/versions/{version}/infer"},
            consumes = MediaType.APPLICATION_JSON_VALUE)
    V2Models.InferResponse infer(@PathVariable String model, @PathVariable(required = false) String version,
                                 @RequestBody V2Models.InferRequest request, jakarta.servlet.http.HttpServletRequest http) {
        checkModel(model, version);
        if (request.inputs() == null || request.inputs().size() != 1) {
            throw new V2Exception("expected exactly one input, 'data'");
        }
        V2Models.InferInput input = request.inputs().get(0);
        if (!"data".equals(input.name())) {
            throw new V2Exception("unexpected input '" + input.name() + "'; the model's input is 'data'");
        }
        if (!"FP32".equals(input.datatype())) {
            throw new V2Exception("input 'data' has datatype " + input.datatype() + "; expected FP32");
        }
        List<Long> shape = input.shape();
        if (shape == null || shape.size() != 4 || shape.get(1) != 3 || shape.get(2) != 227 || shape.get(3) != 227 || shape.get(0) < 1) {
            throw new V2Exception("input 'data' has shape " + shape + "; expected [N, 3, 227, 227]");
        }
        int n = Math.toIntExact(shape.get(0));
        try {
            limits.checkCount(n);
        } catch (ApiException e) {
            throw new V2Exception(e.getMessage());
        }
        if (input.data() == null || input.data().length != n * IMAGE) {
            throw new V2Exception("input 'data' holds " + (input.data() == null ? 0 : input.data().length)
                    + " values; shape " + shape + " needs " + n * IMAGE + " (flat, row-major)");
        }
        if (input.parameters() != null && input.parameters().containsKey("binary_data_size")) {
            throw new V2Exception("the binary tensor data extension is not supported; send JSON data");
        }
        List<V2Models.RequestedOutput> wanted = request.outputs() == null || request.outputs().isEmpty()
                ? List.of(new V2Models.RequestedOutput("prob", null)) : request.outputs();
        Set<String> seen = new HashSet<>();
        for (V2Models.RequestedOutput out : wanted) {
            if (!"prob".equals(out.name()) && !"fc7".equals(out.name())) {
                throw new V2Exception("unknown output '" + out.name() + "'; the model's outputs are 'prob' and 'fc7'");
            }
            if (!seen.add(out.name())) {
                throw new V2Exception("output '" + out.name() + "' is requested twice");
            }
            classification(out);
        }
        float[] data = input.data();
        List<float[]> tensors = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            float[] t = new float[(int) IMAGE];
            System.arraycopy(data, (int) (i * IMAGE), t, 0, (int) IMAGE);
            tensors.add(t);
        }
        List<Batcher.ImageOutput> outputs = service.runTensors(tensors);
        http.setAttribute(MetricsFilter.IMAGES, n);
        List<V2Models.OutputTensor> tensorsOut = new ArrayList<>();
        for (V2Models.RequestedOutput out : wanted) {
            Integer k = classification(out);
            boolean prob = out.name().equals("prob");
            if (k != null) {
                List<String> strings = new ArrayList<>(n * k);
                for (Batcher.ImageOutput o : outputs) {
                    float[] values = prob ? o.probabilities() : o.features();
                    for (ApiModels.Prediction p : topAny(values, k, prob)) {
                        strings.add(String.format(Locale.ROOT, "%f:%d:%s", p.probability(), p.index(), p.label()));
                    }
                }
                tensorsOut.add(new V2Models.OutputTensor(out.name(), "BYTES", List.of((long) n, (long) k), strings));
            } else {
                int width = prob ? service.engine().architecture().classes() : service.engine().architecture().fc7();
                float[] flat = new float[n * width];
                for (int i = 0; i < n; i++) {
                    System.arraycopy(prob ? outputs.get(i).probabilities() : outputs.get(i).features(), 0, flat, i * width, width);
                }
                tensorsOut.add(new V2Models.OutputTensor(out.name(), "FP32", List.of((long) n, (long) width), flat));
            }
        }
        return new V2Models.InferResponse(MODEL, VERSION, request.id(), tensorsOut);
    }

    private List<ApiModels.Prediction> topAny(float[] values, int k, boolean labelled) {
        List<ApiModels.Prediction> top = service.top(values, k);
        if (labelled) {
            return top;
        }
        return top.stream().map(p -> new ApiModels.Prediction(p.rank(), p.index(), "", p.probability())).toList();
    }

    private Integer classification(V2Models.RequestedOutput out) {
        if (out.parameters() == null) {
            return null;
        }
        if (Boolean.TRUE.equals(out.parameters().get("binary_data"))) {
            throw new V2Exception("the binary tensor data extension is not supported; set binary_data to false");
        }
        Object value = out.parameters().get("classification");
        if (value == null) {
            return null;
        }
        int width = out.name().equals("prob") ? service.engine().architecture().classes() : service.engine().architecture().fc7();
        if (!(value instanceof Number number) || number.doubleValue() != Math.rint(number.doubleValue())
                || number.intValue() < 1 || number.intValue() > width) {
            throw new V2Exception("parameters.classification on '" + out.name() + "' must be an integer from 1 to " + width + "; got " + value);
        }
        return number.intValue();
    }

    private static void checkModel(String model, String version) {
        if (!MODEL.equals(model)) {
            throw new V2Exception(HttpStatus.NOT_FOUND, "unknown model '" + model + "'; this server serves '" + MODEL + "'");
        }
        if (version != null && !VERSION.equals(version)) {
            throw new V2Exception(HttpStatus.NOT_FOUND, "unknown version '" + version + "' of model '" + MODEL + "'; the version is " + VERSION);
        }
    }
}
