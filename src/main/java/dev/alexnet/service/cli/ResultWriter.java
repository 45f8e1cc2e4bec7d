package dev.alexnet.service.cli;

import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import dev.alexnet.service.classify.Prediction;
import tools.jackson.databind.json.JsonMapper;

/** How {@code classify} writes each file's result: one JSON line per file, or CSV rows. */
interface ResultWriter {

    void header();

    void success(String file, int width, int height, List<Prediction> predictions);

    void failure(String file, String error);

    /** The writer for {@code --format}: {@code jsonl} or {@code csv}. */
    static ResultWriter of(String format, PrintStream target) {
        return format.equals("csv") ? new Csv(target) : new Jsonl(target);
    }

    /** One JSON object per line per file. */
    record Jsonl(PrintStream target) implements ResultWriter {
        static final JsonMapper JSON = JsonMapper.builder().build();

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
            target.println(Jsonl.JSON.writeValueAsString(line));
        }

        @Override
        public void failure(String file, String error) {
            Map<String, Object> line = new LinkedHashMap<>();
            line.put("file", file);
            line.put("ok", false);
            line.put("error", error);
            target.println(Jsonl.JSON.writeValueAsString(line));
        }
    }

    /** A header, then one row per prediction, or one per failed file. */
    record Csv(PrintStream target) implements ResultWriter {
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
}
