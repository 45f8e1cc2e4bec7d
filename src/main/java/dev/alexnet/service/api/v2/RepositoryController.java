package dev.alexnet.service.api.v2;

import java.util.List;
import java.util.Map;

import dev.alexnet.service.api.problem.ProblemType;
import dev.alexnet.service.classify.ModelRegistry;
import org.springframework.boot.autoconfigure.condition.ConditionalOnExpression;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * The model repository extension of the protocol, as Triton has it: {@code POST /v2/repository/index}
 * lists every model version with its state (READY, LOADING, UNAVAILABLE) and the reason, and
 * {@code POST /v2/repository/models/{name}/load} and {@code /unload} change what is served. Only
 * with {@code alexnet.model-repository.control} set to {@code explicit} or {@code poll}; with API
 * keys configured, only for an admin key ({@code ApiKeyFilter}). Refusals answer in the protocol's
 * {@code {"error": ...}} form with the problem type's status ({@link V2Advice}).
 */
@RestController
@RequestMapping(path = "/v2/repository", produces = MediaType.APPLICATION_JSON_VALUE)
@ConditionalOnExpression("!'${alexnet.model-repository.control:none}'.trim().equalsIgnoreCase('none')"
        + " && !'${alexnet.model-repository.path:}'.isBlank()")
class RepositoryController {

    private final ModelRegistry models;

    RepositoryController(ModelRegistry models) {
        this.models = models;
    }

    /** One line of the index, in Triton's field names. */
    record IndexEntry(String name, String version, String state, String reason) {
        static IndexEntry of(ModelRegistry.Entry e) {
            return new IndexEntry(e.model(), e.version() == 0 ? "" : Long.toString(e.version()), e.state().name(),
                    e.reason() == null ? "" : e.reason());
        }
    }

    @PostMapping("/index")
    List<IndexEntry> index() {
        return models.index().stream().map(IndexEntry::of).toList();
    }

    @PostMapping("/models/{name}/load")
    Map<String, Object> load(@PathVariable String name) {
        List<ModelRegistry.Entry> entries = models.load(name);
        if (entries.stream().noneMatch(e -> e.state() == ModelRegistry.State.READY)) {
            throw new V2Exception(ProblemType.MODEL_UNAVAILABLE, "model '" + name + "' failed to load: " + String.join("; ",
                    entries.stream().map(e -> "version " + e.version() + ": " + e.reason()).toList()));
        }
        return Map.of("versions", entries.stream().map(IndexEntry::of).toList());
    }

    @PostMapping("/models/{name}/unload")
    Map<String, Object> unload(@PathVariable String name) {
        List<ModelRegistry.Entry> entries = models.unload(name);
        return Map.of("versions", entries.stream().map(IndexEntry::of).toList());
    }
}
