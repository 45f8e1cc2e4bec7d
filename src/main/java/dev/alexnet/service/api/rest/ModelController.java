package dev.alexnet.service.api.rest;

import java.util.List;

import dev.alexnet.service.classify.ModelInfo;
import dev.alexnet.service.classify.ModelRegistry;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code GET /model}: a model (the default one unless {@code model} names another), how inputs are
 * prepared, and the request limits; {@code GET /models}: every model and version with its state.
 */
@RestController
class ModelController {

    private final ModelRegistry models;

    ModelController(ModelRegistry models) {
        this.models = models;
    }

    @GetMapping(path = "/model", produces = MediaType.APPLICATION_JSON_VALUE)
    ModelInfo model(@RequestParam(name = "model", required = false) String model,
                    @RequestParam(name = "version", required = false) String version) {
        try (ModelRegistry.Lease lease = models.resolve(model, version)) {
            return lease.classifier().info();
        }
    }

    @GetMapping(path = "/models", produces = MediaType.APPLICATION_JSON_VALUE)
    RestModels.ModelsResponse models() {
        List<RestModels.ModelVersion> versions = models.index().stream().map(e -> {
            Integer classes = null;
            if (e.state() == ModelRegistry.State.READY) {
                try (ModelRegistry.Lease lease = models.acquire(e.model(), e.version())) {
                    classes = lease.classifier().architecture().classes();
                } catch (RuntimeException gone) {
                    // unloaded since the index was read
                }
            }
            return new RestModels.ModelVersion(e.model(), e.version(), e.state().name(), e.reason(), classes);
        }).toList();
        return new RestModels.ModelsResponse(models.defaultModel(), versions);
    }
}
