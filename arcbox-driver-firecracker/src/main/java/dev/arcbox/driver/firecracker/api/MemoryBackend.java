package dev.arcbox.driver.firecracker.api;

/**
 * How a loaded snapshot's memory is provided: {@code File} (mapped privately) or {@code Uffd}.
 * Mirrors Firecracker's swagger ({@code src/firecracker/swagger/firecracker.yaml}, 1.x); null
 * components are left out of the JSON.
 */
public record MemoryBackend(String backendType, String backendPath) {}
