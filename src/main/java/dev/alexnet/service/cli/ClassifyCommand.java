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
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code classify}: classifies files and folders (recursively) with no web server, in batches
 * through the same classifier, queue and engine as the service. A file that cannot be read or decoded is reported on
 * its own line and never stops the run; the exit status is 1 if any file failed.
 */
public final class ClassifyCommand {

    /** Usage text for this mode. */
    public static final String USAGE = """
            classify PATH... [--topk 5] [--format jsonl|csv] [--out FILE] [--weights FILE] [--labels FILE]
                     [--mode center-crop|resize] [--batch 32]
              Classifies image files and folders (recursively), without a web server. One JSON line
              (or CSV rows) per file; unreadable files are reported and the exit status is then 1.
              Without --weights it uses the random-init weights (and says so).""";

    private static final JsonMapper JSON = JsonMapper.builder().build();

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
            Writer writer = options.format().equals("csv") ? new CsvWriter(target) : new JsonlWriter(target);
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
        int batch = 32;
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
                case "--mode" -> {
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
        return new Arguments(paths, topk, format, outFile, weights, labels, mode, batch);
    }

    private interface Writer {
        void header();

        void success(String file, int width, int height, List<Prediction> predictions);

        void failure(String file, String error);
    }

    private record JsonlWriter(PrintStream target) implements Writer {
        @Override
        public void header() {
        }

        @Override
        public void success(String file, int width, int height, List<Prediction> predictions) {
            Map<String, Object> line = new LinkedHashMap<>();
            line.put("file", file);
            line.put("ok", true);
            line.put("width", width);
            line.put("height", height);
            line.put("predictions", predictions);
            target.println(JSON.writeValueAsString(line));
        }

        @Override
        public void failure(String file, String error) {
            Map<String, Object> line = new LinkedHashMap<>();
            line.put("file", file);
            line.put("ok", false);
            line.put("error", error);
            target.println(JSON.writeValueAsString(line));
        }
    }

    private record CsvWriter(PrintStream target) implements Writer {
        @Override
        public void header() {
            target.println("file,status,rank,index,label,probability,error");
        }

        @Override
        public void success(String file, int width, int height, List<Prediction> predictions) {
            for (Prediction p : predictions) {
                target.println(String.join(",", csv(file), "ok", String.valueOf(p.rank()), String.valueOf(p.index()),
                        csv(p.label()), String.format(Locale.ROOT, "%.6g", p.probability()), ""));
            }
        }

        @Override
        public void failure(String file, String error) {
            target.println(String.join(",", csv(file), "error", "", "", "", "", csv(error)));
        }

        private static String csv(String value) {
            if (value == null) {
                return "";
            }
            boolean quote = value.contains(",") || value.contains("\"") || value.contains("\n") || value.contains("\r");
            return quote ? "\"" + value.replace("\"", "\"\"") + "\"" : value;
        }
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
