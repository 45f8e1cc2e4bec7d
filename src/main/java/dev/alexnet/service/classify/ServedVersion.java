package dev.alexnet.service.classify;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A version being served and the requests holding it ({@link ModelRegistry.Lease}s): once retired
 * (replaced or unloaded) it takes no new lease, and it is freed when the last one closes, or after
 * a bound, so that a reload never pulls a network out from under a request.
 */
final class ServedVersion {

    private static final Logger log = LoggerFactory.getLogger(ServedVersion.class);

    private final String model;
    private final long version;
    private final ModelRegistry.Loaded loaded;
    /** What the version's files looked like when it was loaded: polling reloads it when they change. */
    private final String fingerprint;
    private final AtomicInteger leases = new AtomicInteger();
    private volatile boolean retired;

    ServedVersion(String model, long version, ModelRegistry.Loaded loaded, String fingerprint) {
        this.model = model;
        this.version = version;
        this.loaded = loaded;
        this.fingerprint = fingerprint;
    }

    String model() {
        return model;
    }

    long version() {
        return version;
    }

    ModelRegistry.Loaded loaded() {
        return loaded;
    }

    String fingerprint() {
        return fingerprint;
    }

    /** Takes a lease, unless the version is retired (then the caller looks for its replacement). */
    boolean acquire() {
        leases.incrementAndGet();
        if (retired) {
            release();
            return false;
        }
        return true;
    }

    synchronized void release() {
        if (leases.decrementAndGet() == 0 && retired) {
            notifyAll();
        }
    }

    /** Retires the version and waits (bounded) for its last lease, then frees it. */
    void retireAndFree(long timeoutMillis) {
        retired = true;
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        synchronized (this) {
            while (leases.get() > 0 && System.nanoTime() < deadline) {
                try {
                    wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
        }
        if (leases.get() > 0) {
            log.warn("Freeing {} version {} with {} requests still holding it after {} ms", model, version, leases.get(), timeoutMillis);
        }
        try {
            loaded.resources().close();
        } catch (Exception e) {
            log.warn("Freeing {} version {}: {}", model, version, e.toString());
        }
    }
}
