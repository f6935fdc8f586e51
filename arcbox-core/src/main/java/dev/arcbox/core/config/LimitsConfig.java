package dev.arcbox.core.config;

/**
 * {@code [limits]}: admission limits and the bounds put on what sandboxes use of the host.
 *
 * @param maxSandboxes sandboxes that may exist at once
 * @param maxConcurrentBoots boots (and restores) in flight at once, at most {@code maxSandboxes}
 * @param memoryHeadroomMib host memory kept free: a sandbox is refused when its memory would eat
 *     into it
 * @param consoleLogMaxBytes what a sandbox's console log may keep on disk (both segments)
 * @param snapshotQuotaBytes host bytes all snapshots may take together; 0 = no quota
 * @param cgroups {@code auto} (a cgroup per VMM where the host lets the daemon govern one) or {@code off}
 * @param vmmOverheadMib memory a VMM uses beyond its guest's, added to the guest's memory for its
 *     cgroup's memory cap
 * @param vmmLogMaxBytes size at which a VMM's own log file is rotated (one older file is kept)
 */
public record LimitsConfig(int maxSandboxes, int maxConcurrentBoots, long memoryHeadroomMib, long consoleLogMaxBytes,
        long snapshotQuotaBytes, String cgroups, long vmmOverheadMib, long vmmLogMaxBytes) {

    public static final long DEFAULT_CONSOLE_LOG_MAX_BYTES = 1L << 20;
    public static final long DEFAULT_VMM_OVERHEAD_MIB = 128;
    public static final long DEFAULT_VMM_LOG_MAX_BYTES = 1L << 20;

    /** The admission limits with the built-in defaults for everything else. */
    public LimitsConfig(int maxSandboxes, int maxConcurrentBoots, long memoryHeadroomMib) {
        this(maxSandboxes, maxConcurrentBoots, memoryHeadroomMib, DEFAULT_CONSOLE_LOG_MAX_BYTES, 0, "auto",
                DEFAULT_VMM_OVERHEAD_MIB, DEFAULT_VMM_LOG_MAX_BYTES);
    }

    /** Whether cgroups are wanted (they are used only where the host allows). */
    public boolean cgroupsWanted() {
        return !"off".equals(cgroups);
    }
}
