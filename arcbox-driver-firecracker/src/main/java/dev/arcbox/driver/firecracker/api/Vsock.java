package dev.arcbox.driver.firecracker.api;

/**
 * {@code PUT /vsock}: the vsock device; the host side is a Unix socket (hybrid vsock).
 * Mirrors Firecracker's swagger ({@code src/firecracker/swagger/firecracker.yaml}, 1.x); null
 * components are left out of the JSON.
 */
public record Vsock(long guestCid, String udsPath) {}
