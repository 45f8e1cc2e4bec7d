package dev.alexnet.service.engine;

/**
 * How long a forward pass takes on an idle machine, as a line in the batch size n:
 * {@code fixedNanos + n * perImageNanos}, fitted to the passes at batch 1 and at the largest batch
 * measured at warm-up. The batcher scales it by the slowdown it observes to estimate its queue's work.
 */
public record PassTimes(long fixedNanos, long perImageNanos) {

    public PassTimes {
        if (fixedNanos < 0 || perImageNanos < 0) {
            throw new IllegalArgumentException("pass times must not be negative");
        }
    }

    /** The line through the fastest pass at batch 1 and the fastest at {@code batchSize}. */
    public static PassTimes fit(long batchOneNanos, int batchSize, long batchNanos) {
        if (batchSize <= 1) {
            return new PassTimes(batchOneNanos, 0);
        }
        long perImage = Math.max(0, (batchNanos - batchOneNanos) / (batchSize - 1));
        return new PassTimes(Math.max(0, batchOneNanos - perImage), perImage);
    }

    /** One pass over {@code n} images. */
    public long nanos(int n) {
        return fixedNanos + n * perImageNanos;
    }

    /** Passes of up to {@code maxBatchSize} over {@code images} images, one after another. */
    public long drainNanos(int images, int maxBatchSize) {
        int full = images / maxBatchSize;
        int rest = images % maxBatchSize;
        return full * nanos(maxBatchSize) + (rest > 0 ? nanos(rest) : 0);
    }
}
