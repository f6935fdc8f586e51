package dev.arcbox.driver.firecracker.api;

/**
 * {@code PUT /mmds/config}: MMDS version ({@code V1}/{@code V2}), the interfaces that reach it, its address, IMDS compatibility.
 * Mirrors Firecracker's swagger ({@code src/firecracker/swagger/firecracker.yaml}, 1.x); null
 * components are left out of the JSON.
 */
public record MmdsConfig(String version, java.util.List<String> networkInterfaces, String ipv4Address, Boolean imdsCompat) {}
