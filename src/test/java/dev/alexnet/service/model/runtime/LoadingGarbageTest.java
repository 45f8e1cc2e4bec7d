package dev.alexnet.service.model.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

/** Garbage that sits in the old generation, as the weights reader's does, is freed and reported. */
class LoadingGarbageTest {

    @Test
    void deadArraysInTheOldGenerationAreFreedAndCounted() {
        List<byte[]> arrays = new ArrayList<>();
        for (int i = 0; i < 48; i++) {
            arrays.add(new byte[1 << 20]);
        }
        // A full collection moves the live arrays out of the young generation, where a young pause no longer frees them.
        System.gc();
        long held = arrays.stream().mapToLong(a -> a.length).sum();
        arrays = null;

        LoadingGarbage.Released released = LoadingGarbage.release();

        assertThat(held).isEqualTo(48L << 20);
        assertThat(released.freed()).as("%s", released).isGreaterThanOrEqualTo(40L << 20);
        assertThat(released.usedAfter()).isLessThan(released.usedBefore());
        assertThat(released.toString()).contains("heap in use").contains("MB, held");
    }
}
