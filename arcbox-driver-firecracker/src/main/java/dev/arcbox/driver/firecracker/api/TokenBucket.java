package dev.arcbox.driver.firecracker.api;

/**
 * A token bucket: {@code size} tokens refilled every {@code refill_time} ms, plus a one-time burst.
 * Mirrors Firecracker's swagger ({@code src/firecracker/swagger/firecracker.yaml}, 1.x); null
 * components are left out of the JSON.
 */
public record TokenBucket(long size, Long oneTimeBurst, long refillTime) {}
