package dev.arcbox.core.spec;

/**
 * Virtio-vsock device (arcbox-vm 0.1.4 {@code VsockSpec}). The host socket path is the VMM's.
 *
 * @param guestCid the guest's context id, 3 to 2^32-2 (0-2 and 2^32-1 are reserved)
 */
public record VsockSpec(long guestCid) {}
