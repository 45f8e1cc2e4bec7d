package dev.alexnet.service.api.http;

import java.util.concurrent.atomic.AtomicLong;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Component;
import org.springframework.util.unit.DataSize;

/**
 * Bounds the request bodies held in memory at once, in bytes. The image queue counts images, not
 * bytes: 64 clients sending 5 MB phone photos each hold 340 MB of bodies before any reaches the
 * queue, and with the heap capped (-Xmx512m, to keep a replica's RSS down) that ran the heap out
 * and answered 500s. A request takes its declared length from the budget before its body is read
 * (a chunked one takes the largest body it may send) and gives it back when its answer is written;
 * one that does not fit is refused at once with a 503 and {@code Retry-After}, like a full queue.
 * A single body larger than the whole budget is taken when nothing else is in flight, so a large
 * request is slowed by load, never refused forever.
 */
@Component
public class UploadBudget {

    private static final Logger log = LoggerFactory.getLogger(UploadBudget.class);

    private final long limit;
    private final long undeclaredBytes;
    private final AtomicLong held = new AtomicLong();

    /**
     * @param configured      {@code alexnet.max-upload-bytes-in-flight}; unset: a quarter of the heap's maximum
     * @param maxRequestSize  what a body of unknown length may grow to
     */
    @Autowired
    UploadBudget(@Value("${alexnet.max-upload-bytes-in-flight:#{null}}") DataSize configured,
                 @Value("${spring.servlet.multipart.max-request-size:64MB}") DataSize maxRequestSize) {
        this(configured != null ? configured.toBytes() : Runtime.getRuntime().maxMemory() / 4, maxRequestSize.toBytes());
        log.info("Uploads in memory: at most {} MB at once ({}); more is refused with 503",
                limit >> 20, configured != null ? "alexnet.max-upload-bytes-in-flight" : "a quarter of the maximum heap, "
                        + (Runtime.getRuntime().maxMemory() >> 20) + " MB");
    }

    UploadBudget(long limit, long undeclaredBytes) {
        if (limit < 1) {
            throw new IllegalArgumentException("alexnet.max-upload-bytes-in-flight must be positive: " + limit);
        }
        this.limit = limit;
        this.undeclaredBytes = undeclaredBytes;
    }

    /** The bytes a body of this declared length (-1: unknown) takes from the budget. */
    long cost(long declaredLength) {
        return Math.min(limit, declaredLength >= 0 ? declaredLength : undeclaredBytes);
    }

    /** Takes {@code bytes} if they fit beside what is held; false (and nothing taken) otherwise. */
    boolean tryTake(long bytes) {
        while (true) {
            long now = held.get();
            if (now + bytes > limit) {
                return false;
            }
            if (held.compareAndSet(now, now + bytes)) {
                return true;
            }
        }
    }

    void give(long bytes) {
        held.addAndGet(-bytes);
    }

    long held() {
        return held.get();
    }

    public long limit() {
        return limit;
    }
}
