package dev.arcbox.driver.firecracker.api;

/**
 * {@code PUT /entropy}: a virtio-rng device, optionally rate limited.
 * Mirrors Firecracker's swagger ({@code src/firecracker/swagger/firecracker.yaml}, 1.x); null
 * components are left out of the JSON.
 */
public record EntropyDevice(RateLimiter rateLimiter) {}
