package dev.alexnet.service.cli;

import dev.alexnet.service.classify.Classified;
import dev.alexnet.service.classify.Classifier;
import dev.alexnet.service.classify.ClassifyRequestException;
import dev.alexnet.service.classify.Prediction;
import dev.alexnet.service.classify.TopK;
import dev.alexnet.service.classify.Upload;
import dev.alexnet.service.engine.Batcher;
import dev.alexnet.service.engine.EngineLoader;
import dev.alexnet.service.engine.InferenceEngine;
import dev.alexnet.service.metrics.AlexNetMetrics;
import dev.alexnet.service.model.Labels;
import dev.alexnet.service.model.repository.ModelRepository;
import dev.alexnet.service.model.repository.RepositoryException;
import dev.alexnet.service.preprocess.ImageDecoder;
import dev.alexnet.service.preprocess.Preprocessor;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * {@code classify}: classifies files and folders (recursively) with no web server, in batches
 * through the same classifier, queue and engine as the service. A file that cannot be read or decoded is reported on
 * its own line and never stops the run; the exit status is 1 if any file failed.
 */
public final class ClassifyCommand {

    /** Usage text for this mode. */
    public static final String USAGE = """
            classify PATH... [--topk 5] [--format jsonl|csv] [--out FILE] [--weights FILE] [--labels FILE]
                     [--model-repository DIR --model NAME [--version N]] [--mode center-crop|resize] [--batch 32]
              Classifies image files and folders (recursively), without a web server. One JSON line
              (or CSV rows) per file; unreadable files are reported and the exit status is then 1.
              With --model-repository, the model's version (its latest sound one by default) supplies
              the weights, labels and preprocessing mode. Without either it uses the random-init
              weights (and says so).""";

    private final PrintStream out;
    private final PrintStream err;
    private final boolean terminal;

    public ClassifyCommand(PrintStream out, PrintStream err, boolean terminal) {
        this.out = out;
        this.err = err;
        this.terminal = terminal;
    }

    private record Arguments(List<Path> paths, Integer topk, String format, Path out, Path weights, Path labels,
                           Preprocessor.Mode mode, int batch) {
    }

    /**
     * The weights, labels and mode of a repository model's version: the one named, else the
     * highest its version policy chooses among the sound ones.
     */
    private static Arguments fromRepository(Arguments a, Path repository, String model, Long version, boolean modeGiven) {
        ModelRepository.Model found;
        try {
            found = new ModelRepository(repository).scan(model);
        } catch (IllegalArgumentException | RepositoryException e) {
            throw new UsageException("--model-repository: " + e.getMessage());
        }
        if (found.problem() != null) {
            throw new UsageException("model '" + model + "' cannot be used: " + found.problem());
        }
        ModelRepository.Version chosen = version != null ? found.version(version)
                : found.chosen().isEmpty() ? null : found.version(found.chosen().last());
        if (chosen == null) {
            throw new UsageException(version != null ? "model '" + model + "' has no version " + version
                    : "model '" + model + "' has no sound version");
        }
        if (chosen.problem() != null) {
            throw new UsageException("model '" + model + "' version " + chosen.number() + " cannot be used: " + chosen.problem());
        }
        Preprocessor.Mode mode = a.mode();
        if (!modeGiven && found.config().preprocessing() != null) {
            try {
                mode = Preprocessor.Mode.parse(found.config().preprocessing());
            } catch (IllegalArgumentException e) {
                throw new UsageException("model '" + model + "': " + e.getMessage());
            }
        }
        return new Arguments(a.paths(), a.topk(), a.format(), a.out(), chosen.weights(), chosen.labels(), mode, a.batch());
    }

