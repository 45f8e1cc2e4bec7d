package dev.alexnet.service.preprocess;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.lang.ref.PhantomReference;
import java.lang.ref.ReferenceQueue;

import org.junit.jupiter.api.Test;

class ByteArrayImageInputStreamTest {

    private final ReferenceQueue<byte[]> freed = new ReferenceQueue<>();

    @Test
    void anUploadsBytesAreFreedByTheFirstCollectionNotAfterAFinalizer() throws Exception {
        PhantomReference<byte[]> upload = readAndClose(new byte[4 << 20]);
        // With ImageInputStreamImpl's finalizer inherited, this collection only queues the stream for finalization
        // and its array stays in memory until the finalizer thread has run and a later collection frees it.
        System.gc();
        assertThat(freed.remove(2000)).isSameAs(upload);
    }

    /** Uses a stream the way the decoder does; nothing of it stays on the caller's frame. */
    private PhantomReference<byte[]> readAndClose(byte[] data) throws IOException {
        try (ByteArrayImageInputStream in = new ByteArrayImageInputStream(data)) {
            assertThat(in.read()).isZero();
        }
        return new PhantomReference<>(data, freed);
    }
}
