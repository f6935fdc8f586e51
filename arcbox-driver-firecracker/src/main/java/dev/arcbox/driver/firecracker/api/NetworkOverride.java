package dev.arcbox.driver.firecracker.api;

/**
 * A loaded snapshot's interface re-pointed at another TAP (Firecracker 1.12+).
 * Mirrors Firecracker's swagger ({@code src/firecracker/swagger/firecracker.yaml}, 1.x); null
 * components are left out of the JSON.
 */
public record NetworkOverride(String ifaceId, String hostDevName) {}
