package dev.alexnet.service;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.alexnet.service.preprocess.TestImages;
import org.junit.jupiter.api.Test;

/**
 * The packaged jar at 4 x its measured capacity for 30 s, open loop (requests arrive on a clock
 * whether or not earlier ones were answered, as independent users do). Every request is answered,
 * only with 200 or with 503 + Retry-After; the queue never passes its capacity and the thread
 * count stays bounded; the p99 of accepted requests is within one queue's worth of work (the
 * queue's capacity at the measured rate). Bounded: 8 s of measuring plus 30 s of overload, on 127.0.0.1.
 */
class OverloadIT {

    private static final int QUEUE_CAPACITY = 256;

    private record Outcome(String status, boolean retryAfter, double millis, double sentSeconds, double serverMillis, double queueMillis,
                           String problem) {
    }

    @Test
    void fourTimesCapacityGetsOnly200sAnd503sWithBoundedLatency() throws Exception {
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        ExecutorService closedLoop = Executors.newFixedThreadPool(16);
        try (PackagedJar jar = PackagedJar.start("overload.log", "--alexnet.batching.queue-capacity=" + QUEUE_CAPACITY)) {
            int management = jar.management;
            jar.awaitReady(client);
            byte[] jpeg = TestImages.jpeg(TestImages.quadrants(320, 240), 0.9f, false);
            URI classify = jar.api("/classify");

            // 1. Capacity: 16 clients back to back for 8 s.
            AtomicInteger served = new AtomicInteger();
            long measureEnd = System.nanoTime() + TimeUnit.SECONDS.toNanos(8);
            long measureStart = System.nanoTime();
            List<java.util.concurrent.Future<?>> loops = new ArrayList<>();
            for (int c = 0; c < 16; c++) {
                loops.add(closedLoop.submit(() -> {
                    while (System.nanoTime() < measureEnd) {
                        HttpResponse<Void> r = client.send(request(classify, jpeg), HttpResponse.BodyHandlers.discarding());
                        if (r.statusCode() == 200) {
                            served.incrementAndGet();
                        }
                    }
                    return null;
                }));
            }
            for (var loop : loops) {
                loop.get(60, TimeUnit.SECONDS);
            }
            double capacity = served.get() / ((System.nanoTime() - measureStart) / 1e9);
            assertThat(capacity).as("measured capacity, requests/s").isGreaterThan(1);

            // 2. Overload: 4 x capacity, open loop, 30 s.
            double rate = 4 * capacity;
            int total = (int) Math.round(rate * 30);
            OpenLoop.Run<Outcome> run = OpenLoop.run(jar, client, rate, total, (i, start) -> {
                long sent = System.nanoTime();
                return client.sendAsync(request(classify, jpeg), HttpResponse.BodyHandlers.ofString())
                        .handle((r, e) -> e != null
                                ? new Outcome("lost: " + e, false, 0, (sent - start) / 1e9, 0, 0, null)
                                : new Outcome(String.valueOf(r.statusCode()), r.headers().firstValue("Retry-After").isPresent(),
                                        (System.nanoTime() - sent) / 1e6, (sent - start) / 1e9, timing(r.body(), "totalMs"),
                                        timing(r.body(), "queueMs"), problemType(r.body())));
            });
            List<CompletableFuture<Outcome>> responses = run.sent();
            double offeredSeconds = run.offeredSeconds();
            int maxQueue = run.maxQueue();
            int maxThreads = run.maxThreads();
            CompletableFuture.allOf(responses.toArray(CompletableFuture[]::new)).get(90, TimeUnit.SECONDS);
            Map<String, AtomicInteger> counts = new ConcurrentHashMap<>();
            Map<String, AtomicInteger> refusals = new ConcurrentHashMap<>();
            List<Double> accepted = new ArrayList<>();
            int without = 0;
            for (CompletableFuture<Outcome> f : responses) {
                Outcome o = f.get();
                counts.computeIfAbsent(o.status(), k -> new AtomicInteger()).incrementAndGet();
                if (o.status().equals("200")) {
                    accepted.add(o.millis());
                } else if (o.status().equals("503")) {
                    refusals.computeIfAbsent(String.valueOf(o.problem()), k -> new AtomicInteger()).incrementAndGet();
                    if (!o.retryAfter()) {
                        without++;
                    }
                }
            }
            printWindows(responses);
            Collections.sort(accepted);
            double p99 = accepted.isEmpty() ? 0 : accepted.get((int) Math.ceil(0.99 * accepted.size()) - 1);
            double queueWorthMillis = QUEUE_CAPACITY / capacity * 1000;
            Map<String, Double> after = jar.scrape(client);
            System.out.printf("overload: capacity %.1f req/s, offered %d requests at %.1f req/s over %.1f s; outcomes %s (503 by type %s); "
                            + "accepted p50 %.0f ms, p99 %.0f ms (one queue's worth %.0f ms); max queue depth %d, max live threads %d%n",
                    capacity, total, rate, offeredSeconds, counts, refusals, accepted.isEmpty() ? 0 : accepted.get(accepted.size() / 2), p99,
                    queueWorthMillis, maxQueue, maxThreads);

            assertThat(counts.keySet()).as("every request answered, with 200 or 503 only").allMatch(k -> k.equals("200") || k.equals("503"));
            assertThat(responses).hasSize(total);
            assertThat(without).as("503s without Retry-After").isZero();
            assertThat(counts.get("200")).as("accepted requests").isNotNull();
            assertThat(counts.get("503")).as("refused requests at 4 x capacity").isNotNull();
            assertThat(maxQueue).as("queue depth").isLessThanOrEqualTo(QUEUE_CAPACITY);
            assertThat(maxThreads).as("live JVM threads (Tomcat's pool is capped at 512)").isLessThan(600);
            assertThat(after.get("alexnet_queue_depth")).as("queue drained afterwards").isZero();
            // The queue is bounded in time as well as in images, so an accepted request waits at most about one
            // queue's worth of work even while the load generator and the refusals take most of the two cores.
            assertThat(p99).as("p99 of accepted requests, ms").isLessThanOrEqualTo(queueWorthMillis);
            HttpResponse<Void> health = client.send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + management + "/actuator/health/readiness")).build(), HttpResponse.BodyHandlers.discarding());
            assertThat(health.statusCode()).as("ready after the overload").isEqualTo(200);
        } finally {
            closedLoop.shutdownNow();
        }
    }

    /** Per 5 s of offered load: accepted and refused counts and the accepted latencies, to show where the tail sits. */
    private static void printWindows(List<CompletableFuture<Outcome>> responses) {
        Map<Integer, List<Outcome>> windows = new java.util.TreeMap<>();
        for (CompletableFuture<Outcome> f : responses) {
            Outcome o = f.join();
            windows.computeIfAbsent((int) (o.sentSeconds() / 5), k -> new ArrayList<>()).add(o);
        }
        windows.forEach((w, outcomes) -> {
            List<Double> ms = outcomes.stream().filter(o -> o.status().equals("200")).map(Outcome::millis).sorted().toList();
            List<Double> server = outcomes.stream().filter(o -> o.status().equals("200")).map(Outcome::serverMillis).sorted().toList();
            List<Double> queue = outcomes.stream().filter(o -> o.status().equals("200")).map(Outcome::queueMillis).sorted().toList();
            System.out.printf("overload window %2d-%2d s: %4d x 200, %4d refused; accepted p50 %.0f ms, p99 %.0f ms; server total p50 %.0f p99 %.0f; queue p50 %.0f p99 %.0f%n", w * 5, w * 5 + 5,
                    ms.size(), outcomes.size() - ms.size(), pct(ms, 0.5), pct(ms, 0.99), pct(server, 0.5), pct(server, 0.99), pct(queue, 0.5), pct(queue, 0.99));
        });
    }

    private static double pct(List<Double> sorted, double q) {
        return sorted.isEmpty() ? 0 : sorted.get((int) Math.ceil(q * sorted.size()) - 1);
    }

    private static final Pattern TIMING = Pattern.compile("\"(\\w+)\":([0-9.]+)");

    private static final Pattern TYPE = Pattern.compile("\"type\":\"urn:alexnet:problem:([a-z-]+)\"");

    private static String problemType(String body) {
        Matcher m = TYPE.matcher(body);
        return m.find() ? m.group(1) : "none";
    }

    private static double timing(String body, String name) {
        Matcher m = TIMING.matcher(body);
        while (m.find()) {
            if (m.group(1).equals(name)) {
                return Double.parseDouble(m.group(2));
            }
        }
        return 0;
    }

    private static HttpRequest request(URI uri, byte[] jpeg) {
        return HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(60)).header("Content-Type", "image/jpeg")
                .POST(HttpRequest.BodyPublishers.ofByteArray(jpeg)).build();
    }
}
