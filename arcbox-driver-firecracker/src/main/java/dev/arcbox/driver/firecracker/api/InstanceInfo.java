package dev.arcbox.driver.firecracker.api;

/**
 * {@code GET /}: the instance's id, state ({@code Not started}, {@code Running}, {@code Paused}) and VMM version.
 * Mirrors Firecracker's swagger ({@code src/firecracker/swagger/firecracker.yaml}, 1.x); null
 * components are left out of the JSON.
 */
public record InstanceInfo(String id, String state, String vmmVersion, String appName) {}
