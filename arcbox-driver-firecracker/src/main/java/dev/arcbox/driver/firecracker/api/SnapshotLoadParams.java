package dev.arcbox.driver.firecracker.api;

/**
 * {@code PUT /snapshot/load}: only logger and metrics may precede it in a fresh process.
 * Mirrors Firecracker's swagger ({@code src/firecracker/swagger/firecracker.yaml}, 1.x); null
 * components are left out of the JSON.
 */
public record SnapshotLoadParams(String snapshotPath, MemoryBackend memBackend, Boolean trackDirtyPages, Boolean resumeVm, java.util.List<NetworkOverride> networkOverrides, VsockOverride vsockOverride) {}
