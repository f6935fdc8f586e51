package dev.arcbox.driver.firecracker.api;

/**
 * {@code PUT /network-interfaces/{iface_id}}: a virtio-net device on a host TAP.
 * Mirrors Firecracker's swagger ({@code src/firecracker/swagger/firecracker.yaml}, 1.x); null
 * components are left out of the JSON.
 */
public record NetworkInterface(String ifaceId, String hostDevName, String guestMac, RateLimiter rxRateLimiter, RateLimiter txRateLimiter) {}
