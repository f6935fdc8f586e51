package dev.arcbox.core.store;

import java.util.Map;
import java.util.Objects;

/**
 * A snapshot about to be recorded as {@link SnapshotState#STAGED staged}.
 *
 * @param id the snapshot's id
 * @param name the user's name for it
 * @param sandboxUid the sandbox it was taken from, or null
 * @param parent the snapshot a diff snapshot builds on, or null
 * @param manifestJson the manifest as JSON
 * @param sizeBytes bytes on disk, as far as known
 * @param labels user labels
 */
public record NewSnapshot(
        String id, String name, String sandboxUid, String parent, String manifestJson, long sizeBytes,
        Map<String, String> labels) {

    public NewSnapshot {
        SandboxRow.checkText("id", id);
        SandboxRow.checkText("name", name);
        Objects.requireNonNull(manifestJson, "manifestJson");
        if (sizeBytes < 0) {
            throw new IllegalArgumentException("sizeBytes: must be ≥ 0, got " + sizeBytes);
        }
        labels = Map.copyOf(labels);
    }
}
