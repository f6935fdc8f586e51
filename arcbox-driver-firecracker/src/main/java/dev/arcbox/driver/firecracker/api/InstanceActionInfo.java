package dev.arcbox.driver.firecracker.api;

/**
 * {@code PUT /actions}: {@code InstanceStart}, {@code FlushMetrics} or {@code SendCtrlAltDel}.
 * Mirrors Firecracker's swagger ({@code src/firecracker/swagger/firecracker.yaml}, 1.x); null
 * components are left out of the JSON.
 */
public record InstanceActionInfo(String actionType) {}
