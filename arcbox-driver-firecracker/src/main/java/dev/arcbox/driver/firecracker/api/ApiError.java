package dev.arcbox.driver.firecracker.api;

/**
 * The body of every error response.
 * Mirrors Firecracker's swagger ({@code src/firecracker/swagger/firecracker.yaml}, 1.x); null
 * components are left out of the JSON.
 */
public record ApiError(String faultMessage) {}
