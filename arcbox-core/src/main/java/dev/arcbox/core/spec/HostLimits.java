package dev.arcbox.core.spec;

import java.util.OptionalInt;
import java.util.OptionalLong;

/**
 * Host-side limits of a sandbox's VMM (its cgroup), as asked for ({@code ResourceLimits} fields
 * 20-23); each one unset is derived from vcpus and memory when the VMM is placed.
 *
 * @param cpuWeight 1-10000, default 100 x vcpus
 * @param cpuMaxPercent 100 = one host CPU, default 100 x vcpus
 * @param ioWeight 1-10000, default 100
 * @param memoryMaxMib the VMM's memory cap, at least the guest's memory; default guest memory plus
 *     the configured VMM overhead
 */
public record HostLimits(OptionalInt cpuWeight, OptionalInt cpuMaxPercent, OptionalInt ioWeight,
        OptionalLong memoryMaxMib) {

    /** Nothing asked for: every limit derived. */
    public static final HostLimits DERIVED =
            new HostLimits(OptionalInt.empty(), OptionalInt.empty(), OptionalInt.empty(), OptionalLong.empty());

    public HostLimits {
        cpuWeight = cpuWeight == null ? OptionalInt.empty() : cpuWeight;
        cpuMaxPercent = cpuMaxPercent == null ? OptionalInt.empty() : cpuMaxPercent;
        ioWeight = ioWeight == null ? OptionalInt.empty() : ioWeight;
        memoryMaxMib = memoryMaxMib == null ? OptionalLong.empty() : memoryMaxMib;
    }
}
