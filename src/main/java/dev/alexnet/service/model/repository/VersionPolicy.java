package dev.alexnet.service.model.repository;

import java.util.List;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * Which of a model's versions are served, as Triton's {@code version_policy} has it: the latest N
 * (the default, N = 1), all, or specific ones. A specific version that is not in the repository is
 * simply not served (and the index says so).
 */
public sealed interface VersionPolicy {

    /** The versions to serve out of those present, in ascending order. */
    SortedSet<Long> select(SortedSet<Long> present);

    /** The highest {@code count} versions. */
    record Latest(int count) implements VersionPolicy {
        public Latest {
            if (count < 1) {
                throw new IllegalArgumentException("latest num_versions must be at least 1: " + count);
            }
        }

        @Override
        public SortedSet<Long> select(SortedSet<Long> present) {
            TreeSet<Long> chosen = new TreeSet<>();
            for (Long v : new TreeSet<>(present).descendingSet()) {
                if (chosen.size() == count) {
                    break;
                }
                chosen.add(v);
            }
            return chosen;
        }
    }

    /** Every version present. */
    record All() implements VersionPolicy {
        @Override
        public SortedSet<Long> select(SortedSet<Long> present) {
            return new TreeSet<>(present);
        }
    }

    /** Exactly these versions, where present. */
    record Specific(List<Long> versions) implements VersionPolicy {
        public Specific {
            if (versions.isEmpty()) {
                throw new IllegalArgumentException("specific versions must name at least one version");
            }
            for (long v : versions) {
                if (v < 1) {
                    throw new IllegalArgumentException("versions are positive integers: " + v);
                }
            }
            versions = List.copyOf(versions);
        }

        @Override
        public SortedSet<Long> select(SortedSet<Long> present) {
            TreeSet<Long> chosen = new TreeSet<>(present);
            chosen.retainAll(versions);
            return chosen;
        }
    }

    VersionPolicy DEFAULT = new Latest(1);
}
