package dev.arcbox.core.spec;

/** Firecracker CPU template (arcbox-vm 0.1.4 {@code CpuTemplateSpec}); wire names are the constants. */
public enum CpuTemplate {
    C3,
    T2,
    T2S,
    T2CL,
    T2A,
    V1N1
}
