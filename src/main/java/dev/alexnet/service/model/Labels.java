package dev.alexnet.service.model;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/** Class names in index order: ImageNet-1k's by default, or a fine-tuned model's own file, one name per line. */
public final class Labels {

    /** The 1000 ILSVRC 2012 class names, bundled as a resource. */
    public static final String IMAGENET_RESOURCE = "/imagenet-labels.txt";

    private final List<String> names;
    private final String source;

    private Labels(List<String> names, String source) {
        this.names = List.copyOf(names);
        this.source = source;
    }

    public static Labels imagenet() {
        try (InputStream in = Labels.class.getResourceAsStream(IMAGENET_RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("the bundled resource " + IMAGENET_RESOURCE + " is missing");
            }
            return new Labels(parse(new String(in.readAllBytes(), StandardCharsets.UTF_8)), "imagenet");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Reads a labels file; blank trailing lines are ignored, blank lines inside are an error. */
    public static Labels read(Path file) {
        try {
            List<String> names = parse(Files.readString(file, StandardCharsets.UTF_8));
            for (int i = 0; i < names.size(); i++) {
                if (names.get(i).isBlank()) {
                    throw new IllegalArgumentException("labels file " + file + ": line " + (i + 1) + " is blank");
                }
            }
            return new Labels(names, file.getFileName().toString());
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("labels file " + file + ": no such file");
        } catch (IOException e) {
            throw new IllegalArgumentException("labels file " + file + ": cannot be read: " + e.getMessage(), e);
        }
    }

    private static List<String> parse(String text) {
        String trimmed = text.replace("\r\n", "\n").stripTrailing();
        return trimmed.isEmpty() ? List.of() : Arrays.stream(trimmed.split("\n", -1)).map(String::strip).toList();
    }

    /** Fails unless there is exactly one name per output of fc8. */
    public Labels requireCount(int classes) {
        if (names.size() != classes) {
            throw new IllegalArgumentException("labels " + source + " has " + names.size() + " names, but the model's fc8 has "
                    + classes + " outputs: they must be equal");
        }
        return this;
    }

    public String name(int index) {
        return names.get(index);
    }

    public int size() {
        return names.size();
    }

    /** Where the names came from: {@code imagenet} or the file name. */
    public String source() {
        return source;
    }
}
