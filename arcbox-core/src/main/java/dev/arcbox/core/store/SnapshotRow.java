package dev.arcbox.core.store;

import java.time.Instant;
import java.util.Map;

/**
 * One snapshot in the catalog.
 *
 * @param id the snapshot's id
 * @param name the user's name for it
 * @param sandboxUid the sandbox it was taken from; null once that sandbox is removed, or if none
 * @param parent the snapshot a diff snapshot builds on, or null; a parent cannot be deleted
 *     while a child refers to it
 * @param manifestJson the manifest as JSON
 * @param sizeBytes bytes on disk
 * @param labels user labels
 * @param createdAt when the snapshot was staged
 * @param state staged or published
 */
public record SnapshotRow(
        String id, String name, String sandboxUid, String parent, String manifestJson, long sizeBytes,
        Map<String, String> labels, Instant createdAt, SnapshotState state) {

    public SnapshotRow {
        labels = Map.copyOf(labels);
    }
}
