package dev.arcbox.driver.firecracker.api;

/**
 * {@code PATCH /hotplug/memory}: the memory the guest should have plugged.
 * Mirrors Firecracker's swagger ({@code src/firecracker/swagger/firecracker.yaml}, 1.x); null
 * components are left out of the JSON.
 */
public record MemoryHotplugSizeUpdate(long requestedSizeMib) {}
