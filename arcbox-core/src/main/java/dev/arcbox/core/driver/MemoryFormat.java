package dev.arcbox.core.driver;

/** Where a snapshot keeps guest memory. */
public enum MemoryFormat {
    /** A raw image of guest RAM in its own file, mapped copy-on-write by clones. */
    RAW_FILE,
    /** Guest RAM inside the device-state stream (e.g. a snapshot of a clone, whose RAM is private). */
    IN_STREAM
}
