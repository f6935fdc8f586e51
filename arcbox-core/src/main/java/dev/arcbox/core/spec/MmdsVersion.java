package dev.arcbox.core.spec;

/** MMDS API version (arcbox-vm 0.1.4 {@code MmdsVersionSpec}); V2 requires session tokens. */
public enum MmdsVersion {
    V1,
    V2
}
