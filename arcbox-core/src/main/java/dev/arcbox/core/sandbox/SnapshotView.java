package dev.arcbox.core.sandbox;

import dev.arcbox.core.driver.SnapshotFiles;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * What a client sees of one snapshot.
 *
 * @param id the snapshot's id
 * @param name its name (defaults to the id)
 * @param originId the sandbox it was taken of
 * @param labels user labels
 * @param createdAt when it was published
 * @param sizeBytes host space its files take (allocated, not apparent)
 * @param files the driver's description (directory, memory format, hashes, machine)
 * @param usedBy live sandboxes that map its memory
 */
public record SnapshotView(
        String id,
        String name,
        String originId,
        Map<String, String> labels,
        Instant createdAt,
        long sizeBytes,
        SnapshotFiles files,
        List<String> usedBy) {}