    public int run(List<String> args) {
        Arguments options = parse(args);
        List<Path> files = new ArrayList<>();
        List<String[]> missing = new ArrayList<>();
        for (Path path : options.paths()) {
            if (Files.isDirectory(path)) {
                try (Stream<Path> walk = Files.walk(path)) {
                    walk.filter(Files::isRegularFile).sorted().forEach(files::add);
                } catch (IOException e) {
                    missing.add(new String[] {path.toString(), "cannot list folder: " + e.getMessage()});
                }
            } else if (Files.exists(path)) {
                files.add(path);
            } else {
                missing.add(new String[] {path.toString(), "no such file or folder"});
            }
        }
        InferenceEngine engine = EngineLoader.load(options.weights(), 42, null);
        // The command's own queue: one batch in flight at a time, gathered for as long as its
        // images are on their way, so a folder runs in passes of --batch like the service's.
        Batcher.Settings settings = new Batcher.Settings(options.batch(), Duration.ofSeconds(1), options.batch(),
                Duration.ofHours(1));
        try (engine; Batcher batcher = new Batcher(engine, settings);
             OutputStream sink = options.out() == null ? null : Files.newOutputStream(options.out())) {
            int classes = engine.architecture().classes();
            Labels labels = (options.labels() == null ? Labels.imagenet() : Labels.read(options.labels())).requireCount(classes);
            int k;
            try {
                k = options.topk() == null ? TopK.defaultFor(classes) : TopK.check("--topk", options.topk(), classes);
            } catch (ClassifyRequestException e) {
                throw new UsageException(e.getMessage());
            }
            Preprocessor preprocessor = new Preprocessor(new ImageDecoder(40_000_000), options.mode(), 1);
            Classifier classifier = new Classifier(preprocessor, batcher, engine, labels,
                    new AlexNetMetrics(new SimpleMeterRegistry()), options.batch());
            PrintStream target = sink == null ? out : new PrintStream(sink, true, StandardCharsets.UTF_8);
            ResultWriter writer = ResultWriter.of(options.format(), target);
            writer.header();
            int failed = 0;
            for (String[] m : missing) {
                writer.failure(m[0], m[1]);
                failed++;
            }
            FilesProgress progress = new FilesProgress(files.size());
            for (int from = 0; from < files.size(); from += options.batch()) {
                List<Path> chunk = files.subList(from, Math.min(files.size(), from + options.batch()));
                List<Upload> uploads = new ArrayList<>();
                Map<Path, String> unreadable = new LinkedHashMap<>();
                for (Path file : chunk) {
                    try {
                        uploads.add(new Upload(file.toString(), Files.readAllBytes(file)));
                    } catch (IOException | UncheckedIOException e) {
                        unreadable.put(file, "cannot read: " + e.getMessage());
                    }
                }
                Map<String, Classifier.Outcome> outcomes = new LinkedHashMap<>();
                for (Classifier.Outcome outcome : classifier.classifyEach(uploads)) {
                    outcomes.put(outcome.upload().filename(), outcome);
                }
                for (Path file : chunk) {
                    Classifier.Outcome outcome = outcomes.get(file.toString());
                    if (outcome == null || !outcome.ok()) {
                        writer.failure(file.toString(), outcome == null ? unreadable.get(file) : outcome.error());
                        failed++;
                    } else {
                        Classified c = outcome.classified();
                        writer.success(file.toString(), c.width(), c.height(), classifier.top(c.probabilities(), k));
                    }
                }
                progress.advance(chunk.size(), failed);
            }
            progress.done(failed);
            target.flush();
            return failed == 0 ? 0 : 1;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private Arguments parse(List<String> args) {
        List<Path> paths = new ArrayList<>();
        Integer topk = null;
        String format = "jsonl";
        Path outFile = null;
        Path weights = null;
        Path labels = null;
        Preprocessor.Mode mode = Preprocessor.Mode.CENTER_CROP;
        boolean modeGiven = false;
        int batch = 32;
        Path repository = null;
        String model = null;
        Long version = null;
        for (int i = 0; i < args.size(); i++) {
            String arg = args.get(i);
            switch (arg) {
                case "--topk" -> topk = Launcher.positiveInt(Launcher.value(args, ++i, arg), arg);
                case "--format" -> {
                    format = Launcher.value(args, ++i, arg).toLowerCase(Locale.ROOT);
                    if (!format.equals("jsonl") && !format.equals("csv")) {
                        throw new UsageException("--format must be jsonl or csv: " + format);
                    }
                }
                case "--out" -> outFile = Path.of(Launcher.value(args, ++i, arg));
                case "--weights" -> weights = Path.of(Launcher.value(args, ++i, arg));
                case "--labels" -> labels = Path.of(Launcher.value(args, ++i, arg));
                case "--model-repository" -> repository = Path.of(Launcher.value(args, ++i, arg));
                case "--model" -> model = Launcher.value(args, ++i, arg);
                case "--version" -> version = (long) Launcher.positiveInt(Launcher.value(args, ++i, arg), arg);
                case "--mode" -> {
                    modeGiven = true;
                    try {
                        mode = Preprocessor.Mode.parse(Launcher.value(args, ++i, arg));
                    } catch (IllegalArgumentException e) {
                        throw new UsageException(e.getMessage());
                    }
                }
                case "--batch" -> batch = Launcher.positiveInt(Launcher.value(args, ++i, arg), arg);
                default -> {
                    if (arg.startsWith("--")) {
                        throw new UsageException("unknown option for classify: " + arg);
                    }
                    paths.add(Path.of(arg));
                }
            }
        }
        if (paths.isEmpty()) {
            throw new UsageException("classify needs at least one file or folder");
        }
        if (weights != null && !Files.isRegularFile(weights)) {
            throw new UsageException("--weights: no such file " + weights);
        }
        Arguments parsed = new Arguments(paths, topk, format, outFile, weights, labels, mode, batch);
        if ((repository == null) != (model == null) || (version != null && model == null)) {
            throw new UsageException("--model-repository and --model go together (--version with them)");
        }
        if (repository != null) {
            if (weights != null || labels != null) {
                throw new UsageException("--model-repository supplies the weights and labels: drop --weights and --labels");
            }
            return fromRepository(parsed, repository, model, version, modeGiven);
        }
        return parsed;
    }

    /** A bar with files/s and ETA on a terminal; otherwise a plain line every 5 s and at the end. */
    private final class FilesProgress {
        private final int total;
        private final long start = System.nanoTime();
        private int done;
        private long lastLine;

        FilesProgress(int total) {
            this.total = total;
        }

        void advance(int n, int failed) {
            done += n;
            double seconds = (System.nanoTime() - start) / 1e9;
            double rate = done / Math.max(seconds, 1e-9);
            long eta = Math.round((total - done) / Math.max(rate, 1e-9));
            if (terminal) {
                int width = 30;
                int filled = total == 0 ? width : (int) ((long) width * done / total);
                err.printf(Locale.ROOT, "\r[%s%s] %d/%d files, %.1f files/s, %d failed, ETA %ds ", "#".repeat(filled),
                        " ".repeat(width - filled), done, total, rate, failed, eta);
                err.flush();
            } else if (System.nanoTime() - lastLine > 5_000_000_000L) {
                lastLine = System.nanoTime();
                err.printf(Locale.ROOT, "classified %d/%d files, %.1f files/s, %d failed, ETA %ds%n", done, total, rate, failed, eta);
            }
        }

        void done(int failed) {
            double seconds = (System.nanoTime() - start) / 1e9;
            if (terminal) {
                err.println();
            }
            err.printf(Locale.ROOT, "done: %d files in %.1f s (%.1f files/s), %d failed%n", total, seconds,
                    total / Math.max(seconds, 1e-9), failed);
        }
    }
}
