package dev.arcbox.driver.firecracker.api;

/**
 * {@code PUT /serial}: where the guest's serial output goes.
 * Mirrors Firecracker's swagger ({@code src/firecracker/swagger/firecracker.yaml}, 1.x); null
 * components are left out of the JSON.
 */
public record SerialConfig(String serialOutPath) {}
