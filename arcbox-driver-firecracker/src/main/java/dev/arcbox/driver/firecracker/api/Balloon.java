package dev.arcbox.driver.firecracker.api;

/**
 * {@code PUT /balloon}: the balloon device (before boot).
 * Mirrors Firecracker's swagger ({@code src/firecracker/swagger/firecracker.yaml}, 1.x); null
 * components are left out of the JSON.
 */
public record Balloon(long amountMib, boolean deflateOnOom, Integer statsPollingIntervalS, Boolean freePageHinting, Boolean freePageReporting) {}
