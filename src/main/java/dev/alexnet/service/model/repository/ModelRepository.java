package dev.alexnet.service.model.repository;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * A folder of models laid out as Triton's model repository is:
 * {@code DIR/<model>/<version>/weights.npy} (the bvlc dialect, any fc8 width) and
 * {@code labels.txt}, plus an optional {@code DIR/<model>/model.json} ({@link ModelConfig}). What
 * is wrong with one model or one version is recorded on it, never thrown at the whole scan, so a
 * broken model cannot keep the others from being served. Symlinks are followed only while they
 * stay inside the repository.
 */
public final class ModelRepository {

    public static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9_.-]{0,63}");
    public static final String WEIGHTS = "weights.npy";
    public static final String LABELS = "labels.txt";
    public static final String CONFIG = "model.json";
    private static final Pattern VERSION = Pattern.compile("[1-9][0-9]{0,17}");

    private final Path root;

    /** @throws IllegalArgumentException when the folder does not exist */
    public ModelRepository(Path folder) {
        try {
            this.root = folder.toRealPath();
        } catch (IOException e) {
            throw new IllegalArgumentException("model repository " + folder + ": no such folder");
        }
        if (!Files.isDirectory(root)) {
            throw new IllegalArgumentException("model repository " + folder + " is not a folder");
        }
    }

    public Path root() {
        return root;
    }

    /** One version folder: its number, files, and why it cannot be served (null when it looks servable). */
    public record Version(long number, Path weights, Path labels, String problem) {
    }

    /**
     * One model folder: its name, its configuration (the default when it has none), its version
     * folders in ascending order, the versions its policy chooses among the sound ones, and why the
     * whole model cannot be served (a malformed {@code model.json}, a symlink out), else null.
     */
    public record Model(String name, ModelConfig config, List<Version> versions, SortedSet<Long> chosen, String problem) {
        public Version version(long number) {
            return versions.stream().filter(v -> v.number() == number).findFirst().orElse(null);
        }
    }

    /** A folder entry that is neither a model nor a version, and why (for the log and the index). */
    public record Ignored(Path path, String reason) {
    }

    /** Every model folder, by name, and what was passed over. */
    public record Snapshot(List<Model> models, List<Ignored> ignored) {
        public Model model(String name) {
            return models.stream().filter(m -> m.name().equals(name)).findFirst().orElse(null);
        }
    }

    /** Refuses a name that is not a model name (and so never a path). */
    public static void checkName(String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new RepositoryException(RepositoryException.Reason.BAD_NAME, "'" + name
                    + "' is not a model name: lower-case letters, digits, '_', '.', '-', starting with a letter or digit, at most 64");
        }
        if (name.contains("..")) {
            throw new RepositoryException(RepositoryException.Reason.BAD_NAME, "'" + name + "' is not a model name: '..' is not allowed");
        }
    }

    public Snapshot scan() {
        List<Model> models = new ArrayList<>();
        List<Ignored> ignored = new ArrayList<>();
        for (Path entry : list(root)) {
            String name = entry.getFileName().toString();
            if (!Files.isDirectory(entry)) {
                ignored.add(new Ignored(entry, "not a folder"));
                continue;
            }
            try {
                checkName(name);
            } catch (RepositoryException e) {
                ignored.add(new Ignored(entry, e.getMessage()));
                continue;
            }
            models.add(read(name, entry, ignored));
        }
        models.sort(Comparator.comparing(Model::name));
        return new Snapshot(List.copyOf(models), List.copyOf(ignored));
    }

    /** One model, for an explicit load: refused names and missing models throw. */
    public Model scan(String name) {
        checkName(name);
        Path folder = root.resolve(name);
        if (!Files.isDirectory(folder)) {
            throw new RepositoryException(RepositoryException.Reason.NOT_FOUND, "no model '" + name + "' in the repository");
        }
        return read(name, folder, new ArrayList<>());
    }

    private Model read(String name, Path folder, List<Ignored> ignored) {
        String outside = outside(folder);
        if (outside != null) {
            return new Model(name, ModelConfig.DEFAULT, List.of(), new TreeSet<>(), outside);
        }
        ModelConfig config = ModelConfig.DEFAULT;
        String problem = null;
        Path configFile = folder.resolve(CONFIG);
        if (Files.exists(configFile, LinkOption.NOFOLLOW_LINKS)) {
            try {
                String why = outside(configFile);
                if (why != null) {
                    throw new RepositoryException(RepositoryException.Reason.OUTSIDE_REPOSITORY, why);
                }
                config = ModelConfig.parse(Files.readString(configFile, StandardCharsets.UTF_8));
            } catch (RepositoryException e) {
                problem = e.getMessage();
            } catch (IOException | UncheckedIOException e) {
                problem = "model.json cannot be read: " + e.getMessage();
            }
        }
        List<Version> versions = new ArrayList<>();
        for (Path entry : list(folder)) {
            String file = entry.getFileName().toString();
            if (file.equals(CONFIG)) {
                continue;
            }
            if (!Files.isDirectory(entry) || !VERSION.matcher(file).matches()) {
                ignored.add(new Ignored(entry, "not a version folder (a positive integer)"));
                continue;
            }
            versions.add(version(Long.parseLong(file), entry));
        }
        versions.sort(Comparator.comparingLong(Version::number));
        SortedSet<Long> sound = new TreeSet<>();
        versions.stream().filter(v -> v.problem() == null).forEach(v -> sound.add(v.number()));
        SortedSet<Long> chosen = problem == null ? config.versionPolicy().select(sound) : new TreeSet<>();
        if (problem == null && versions.isEmpty()) {
            problem = "no version folders (DIR/" + name + "/1/" + WEIGHTS + ")";
        }
        return new Model(name, config, List.copyOf(versions), chosen, problem);
    }

    private Version version(long number, Path folder) {
        Path weights = folder.resolve(WEIGHTS);
        Path labels = folder.resolve(LABELS);
        String problem = outside(folder);
        for (Path file : List.of(weights, labels)) {
            if (problem != null) {
                break;
            }
            if (!Files.isRegularFile(file)) {
                problem = "version " + number + " has no " + file.getFileName();
            } else {
                problem = outside(file);
            }
        }
        return new Version(number, weights, labels, problem);
    }

    /** Why a path leads out of the repository (through a symlink), or null when it stays inside. */
    private String outside(Path path) {
        try {
            Path real = path.toRealPath();
            return real.startsWith(root) ? null
                    : root.relativize(path.toAbsolutePath().normalize()) + " leads outside the repository (a symlink to " + real + ")";
        } catch (NoSuchFileException e) {
            return root.relativize(path.toAbsolutePath().normalize()) + " is a broken link";
        } catch (IOException e) {
            return root.relativize(path.toAbsolutePath().normalize()) + " cannot be read: " + e.getMessage();
        }
    }

    private static List<Path> list(Path folder) {
        List<Path> entries = new ArrayList<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(folder)) {
            stream.forEach(entries::add);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + folder, e);
        }
        entries.sort(Comparator.comparing(Path::toString));
        return entries;
    }
}
