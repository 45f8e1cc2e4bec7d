package dev.alexnet.service.api;

import java.io.IOException;
import java.util.List;

import dev.alexnet.service.model.Labels;
import jakarta.servlet.http.HttpServletRequest;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/** {@code POST /classify} (top-k labels) and {@code POST /features} (fc7 vectors). */
@RestController
class ClassificationController {

    private final ClassificationService service;
    private final UploadReader uploads;

    ClassificationController(ClassificationService service, UploadReader uploads) {
        this.service = service;
        this.uploads = uploads;
    }

    @GetMapping(path = "/model", produces = MediaType.APPLICATION_JSON_VALUE)
    ApiModels.ModelInfo model() {
        return service.modelInfo();
    }

    @PostMapping(path = "/classify", produces = MediaType.APPLICATION_JSON_VALUE)
    ApiModels.ClassifyResponse classify(HttpServletRequest request, @RequestParam(name = "topk", required = false) String topk,
                                        @RequestParam(name = "preview", required = false) String preview) throws IOException {
        Labels labels = service.labels();
        int k = parseTopK(topk, labels.size());
        boolean withPreview = parseBoolean("preview", preview);
        ClassificationService.Outcome outcome = service.run(uploads.read(request));
        request.setAttribute(MetricsFilter.IMAGES, outcome.images().size());
        List<ApiModels.ImageResult> results = outcome.images().stream()
                .map(c -> new ApiModels.ImageResult(c.upload().filename(), c.input().width(), c.input().height(),
                        service.top(c.output().probabilities(), k), withPreview ? Previews.png(c.input().tensor()) : null))
                .toList();
        return new ApiModels.ClassifyResponse(service.model(), results, outcome.timings());
    }

    @PostMapping(path = "/features", produces = MediaType.APPLICATION_JSON_VALUE)
    ApiModels.FeaturesResponse features(HttpServletRequest request,
                                        @RequestParam(name = "normalize", required = false) String normalize) throws IOException {
        boolean l2 = parseBoolean("normalize", normalize);
        ClassificationService.Outcome outcome = service.run(uploads.read(request));
        request.setAttribute(MetricsFilter.IMAGES, outcome.images().size());
        List<ApiModels.FeatureResult> results = outcome.images().stream()
                .map(c -> new ApiModels.FeatureResult(c.upload().filename(), c.input().width(), c.input().height(), l2,
                        l2 ? l2Normalize(c.output().features()) : c.output().features()))
                .toList();
        return new ApiModels.FeaturesResponse(service.model(), "fc7", service.engine().architecture().fc7(), results, outcome.timings());
    }

    static int parseTopK(String value, int classes) {
        if (value == null) {
            return Math.min(5, classes);
        }
        int k;
        try {
            k = Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            throw new ApiException(ProblemType.INVALID_PARAMETER, "topk must be an integer from 1 to " + classes + "; got '" + value + "'");
        }
        if (k < 1 || k > classes) {
            throw new ApiException(ProblemType.INVALID_PARAMETER, "topk must be from 1 to " + classes + "; got " + k);
        }
        return k;
    }

    static boolean parseBoolean(String name, String value) {
        if (value == null) {
            return false;
        }
        return switch (value.trim().toLowerCase(java.util.Locale.ROOT)) {
            case "true", "1", "yes" -> true;
            case "false", "0", "no" -> false;
            default -> throw new ApiException(ProblemType.INVALID_PARAMETER, name + " must be true or false; got '" + value + "'");
        };
    }

    static float[] l2Normalize(float[] v) {
        double sum = 0;
        for (float x : v) {
            sum += (double) x * x;
        }
        float[] out = v.clone();
        if (sum > 0) {
            double inv = 1 / Math.sqrt(sum);
            for (int i = 0; i < out.length; i++) {
                out[i] = (float) (out[i] * inv);
            }
        }
        return out;
    }
}
