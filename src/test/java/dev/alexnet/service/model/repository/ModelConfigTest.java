package dev.alexnet.service.model.repository;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.SortedSet;
import java.util.TreeSet;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** model.json in Triton's policy form, and every way it can be wrong, each named. */
class ModelConfigTest {

    private static final SortedSet<Long> PRESENT = new TreeSet<>(List.of(1L, 2L, 5L, 9L));

    @Test
    void aFullConfigAndThePolicies() {
        ModelConfig config = ModelConfig.parse("""
                {"preprocessing": "resize", "description": "flowers, fine-tuned",
                 "version_policy": {"latest": {"num_versions": 2}}}""");
        assertThat(config.preprocessing()).isEqualTo("resize");
        assertThat(config.description()).isEqualTo("flowers, fine-tuned");
        assertThat(config.versionPolicy().select(PRESENT)).containsExactly(5L, 9L);
        assertThat(ModelConfig.parse("{\"version_policy\": {\"all\": {}}}").versionPolicy().select(PRESENT)).containsExactly(1L, 2L, 5L, 9L);
        assertThat(ModelConfig.parse("{\"version_policy\": {\"specific\": {\"versions\": [2, 3, 9]}}}").versionPolicy().select(PRESENT))
                .as("3 is not present, so not served").containsExactly(2L, 9L);
        assertThat(ModelConfig.parse("{}")).isEqualTo(new ModelConfig(null, null, VersionPolicy.DEFAULT));
        assertThat(VersionPolicy.DEFAULT.select(PRESENT)).as("Triton's default: the latest one").containsExactly(9L);
        assertThat(new VersionPolicy.Latest(10).select(PRESENT)).hasSize(4);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
            "{not json                                                   | not valid JSON",
            "[1, 2]                                                      | expected a JSON object",
            "{\"version-policy\": {}}                                    | unknown key 'version-policy'",
            "{\"description\": 7}                                        | 'description' must be a string",
            "{\"version_policy\": {\"latest\": {\"num_versions\": 0}}}   | at least 1",
            "{\"version_policy\": {\"latest\": {\"num_versions\": 1.5}}} | num_versions",
            "{\"version_policy\": {\"latest\": {}, \"all\": {}}}         | exactly one of latest, all, specific",
            "{\"version_policy\": {\"newest\": {}}}                      | unknown version policy 'newest'",
            "{\"version_policy\": {\"all\": {\"x\": 1}}}                 | takes no settings",
            "{\"version_policy\": {\"specific\": {\"versions\": []}}}    | at least one version",
            "{\"version_policy\": {\"specific\": {\"versions\": [0]}}}   | positive integers",
            "{\"version_policy\": {\"specific\": {\"versions\": [\"1\"]}}} | positive integers",
            "{\"version_policy\": \"latest\"}                            | exactly one of latest, all, specific",
    })
    void everyMalformedConfigIsRefusedWithWhatIsWrong(String json, String mentions) {
        assertThatThrownBy(() -> ModelConfig.parse(json)).isInstanceOfSatisfying(RepositoryException.class, e -> {
            assertThat(e.reason()).isEqualTo(RepositoryException.Reason.MALFORMED_CONFIG);
            assertThat(e.getMessage()).startsWith("model.json: ").contains(mentions);
        });
    }
}
