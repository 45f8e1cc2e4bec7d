package dev.alexnet.service.model.repository;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The layout rules: what is a model and a version, what is passed over, and what is refused and why. */
class ModelRepositoryTest {

    @TempDir
    Path dir;

    private Path version(String model, String version) throws IOException {
        Path folder = Files.createDirectories(dir.resolve("repo").resolve(model).resolve(version));
        Files.write(folder.resolve(ModelRepository.WEIGHTS), new byte[] {1});
        Files.writeString(folder.resolve(ModelRepository.LABELS), "a\nb\n");
        return folder;
    }

    private ModelRepository repository() {
        return new ModelRepository(dir.resolve("repo"));
    }

    @Test
    void modelsVersionsAndThePolicyChoice() throws IOException {
        version("alexnet", "1");
        version("alexnet", "2");
        version("flowers", "3");
        Files.writeString(dir.resolve("repo/flowers/model.json"), "{\"version_policy\": {\"all\": {}}, \"preprocessing\": \"resize\"}");
        version("flowers", "7");

        ModelRepository.Snapshot snapshot = repository().scan();

        assertThat(snapshot.models()).extracting(ModelRepository.Model::name).containsExactly("alexnet", "flowers");
        ModelRepository.Model alexnet = snapshot.model("alexnet");
        assertThat(alexnet.problem()).isNull();
        assertThat(alexnet.versions()).extracting(ModelRepository.Version::number).containsExactly(1L, 2L);
        assertThat(alexnet.chosen()).as("the default policy: the latest").containsExactly(2L);
        assertThat(alexnet.version(1).weights()).isEqualTo(repository().root().resolve("alexnet/1/weights.npy"));
        ModelRepository.Model flowers = snapshot.model("flowers");
        assertThat(flowers.chosen()).containsExactly(3L, 7L);
        assertThat(flowers.config().preprocessing()).isEqualTo("resize");
        assertThat(snapshot.ignored()).isEmpty();
    }

    @Test
    void foldersThatAreNotModelsOrVersionsArePassedOverAndSaidSo() throws IOException {
        version("alexnet", "1");
        Files.createDirectories(dir.resolve("repo/Alexnet/1"));
        Files.createDirectories(dir.resolve("repo/alexnet/latest"));
        Files.createDirectories(dir.resolve("repo/alexnet/0"));
        Files.writeString(dir.resolve("repo/README"), "notes");

        ModelRepository.Snapshot snapshot = repository().scan();

        assertThat(snapshot.models()).extracting(ModelRepository.Model::name).containsExactly("alexnet");
        assertThat(snapshot.ignored()).extracting(i -> i.path().getFileName().toString() + ": " + i.reason())
                .containsExactlyInAnyOrder("Alexnet: 'Alexnet' is not a model name: lower-case letters, digits, '_', '.', '-', "
                                + "starting with a letter or digit, at most 64",
                        "README: not a folder", "0: not a version folder (a positive integer)",
                        "latest: not a version folder (a positive integer)");
    }

    @Test
    void aVersionWithoutItsFilesIsUnsoundAndNotChosen() throws IOException {
        version("alexnet", "1");
        Files.delete(version("alexnet", "2").resolve(ModelRepository.LABELS));
        Files.createDirectories(dir.resolve("repo/empty"));

        ModelRepository.Snapshot snapshot = repository().scan();

        ModelRepository.Model alexnet = snapshot.model("alexnet");
        assertThat(alexnet.version(2).problem()).isEqualTo("version 2 has no labels.txt");
        assertThat(alexnet.chosen()).as("the latest sound version").containsExactly(1L);
        assertThat(snapshot.model("empty").problem()).contains("no version folders");
    }

    @Test
    void aMalformedConfigMakesItsModelUnavailableAndNoOther() throws IOException {
        version("alexnet", "1");
        version("broken", "1");
        Files.writeString(dir.resolve("repo/broken/model.json"), "{\"version_policy\": {\"newest\": {}}}");

        ModelRepository.Snapshot snapshot = repository().scan();

        assertThat(snapshot.model("broken").problem()).isEqualTo("model.json: unknown version policy 'newest'; expected latest, all or specific");
        assertThat(snapshot.model("broken").chosen()).isEmpty();
        assertThat(snapshot.model("alexnet").problem()).isNull();
    }

    @Test
    void symlinksOutOfTheRepositoryAreRefusedAndInsideAreFollowed() throws IOException {
        Path outside = Files.createDirectories(dir.resolve("elsewhere/1"));
        Files.write(outside.resolve(ModelRepository.WEIGHTS), new byte[] {1});
        Files.writeString(outside.resolve(ModelRepository.LABELS), "a\n");
        version("alexnet", "1");
        Files.createSymbolicLink(dir.resolve("repo/stolen"), dir.resolve("elsewhere"));
        Files.createSymbolicLink(dir.resolve("repo/alexnet/2"), outside);
        version("inside", "1");
        Files.createSymbolicLink(dir.resolve("repo/inside/2"), dir.resolve("repo/alexnet/1"));
        Path sneaky = version("sneaky", "1");
        Files.delete(sneaky.resolve(ModelRepository.WEIGHTS));
        Files.createSymbolicLink(sneaky.resolve(ModelRepository.WEIGHTS), outside.resolve(ModelRepository.WEIGHTS));
        Files.createSymbolicLink(dir.resolve("repo/inside/model.json"), dir.resolve("nowhere.json"));

        ModelRepository.Snapshot snapshot = repository().scan();

        assertThat(snapshot.model("stolen").problem()).startsWith("stolen leads outside the repository");
        assertThat(snapshot.model("alexnet").version(2).problem()).startsWith("alexnet/2 leads outside the repository");
        assertThat(snapshot.model("alexnet").chosen()).containsExactly(1L);
        assertThat(snapshot.model("sneaky").version(1).problem()).startsWith("sneaky/1/weights.npy leads outside the repository");
        assertThat(snapshot.model("inside").problem()).isEqualTo("inside/model.json is a broken link");
        Files.delete(dir.resolve("repo/inside/model.json"));
        assertThat(repository().scan().model("inside").chosen()).as("a link that stays inside is followed").containsExactly(2L);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "../alexnet", "a/b", "..", "a..b", ".hidden", "-x", "UPPER", "name with space",
            "a12345678901234567890123456789012345678901234567890123456789012345"})
    void namesThatAreNotModelNamesAreRefused(String name) throws IOException {
        Files.createDirectories(dir.resolve("repo"));
        assertThatThrownBy(() -> repository().scan(name)).isInstanceOfSatisfying(RepositoryException.class,
                e -> assertThat(e.reason()).isEqualTo(RepositoryException.Reason.BAD_NAME));
    }

    @Test
    void oneModelByNameAndAMissingOne() throws IOException {
        Files.createDirectories(dir.resolve("repo"));
        version("flowers.v2_x-1", "4");
        assertThat(repository().scan("flowers.v2_x-1").chosen()).containsExactly(4L);
        assertThatThrownBy(() -> repository().scan("absent")).isInstanceOfSatisfying(RepositoryException.class,
                e -> assertThat(e.reason()).isEqualTo(RepositoryException.Reason.NOT_FOUND));
        assertThatThrownBy(() -> new ModelRepository(dir.resolve("nothing-here"))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no such folder");
    }
}
