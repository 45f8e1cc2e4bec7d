package dev.alexnet.service.classify;

/** Where a request's time went, in milliseconds. Queue and inference are the slowest of its images. */
public record Timings(double decodeMs, double queueMs, double inferenceMs, double totalMs) {

    static double ms(long nanos) {
        return Math.round(nanos / 1e4) / 100.0;
    }
}
