package dev.arcbox.driver.firecracker.api;

/**
 * {@code PATCH /balloon}: a new balloon target (after boot).
 * Mirrors Firecracker's swagger ({@code src/firecracker/swagger/firecracker.yaml}, 1.x); null
 * components are left out of the JSON.
 */
public record BalloonUpdate(long amountMib) {}
