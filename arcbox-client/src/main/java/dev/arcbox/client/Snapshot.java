package dev.arcbox.client;

import dev.arcbox.api.v1.CheckpointResponse;

/** A snapshot taken by {@link Sandbox#checkpoint}: its id (for restore and fork), where it lies, its size. */
public record Snapshot(String id, String dir, String createdAt, long sizeBytes) {

    static Snapshot of(CheckpointResponse r) {
        return new Snapshot(r.getSnapshotId(), r.getSnapshotDir(), r.getCreatedAt(), r.getSizeBytes());
    }
}
