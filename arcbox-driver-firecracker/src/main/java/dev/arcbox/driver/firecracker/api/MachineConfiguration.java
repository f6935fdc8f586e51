package dev.arcbox.driver.firecracker.api;

/**
 * {@code PUT /machine-config}: vCPUs (1 or even, up to 32), memory, SMT, dirty tracking, huge pages ({@code None}, {@code 2M}), static CPU template.
 * Mirrors Firecracker's swagger ({@code src/firecracker/swagger/firecracker.yaml}, 1.x); null
 * components are left out of the JSON.
 */
public record MachineConfiguration(int vcpuCount, int memSizeMib, Boolean smt, Boolean trackDirtyPages, String hugePages, String cpuTemplate) {}
