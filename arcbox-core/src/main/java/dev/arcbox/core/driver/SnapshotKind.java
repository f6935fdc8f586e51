package dev.arcbox.core.driver;

/** What a snapshot holds. */
public enum SnapshotKind {
    /** Device state and all of guest memory. */
    FULL,
    /** Device state and the memory dirtied since a parent snapshot. */
    DIFF
}
