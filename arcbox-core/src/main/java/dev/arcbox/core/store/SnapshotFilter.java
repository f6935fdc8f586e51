package dev.arcbox.core.store;

import java.util.Map;

/** Which snapshots {@link Store#listSnapshots} returns; null fields and empty labels match all. */
public record SnapshotFilter(String name, String sandboxUid, SnapshotState state, Map<String, String> labels) {

    public static final SnapshotFilter ALL = new SnapshotFilter(null, null, null, Map.of());

    public SnapshotFilter {
        labels = Map.copyOf(labels);
    }

    public static SnapshotFilter inState(SnapshotState state) {
        return new SnapshotFilter(null, null, state, Map.of());
    }
}
