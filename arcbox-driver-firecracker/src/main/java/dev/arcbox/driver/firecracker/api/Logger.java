package dev.arcbox.driver.firecracker.api;

/**
 * {@code PUT /logger}: Firecracker's own log, here a FIFO the driver drains.
 * Mirrors Firecracker's swagger ({@code src/firecracker/swagger/firecracker.yaml}, 1.x); null
 * components are left out of the JSON.
 */
public record Logger(String logPath, String level, Boolean showLevel, Boolean showLogOrigin, String module) {}
