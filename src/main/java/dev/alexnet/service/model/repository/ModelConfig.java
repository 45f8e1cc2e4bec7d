package dev.alexnet.service.model.repository;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A model's optional {@code model.json}: how its images are preprocessed ({@code center-crop} or
 * {@code resize}; null for the service's default), a description, and the version policy in
 * Triton's form ({@code {"latest": {"num_versions": 2}}}, {@code {"all": {}}} or
 * {@code {"specific": {"versions": [1, 3]}}}). Unknown keys are refused, so a misspelt policy does
 * not silently serve the wrong versions.
 */
public record ModelConfig(String preprocessing, String description, VersionPolicy versionPolicy) {

    public static final ModelConfig DEFAULT = new ModelConfig(null, null, VersionPolicy.DEFAULT);

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final Set<String> KEYS = Set.of("preprocessing", "description", "version_policy");

    /** Parses the file's text; throws {@link RepositoryException} ({@code MALFORMED_CONFIG}) naming what is wrong. */
    public static ModelConfig parse(String json) {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (JacksonException e) {
            throw malformed("not valid JSON: " + e.getOriginalMessage());
        }
        if (root == null || !root.isObject()) {
            throw malformed("expected a JSON object");
        }
        for (String key : root.propertyNames()) {
            if (!KEYS.contains(key)) {
                throw malformed("unknown key '" + key + "'; expected " + String.join(", ", KEYS.stream().sorted().toList()));
            }
        }
        String preprocessing = text(root, "preprocessing");
        String description = text(root, "description");
        VersionPolicy policy = root.has("version_policy") ? policy(root.get("version_policy")) : VersionPolicy.DEFAULT;
        return new ModelConfig(preprocessing, description, policy);
    }

    private static String text(JsonNode root, String key) {
        JsonNode node = root.get(key);
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isString()) {
            throw malformed("'" + key + "' must be a string");
        }
        return node.asString();
    }

    private static VersionPolicy policy(JsonNode node) {
        if (!node.isObject() || node.size() != 1) {
            throw malformed("'version_policy' must be an object with exactly one of latest, all, specific");
        }
        Map.Entry<String, JsonNode> only = node.properties().iterator().next();
        JsonNode body = only.getValue();
        if (!body.isObject()) {
            throw malformed("'version_policy." + only.getKey() + "' must be an object");
        }
        try {
            return switch (only.getKey()) {
                case "latest" -> {
                    JsonNode n = body.get("num_versions");
                    if (n == null || !n.isIntegralNumber() || body.size() != 1) {
                        throw malformed("'version_policy.latest' needs exactly {\"num_versions\": N} with N a positive integer");
                    }
                    yield new VersionPolicy.Latest(n.asInt());
                }
                case "all" -> {
                    if (!body.isEmpty()) {
                        throw malformed("'version_policy.all' takes no settings: {}");
                    }
                    yield new VersionPolicy.All();
                }
                case "specific" -> {
                    JsonNode versions = body.get("versions");
                    if (versions == null || !versions.isArray() || body.size() != 1) {
                        throw malformed("'version_policy.specific' needs exactly {\"versions\": [1, 2, ...]}");
                    }
                    List<Long> list = new ArrayList<>();
                    for (Iterator<JsonNode> it = versions.values().iterator(); it.hasNext(); ) {
                        JsonNode v = it.next();
                        if (!v.isIntegralNumber()) {
                            throw malformed("'version_policy.specific.versions' holds " + v + "; versions are positive integers");
                        }
                        list.add(v.asLong());
                    }
                    yield new VersionPolicy.Specific(list);
                }
                default -> throw malformed("unknown version policy '" + only.getKey() + "'; expected latest, all or specific");
            };
        } catch (IllegalArgumentException e) {
            throw malformed("'version_policy': " + e.getMessage());
        }
    }

    private static RepositoryException malformed(String detail) {
        return new RepositoryException(RepositoryException.Reason.MALFORMED_CONFIG, "model.json: " + detail);
    }
}
