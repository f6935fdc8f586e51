package dev.arcbox.core.sandbox;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * Which snapshots a prune takes: published ones older than an age and carrying all the given
 * labels; those still mapped by live sandboxes are skipped.
 *
 * @param deleted ids deleted (or that would be, in a dry run)
 * @param skipped ids that matched but are in use
 * @param freedBytes host bytes of the deleted snapshots
 */
public record SnapshotPrune(List<String> deleted, List<String> skipped, long freedBytes) {

    public SnapshotPrune {
        deleted = List.copyOf(deleted);
        skipped = List.copyOf(skipped);
    }

    /** Whether a snapshot made at {@code createdAt} with {@code labels} matches the filter. */
    static boolean matches(Instant createdAt, Map<String, String> labels, Instant now, Duration olderThan,
            Map<String, String> wanted) {
        if (!olderThan.isZero() && createdAt.isAfter(now.minus(olderThan))) {
            return false;
        }
        return wanted.entrySet().stream().allMatch(e -> e.getValue().equals(labels.get(e.getKey())));
    }
}
