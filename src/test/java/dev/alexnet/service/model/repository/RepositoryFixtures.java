package dev.alexnet.service.model.repository;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

import dev.alexnet.service.model.AlexNetArchitecture;
import dev.alexnet.service.model.weights.AlexNetWeights;
import dev.alexnet.service.model.weights.NpyWeightsReader;
import dev.alexnet.service.model.weights.NpyWeightsWriter;

/** Repository versions on the reduced fixture network (a few kB each), for the tests of every layer that serves them. */
public final class RepositoryFixtures {

    private RepositoryFixtures() {
    }

    /** DIR/model/version with random weights of {@code classes} outputs and labels "model class i". */
    public static Path version(Path repo, String model, long version, int classes, long seed) throws IOException {
        AlexNetArchitecture reduced;
        try {
            reduced = new NpyWeightsReader().read(Path.of(RepositoryFixtures.class.getResource("/fixtures/reduced.npy").toURI()))
                    .architecture();
        } catch (java.net.URISyntaxException e) {
            throw new IllegalStateException(e);
        }
        Path folder = Files.createDirectories(repo.resolve(model).resolve(String.valueOf(version)));
        new NpyWeightsWriter().write(AlexNetWeights.random(reduced.withClasses(classes), seed), folder.resolve("weights.npy"));
        StringBuilder labels = new StringBuilder();
        for (int i = 0; i < classes; i++) {
            labels.append(model).append(" class ").append(i).append('\n');
        }
        Files.writeString(folder.resolve("labels.txt"), labels);
        return folder;
    }

    public static void delete(Path root) throws IOException {
        try (Stream<Path> files = Files.walk(root)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
