package dev.arcbox.driver.firecracker.api;

/**
 * Two token buckets: bytes ({@code bandwidth}) and operations ({@code ops}); either may be absent.
 * Mirrors Firecracker's swagger ({@code src/firecracker/swagger/firecracker.yaml}, 1.x); null
 * components are left out of the JSON.
 */
public record RateLimiter(TokenBucket bandwidth, TokenBucket ops) {}
