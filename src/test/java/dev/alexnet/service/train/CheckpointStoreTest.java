package dev.alexnet.service.train;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;

/** training.json's record of where a run started: a repository version by name and number, else the file. */
class CheckpointStoreTest {

    @Test
    void aStartInsideAModelRepositoryNamesTheModelAndVersion() {
        Map<String, Object> start = CheckpointStore.startedFrom(Path.of("/srv/models/alexnet/2/weights.npy"));
        assertThat(start).containsEntry("weights", "/srv/models/alexnet/2/weights.npy").containsEntry("model", "alexnet")
                .containsEntry("version", 2L);
    }

    @Test
    void aStartElsewhereNamesOnlyTheFileAndFromScratchIsNull() {
        assertThat(CheckpointStore.startedFrom(Path.of("/data/bvlc_alexnet.npy"))).containsOnlyKeys("weights");
        assertThat(CheckpointStore.startedFrom(Path.of("/data/Models/0/weights.npy"))).containsOnlyKeys("weights");
        assertThat(CheckpointStore.startedFrom(null)).isNull();
    }
}
