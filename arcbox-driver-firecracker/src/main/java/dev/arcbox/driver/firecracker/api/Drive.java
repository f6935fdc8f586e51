package dev.arcbox.driver.firecracker.api;

/**
 * {@code PUT /drives/{drive_id}}: a virtio-blk device; {@code cache_type} {@code Unsafe}/{@code Writeback}, {@code io_engine} {@code Sync}/{@code Async}.
 * Mirrors Firecracker's swagger ({@code src/firecracker/swagger/firecracker.yaml}, 1.x); null
 * components are left out of the JSON.
 */
public record Drive(String driveId, String pathOnHost, boolean isRootDevice, Boolean isReadOnly, String partuuid, String cacheType, String ioEngine, RateLimiter rateLimiter) {}
