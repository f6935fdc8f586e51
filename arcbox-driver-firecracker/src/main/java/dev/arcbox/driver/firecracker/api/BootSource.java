package dev.arcbox.driver.firecracker.api;

/**
 * {@code PUT /boot-source}: ELF kernel, optional initrd, kernel command line.
 * Mirrors Firecracker's swagger ({@code src/firecracker/swagger/firecracker.yaml}, 1.x); null
 * components are left out of the JSON.
 */
public record BootSource(String kernelImagePath, String initrdPath, String bootArgs) {}
