package dev.alexnet.service.api.rest;

import dev.alexnet.service.classify.Classifier;
import dev.alexnet.service.classify.ModelInfo;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/** {@code GET /model}: the model, how inputs are prepared, and the request limits. */
@RestController
class ModelController {

    private final Classifier classifier;

    ModelController(Classifier classifier) {
        this.classifier = classifier;
    }

    @GetMapping(path = "/model", produces = MediaType.APPLICATION_JSON_VALUE)
    ModelInfo model() {
        return classifier.info();
    }
}
