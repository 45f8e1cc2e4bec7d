package dev.alexnet.service.train;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;

/**
 * A dataset in torchvision's ImageFolder layout: one sub-folder per class, named after it, with
 * that class's images at any depth below. Classes are in name order; hidden files are skipped.
 *
 * @param classes class names, index = label
 * @param samples every file with its label, in path order
 */
public record ImageFolder(List<String> classes, List<Sample> samples) {

    /** One file and its class index. */
    public record Sample(Path file, int label) {
    }

    public static ImageFolder scan(Path root) {
        if (!Files.isDirectory(root)) {
            throw new IllegalArgumentException("no such folder: " + root);
        }
        List<String> classes = new ArrayList<>();
        List<Sample> samples = new ArrayList<>();
        try (Stream<Path> children = Files.list(root)) {
            List<Path> folders = children.filter(Files::isDirectory).filter(p -> !hidden(p)).sorted().toList();
            for (Path folder : folders) {
                int label = classes.size();
                classes.add(folder.getFileName().toString());
                try (Stream<Path> files = Files.walk(folder)) {
                    files.filter(Files::isRegularFile).filter(p -> !hidden(p)).sorted()
                            .forEach(p -> samples.add(new Sample(p, label)));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + root, e);
        }
        if (classes.size() < 2) {
            throw new IllegalArgumentException(root + " holds " + classes.size()
                    + " class folder(s); the ImageFolder layout needs one sub-folder per class, at least 2");
        }
        return new ImageFolder(List.copyOf(classes), List.copyOf(samples));
    }

    private static boolean hidden(Path path) {
        return path.getFileName().toString().startsWith(".");
    }

    /** The same classes with another list of samples (a subset, after a split or after dropping unreadable files). */
    public ImageFolder withSamples(List<Sample> kept) {
        return new ImageFolder(classes, List.copyOf(kept));
    }

    /**
     * Splits off a validation set: {@code fraction} of each class (at least one image of every
     * class with two or more), chosen by {@code seed}, so that both sets keep the class balance.
     *
     * @return [train, validation]
     */
    public ImageFolder[] split(double fraction, long seed) {
        List<Sample> train = new ArrayList<>();
        List<Sample> validation = new ArrayList<>();
        SplittableRandom random = new SplittableRandom(seed);
        for (int label = 0; label < classes.size(); label++) {
            int l = label;
            List<Sample> ofClass = new ArrayList<>(samples.stream().filter(s -> s.label() == l).toList());
            shuffle(ofClass, random);
            int held = ofClass.size() < 2 ? 0 : Math.max(1, (int) Math.round(fraction * ofClass.size()));
            validation.addAll(ofClass.subList(0, held));
            train.addAll(ofClass.subList(held, ofClass.size()));
        }
        return new ImageFolder[] {withSamples(train), withSamples(validation)};
    }

    static <T> void shuffle(List<T> list, SplittableRandom random) {
        for (int i = list.size() - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            T t = list.get(i);
            list.set(i, list.get(j));
            list.set(j, t);
        }
    }
}
