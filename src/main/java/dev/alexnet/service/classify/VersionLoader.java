package dev.alexnet.service.classify;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

import dev.alexnet.service.engine.Batcher;
import dev.alexnet.service.engine.DensePathProbe;
import dev.alexnet.service.engine.EngineLoader;
import dev.alexnet.service.engine.PassSetting;
import dev.alexnet.service.model.Precision;
import dev.alexnet.service.engine.InferenceEngine;
import dev.alexnet.service.engine.InferenceThread;
import dev.alexnet.service.metrics.AlexNetMetrics;
import dev.alexnet.service.model.Labels;
import dev.alexnet.service.model.repository.ModelConfig;
import dev.alexnet.service.model.repository.ModelRepository;
import dev.alexnet.service.preprocess.Preprocessor;

/**
 * Builds a repository version for serving: reads its weights (any fc8 width; a truncated or
 * malformed file fails here), checks its labels against fc8, builds the network on the shared
 * inference thread and warms it up at batch 1 and at the batch size, all beside whatever is being
 * served, which only the switch afterwards replaces. Versions with the same preprocessing mode
 * share one preprocessor, so the bound on concurrent decodes holds across models.
 */
public final class VersionLoader implements ModelRegistry.Loader {

    private final Batcher batcher;
    private final InferenceThread inferenceThread;
    private final AlexNetMetrics metrics;
    private final Preprocessor.Mode defaultMode;
    private final Function<Preprocessor.Mode, Preprocessor> preprocessors;
    private final Map<Preprocessor.Mode, Preprocessor> byMode = new ConcurrentHashMap<>();
    private final int maxBatchSize;
    private final int maxImagesPerRequest;
    private final PassSetting pass;
    private final Precision precision;

    /**
     * @param preprocessors makes the preprocessor for a mode (called once per mode)
     */
    public VersionLoader(Batcher batcher, InferenceThread inferenceThread, AlexNetMetrics metrics, Preprocessor.Mode defaultMode,
                         Function<Preprocessor.Mode, Preprocessor> preprocessors, int maxBatchSize, int maxImagesPerRequest) {
        this(batcher, inferenceThread, metrics, defaultMode, preprocessors, maxBatchSize, maxImagesPerRequest, PassSetting.AUTO,
                Precision.FP32);
    }

    /**
     * As above, each version's forward pass chosen by {@code pass} ({@code alexnet.backend.forward-pass})
     * and computing in {@code precision} ({@code alexnet.precision}).
     */
    public VersionLoader(Batcher batcher, InferenceThread inferenceThread, AlexNetMetrics metrics, Preprocessor.Mode defaultMode,
                         Function<Preprocessor.Mode, Preprocessor> preprocessors, int maxBatchSize, int maxImagesPerRequest,
                         PassSetting pass, Precision precision) {
        this.pass = pass;
        this.precision = precision;
        this.batcher = batcher;
        this.inferenceThread = inferenceThread;
        this.metrics = metrics;
        this.defaultMode = defaultMode;
        this.preprocessors = preprocessors;
        this.maxBatchSize = maxBatchSize;
        this.maxImagesPerRequest = maxImagesPerRequest;
    }

    @Override
    public ModelRegistry.Loaded load(String model, ModelRepository.Version version, ModelConfig config) {
        Preprocessor.Mode mode = config.preprocessing() == null ? defaultMode : Preprocessor.Mode.parse(config.preprocessing());
        InferenceEngine engine = EngineLoader.load(version.weights(), 0, null, pass, precision, inferenceThread);
        try {
            Labels labels = Labels.read(version.labels()).requireCount(engine.architecture().classes());
            engine.warmUp(maxBatchSize, DensePathProbe.Setting.AUTO);
            Classifier classifier = new Classifier(model, String.valueOf(version.number()), byMode.computeIfAbsent(mode, preprocessors),
                    batcher, engine, labels, metrics, maxImagesPerRequest);
            return new ModelRegistry.Loaded(classifier, engine::close);
        } catch (RuntimeException e) {
            engine.close();
            throw e;
        }
    }
}
