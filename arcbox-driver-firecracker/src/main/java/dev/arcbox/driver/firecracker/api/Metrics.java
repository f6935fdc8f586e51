package dev.arcbox.driver.firecracker.api;

/**
 * {@code PUT /metrics}: Firecracker's metrics (JSON lines), here a FIFO the driver drains.
 * Mirrors Firecracker's swagger ({@code src/firecracker/swagger/firecracker.yaml}, 1.x); null
 * components are left out of the JSON.
 */
public record Metrics(String metricsPath) {}
