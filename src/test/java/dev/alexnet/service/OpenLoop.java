package dev.alexnet.service;

import java.net.http.HttpClient;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Open-loop load for the overload tests: request {@code i} leaves at {@code i / rate} seconds
 * whether or not earlier ones were answered, as independent users' do, and the service's queue
 * depth and live threads are scraped once a second meanwhile.
 */
final class OpenLoop {

    /** What was sent, when the run started, how long sending took, and the peaks seen in the scrapes. */
    record Run<T>(List<CompletableFuture<T>> sent, long startNanos, double offeredSeconds, int maxQueue, int maxThreads) {
    }

    /** One request: its index and the run's start, so that it can say when it left. */
    @FunctionalInterface
    interface Sender<T> {
        CompletableFuture<T> send(int index, long startNanos);
    }

    private OpenLoop() {
    }

    static <T> Run<T> run(PackagedJar jar, HttpClient http, double rate, int total, Sender<T> sender) throws Exception {
        List<CompletableFuture<T>> sent = new ArrayList<>(total);
        int maxQueue = 0;
        int maxThreads = 0;
        long start = System.nanoTime();
        long nextSample = start;
        for (int i = 0; i < total; i++) {
            long due = start + (long) (i * 1e9 / rate);
            long now;
            while ((now = System.nanoTime()) < due) {
                if (now >= nextSample) {
                    Map<String, Double> metrics = jar.scrape(http);
                    maxQueue = Math.max(maxQueue, metrics.getOrDefault("alexnet_queue_depth", 0.0).intValue());
                    maxThreads = Math.max(maxThreads, metrics.getOrDefault("jvm_threads_live_threads", 0.0).intValue());
                    nextSample = now + TimeUnit.SECONDS.toNanos(1);
                } else {
                    TimeUnit.NANOSECONDS.sleep(Math.min(due - now, 1_000_000));
                }
            }
            sent.add(sender.send(i, start));
        }
        return new Run<>(sent, start, (System.nanoTime() - start) / 1e9, maxQueue, maxThreads);
    }
}
