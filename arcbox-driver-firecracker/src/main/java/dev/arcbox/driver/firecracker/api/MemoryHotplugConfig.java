package dev.arcbox.driver.firecracker.api;

/**
 * {@code PUT /hotplug/memory}: a virtio-mem region (before boot).
 * Mirrors Firecracker's swagger ({@code src/firecracker/swagger/firecracker.yaml}, 1.x); null
 * components are left out of the JSON.
 */
public record MemoryHotplugConfig(long totalSizeMib, Long slotSizeMib, Long blockSizeMib) {}
