package dev.arcbox.core.driver;

/**
 * What a driver can do. Capabilities are truthful: a driver declares only what it really
 * implements on this host, and admission rejects a spec that needs a missing one.
 */
public enum Capability {
    /** Pause and resume a running VM. */
    PAUSE,
    /** Full snapshot: device state plus all guest memory. */
    SNAPSHOT_FULL,
    /** Diff snapshot: only memory dirtied since the parent snapshot. */
    SNAPSHOT_DIFF,
    /** Restore many clones from one snapshot, sharing its memory copy-on-write. */
    FORK,
    /** Memory balloon device. */
    BALLOON,
    /** Firecracker's microVM metadata service. */
    MMDS,
    /** Guest memory resized at run time. */
    MEMORY_HOTPLUG,
    /** Token-bucket rate limits on disks and network interfaces. */
    RATE_LIMIT,
    /** A virtio-rng device feeding the guest from the host. */
    ENTROPY_DEVICE,
    /** Network interfaces backed by host TAP devices. */
    NETWORK_TAP,
    /** Hardware acceleration (KVM) in use; absent means software emulation. */
    HARDWARE_ACCELERATION,
    /** Guest memory backed by 2 MiB huge pages (Firecracker's {@code huge_pages}). */
    HUGE_PAGES,
    /** Firecracker CPU templates (C3, T2, T2S, T2CL, T2A, V1N1) masking host CPU features. */
    CPU_TEMPLATE
}
