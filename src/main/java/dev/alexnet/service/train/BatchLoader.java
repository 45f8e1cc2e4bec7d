package dev.alexnet.service.train;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.BlockingQueue;

import dev.alexnet.service.preprocess.DecodedImage;
import dev.alexnet.service.preprocess.ImageDecoder;

/**
 * Decodes and augments an epoch's batches on its own thread ({@code train-loader}) while the
 * training thread runs the previous batch, two batches ahead at most. Each image's random draws
 * come from the run's seed, the epoch and the image's path, so a resumed run sees the same crops.
 * A file that does not decode is skipped with a line in the log.
 */
final class BatchLoader implements Runnable {

    /** Augmented images laid one after another, with their labels. */
    record Batch(float[] input, int[] labels, int n) {
    }

    /** Put after an epoch's last batch. */
    static final Batch END = new Batch(new float[0], new int[0], 0);

    private final List<ImageFolder.Sample> order;
    private final int skip;
    private final int epoch;
    private final int batchSize;
    private final long seed;
    private final Path data;
    private final Augmentation augmentation;
    private final ImageDecoder decoder;
    private final BlockingQueue<Batch> queue;
    private final PrintStream log;

    /**
     * @param order the epoch's shuffled samples
     * @param skip  batches already trained (a resumed epoch)
     * @param data  the training folder, against which each image's path is its identity
     */
    BatchLoader(List<ImageFolder.Sample> order, int skip, int epoch, int batchSize, long seed, Path data, Augmentation augmentation,
                ImageDecoder decoder, BlockingQueue<Batch> queue, PrintStream log) {
        this.order = order;
        this.skip = skip;
        this.epoch = epoch;
        this.batchSize = batchSize;
        this.seed = seed;
        this.data = data;
        this.augmentation = augmentation;
        this.decoder = decoder;
        this.queue = queue;
        this.log = log;
    }

    /** Starts loading on a daemon thread. */
    Thread start() {
        Thread loader = new Thread(this, "train-loader");
        loader.setDaemon(true);
        loader.start();
        return loader;
    }

    @Override
    public void run() {
        int size = Augmentation.CROP * Augmentation.CROP * 3;
        try {
            for (int from = skip * batchSize; from < order.size(); from += batchSize) {
                int n = Math.min(batchSize, order.size() - from);
                float[] input = new float[n * size];
                int[] labels = new int[n];
                int filled = 0;
                for (int i = 0; i < n; i++) {
                    ImageFolder.Sample sample = order.get(from + i);
                    try {
                        DecodedImage image = decoder.decode(Files.readAllBytes(sample.file()));
                        float[] tensor = augmentation.tensor(image, new SplittableRandom(Trainer.mix(seed, epoch, key(sample))));
                        System.arraycopy(tensor, 0, input, filled * size, size);
                        labels[filled++] = sample.label();
                    } catch (IOException | RuntimeException e) {
                        log.printf("skipping %s: %s%n", sample.file(), e.getMessage());
                    }
                }
                if (filled > 0) {
                    queue.put(filled == n ? new Batch(input, labels, n)
                            : new Batch(Arrays.copyOf(input, filled * size), Arrays.copyOf(labels, filled), filled));
                }
            }
            queue.put(END);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** An image's identity for its random draws: its path below the data folder, the same wherever the folder is. */
    private long key(ImageFolder.Sample sample) {
        Path file = sample.file();
        return (file.startsWith(data) ? data.relativize(file) : file).toString().hashCode();
    }
}
