package dev.alexnet.service.api.rest;

import java.io.IOException;
import java.util.List;
import java.util.Locale;

import dev.alexnet.service.api.RequestAttributes;
import dev.alexnet.service.api.http.UploadReader;
import dev.alexnet.service.api.problem.ApiException;
import dev.alexnet.service.api.problem.ProblemType;
import dev.alexnet.service.classify.Classifier;
import dev.alexnet.service.classify.ModelRegistry;
import dev.alexnet.service.classify.TopK;
import jakarta.servlet.http.HttpServletRequest;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code POST /classify} (top-k labels) and {@code POST /features} (fc7 vectors): parse, classify,
 * render. {@code model} and {@code version} choose a model of the repository (the default model
 * and its highest READY version when absent); the request holds that version until it is answered.
 */
@RestController
class ClassifyController {

    private final ModelRegistry models;
    private final UploadReader uploads;

    ClassifyController(ModelRegistry models, UploadReader uploads) {
        this.models = models;
        this.uploads = uploads;
    }

    @PostMapping(path = "/classify", produces = MediaType.APPLICATION_JSON_VALUE)
    RestModels.ClassifyResponse classify(HttpServletRequest request, @RequestParam(name = "topk", required = false) String topk,
                                         @RequestParam(name = "preview", required = false) String preview,
                                         @RequestParam(name = "model", required = false) String model,
                                         @RequestParam(name = "version", required = false) String version) throws IOException {
        try (ModelRegistry.Lease lease = models.resolve(model, version)) {
            RequestAttributes.servedBy(request, lease.model(), lease.version());
            return classify(lease.classifier(), request, topk, preview);
        }
    }

    private RestModels.ClassifyResponse classify(Classifier classifier, HttpServletRequest request, String topk, String preview)
            throws IOException {
        int classes = classifier.architecture().classes();
        int k = topk == null ? TopK.defaultFor(classes) : TopK.check("topk", parseInteger("topk", topk, classes), classes);
        boolean withPreview = parseBoolean("preview", preview);
        Classifier.Answer answer = classifier.classify(uploads.read(request, classifier::checkCount));
        request.setAttribute(RequestAttributes.IMAGES, answer.images().size());
        List<RestModels.ImageResult> results = answer.images().stream()
                .map(c -> new RestModels.ImageResult(c.filename(), c.width(), c.height(), classifier.top(c.probabilities(), k),
                        withPreview ? Previews.png(c.input()) : null))
                .toList();
        return new RestModels.ClassifyResponse(classifier.model(), results, answer.timings());
    }

    @PostMapping(path = "/features", produces = MediaType.APPLICATION_JSON_VALUE)
    RestModels.FeaturesResponse features(HttpServletRequest request,
                                         @RequestParam(name = "normalize", required = false) String normalize,
                                         @RequestParam(name = "model", required = false) String model,
                                         @RequestParam(name = "version", required = false) String version) throws IOException {
        try (ModelRegistry.Lease lease = models.resolve(model, version)) {
            RequestAttributes.servedBy(request, lease.model(), lease.version());
            return features(lease.classifier(), request, normalize);
        }
    }

    private RestModels.FeaturesResponse features(Classifier classifier, HttpServletRequest request, String normalize) throws IOException {
        boolean l2 = parseBoolean("normalize", normalize);
        Classifier.Answer answer = classifier.classify(uploads.read(request, classifier::checkCount));
        request.setAttribute(RequestAttributes.IMAGES, answer.images().size());
        List<RestModels.FeatureResult> results = answer.images().stream()
                .map(c -> new RestModels.FeatureResult(c.filename(), c.width(), c.height(), l2,
                        l2 ? Classifier.normalized(c.features()) : c.features()))
                .toList();
        return new RestModels.FeaturesResponse(classifier.model(), "fc7", classifier.architecture().fc7(), results, answer.timings());
    }

    private static long parseInteger(String name, String value, int max) {
        try {
            return Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
            throw new ApiException(ProblemType.INVALID_PARAMETER, name + " must be an integer from 1 to " + max + "; got '" + value + "'");
        }
    }

    static boolean parseBoolean(String name, String value) {
        if (value == null) {
            return false;
        }
        return switch (value.trim().toLowerCase(Locale.ROOT)) {
            case "true", "1", "yes" -> true;
            case "false", "0", "no" -> false;
            default -> throw new ApiException(ProblemType.INVALID_PARAMETER, name + " must be true or false; got '" + value + "'");
        };
    }
}
