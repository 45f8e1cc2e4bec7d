package dev.alexnet.service.classify;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import dev.alexnet.service.model.repository.ModelConfig;
import dev.alexnet.service.model.repository.ModelRepository;

/** What a model folder looked like to a load, so that polling can tell when it changed: sizes and modification times. */
final class FolderPrints {

    private FolderPrints() {
    }

    /** A model folder as a load would see it: its problem, configuration, chosen versions and their files. */
    static String model(ModelRepository.Model model) {
        StringBuilder print = new StringBuilder(String.valueOf(model.problem())).append('|').append(model.config());
        for (long number : model.chosen()) {
            print.append('|').append(number).append(':').append(version(model.version(number), model.config()));
        }
        return print.toString();
    }

    /** The sizes and modification times of a version's files, and its model's configuration. */
    static String version(ModelRepository.Version version, ModelConfig config) {
        StringBuilder print = new StringBuilder(String.valueOf(config));
        for (Path file : List.of(version.weights(), version.labels())) {
            try {
                print.append('|').append(Files.size(file)).append('@').append(Files.getLastModifiedTime(file));
            } catch (IOException e) {
                print.append("|missing");
            }
        }
        return print.toString();
    }
}
