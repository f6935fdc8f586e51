package dev.arcbox.driver.firecracker.api;

/**
 * {@code PATCH /vm}: {@code Paused} or {@code Resumed}.
 * Mirrors Firecracker's swagger ({@code src/firecracker/swagger/firecracker.yaml}, 1.x); null
 * components are left out of the JSON.
 */
public record VmState(String state) {}
