package dev.arcbox.driver.firecracker.api;

/**
 * A loaded snapshot's vsock device re-pointed at another Unix socket (Firecracker 1.16+).
 * Mirrors Firecracker's swagger ({@code src/firecracker/swagger/firecracker.yaml}, 1.x); null
 * components are left out of the JSON.
 */
public record VsockOverride(String udsPath) {}
