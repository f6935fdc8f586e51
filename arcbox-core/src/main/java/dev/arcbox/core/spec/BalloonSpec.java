package dev.arcbox.core.spec;

import java.util.OptionalLong;

/**
 * Memory balloon device (arcbox-vm 0.1.4 {@code BalloonSpec}). The seed's optional booleans are
 * plain booleans here: absent and {@code false} mean the same to Firecracker.
 *
 * @param amountMib initial balloon target, 0 up to the sandbox's memory
 * @param deflateOnOom deflate when the guest runs out of memory
 * @param statsPollingIntervalS seconds between statistics polls (0 disables), &ge; 0
 * @param freePageHinting enable free-page hinting
 * @param freePageReporting enable free-page reporting
 */
public record BalloonSpec(
        long amountMib,
        boolean deflateOnOom,
        OptionalLong statsPollingIntervalS,
        boolean freePageHinting,
        boolean freePageReporting) {

    public BalloonSpec {
        statsPollingIntervalS = statsPollingIntervalS == null ? OptionalLong.empty() : statsPollingIntervalS;
    }
}
