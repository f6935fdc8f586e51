package dev.arcbox.core.cgroup;

/**
 * The host-side limits of one sandbox's VMM, in cgroup v2 terms (a v1 tree translates them).
 *
 * @param cpuWeight relative CPU share, 1-10000 (v2 {@code cpu.weight}; v1 {@code cpu.shares} = weight x 1024 / 100)
 * @param cpuMaxPercent CPU time cap, 100 = one host CPU (v2 {@code cpu.max}; v1 {@code cpu.cfs_quota_us})
 * @param ioWeight relative block I/O share, 1-10000 (v2 {@code io.weight}; v1 {@code blkio.weight} where present)
 * @param memoryMaxBytes memory cap of the VMM: guest memory plus the VMM's own overhead
 */
public record CgroupLimits(int cpuWeight, int cpuMaxPercent, int ioWeight, long memoryMaxBytes) {

    /** {@code cpu.max}/{@code cpu.cfs_period_us} period: 100 ms. */
    public static final long PERIOD_US = 100_000;

    /** The CPU quota per period in microseconds. */
    public long quotaUs() {
        return cpuMaxPercent * PERIOD_US / 100;
    }
}
