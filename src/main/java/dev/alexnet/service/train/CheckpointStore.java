package dev.alexnet.service.train;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Map;

import dev.alexnet.service.model.network.TrainableAlexNet;
import dev.alexnet.service.model.weights.AlexNetWeights;
import dev.alexnet.service.model.weights.NpyWeightsReader;
import dev.alexnet.service.model.weights.NpyWeightsWriter;
import dev.alexnet.service.model.weights.WeightsSource;
import dev.alexnet.service.model.repository.ModelRepository;
import tools.jackson.databind.json.JsonMapper;

/**
 * A run's output folder: {@code weights.npy}, {@code labels.txt} and {@code training.json} (what
 * the service and a reader use), and {@code checkpoint/} (the momentum and the run's state) that a
 * resumed run starts from. Every file is written to a temporary name and moved into place, so an
 * interrupted write never leaves half a checkpoint.
 */
final class CheckpointStore {

    private static final String MOMENTUM = "momentum.npy";
    private static final String STATE = "state.json";
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final Path out;

    CheckpointStore(Path out) {
        this.out = out;
    }

    Path weights() {
        return out.resolve(Trainer.WEIGHTS);
    }

    boolean hasState() {
        return Files.exists(out.resolve(Trainer.CHECKPOINT).resolve(STATE));
    }

    void create() throws IOException {
        Files.createDirectories(out.resolve(Trainer.CHECKPOINT));
    }

    void writeLabels(java.util.List<String> classes) throws IOException {
        Files.writeString(out.resolve(Trainer.LABELS), String.join("\n", classes) + "\n", StandardCharsets.UTF_8);
    }

    /** The momentum saved with the last checkpoint, in the bvlc layout. */
    AlexNetWeights momentum() {
        return new NpyWeightsReader().read(out.resolve(Trainer.CHECKPOINT).resolve(MOMENTUM));
    }

    /** Weights, momentum, state and report after an epoch, or at a stop. */
    void save(TrainableAlexNet net, Sgd sgd, Trainer.State state, Trainer.Options options) throws IOException {
        NpyWeightsWriter writer = new NpyWeightsWriter();
        Path checkpoint = out.resolve(Trainer.CHECKPOINT);
        writer.write(net.toWeights(WeightsSource.file(Trainer.WEIGHTS, null)), out.resolve(Trainer.WEIGHTS));
        writer.write(net.join(sgd.velocities(), WeightsSource.file(MOMENTUM, null)), checkpoint.resolve(MOMENTUM));
        writeJson(checkpoint.resolve(STATE), state);
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("status", state.status());
        report.put("arguments", state.arguments());
        report.put("configuration", options);
        report.put("startedFrom", startedFrom(options.from()));
        report.put("network", net.architecture());
        report.put("classes", state.classes());
        report.put("pca", state.pca());
        report.put("learningRate", state.learningRate());
        report.put("epochs", state.history());
        writeJson(out.resolve(Trainer.REPORT), report);
    }

    /**
     * What a run started from, for {@code training.json}: null from scratch; else the weights file
     * and, when it sits in a model repository ({@code DIR/<model>/<version>/weights.npy}), the model
     * and version, so that a version trained into the repository says which one it came from.
     */
    static Map<String, Object> startedFrom(Path from) {
        if (from == null) {
            return null;
        }
        Path file = from.toAbsolutePath().normalize();
        Map<String, Object> start = new LinkedHashMap<>();
        start.put("weights", file.toString());
        Path version = file.getParent();
        Path model = version == null ? null : version.getParent();
        if (model != null && model.getFileName() != null && version.getFileName().toString().matches("[1-9][0-9]{0,17}")
                && ModelRepository.NAME.matcher(model.getFileName().toString()).matches()) {
            start.put("model", model.getFileName().toString());
            start.put("version", Long.parseLong(version.getFileName().toString()));
        }
        return start;
    }

    private static void writeJson(Path file, Object value) throws IOException {
        Path temp = file.resolveSibling(file.getFileName() + ".partial");
        Files.writeString(temp, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(value), StandardCharsets.UTF_8);
        Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    Trainer.State readState() {
        Path file = out.resolve(Trainer.CHECKPOINT).resolve(STATE);
        if (!Files.exists(file)) {
            throw new IllegalArgumentException("no checkpoint in " + out + " (expected " + file + ")");
        }
        try {
            return JSON.readValue(Files.readString(file), Trainer.State.class);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }
}
