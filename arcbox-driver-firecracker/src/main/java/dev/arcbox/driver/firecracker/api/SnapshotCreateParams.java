package dev.arcbox.driver.firecracker.api;

/**
 * {@code PUT /snapshot/create}: state and memory files, {@code Full} or {@code Diff}.
 * Mirrors Firecracker's swagger ({@code src/firecracker/swagger/firecracker.yaml}, 1.x); null
 * components are left out of the JSON.
 */
public record SnapshotCreateParams(String snapshotPath, String memFilePath, String snapshotType) {}
