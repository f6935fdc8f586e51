package dev.arcbox.core.config;

import java.nio.file.Path;
import java.util.Optional;

/**
 * {@code [defaults]}: what a sandbox gets when its spec leaves a field unset. Mirrors
 * {@code DefaultVmConfig} of arcbox-vm 0.1.4 ({@code src/config.rs}), plus initrd and disk size.
 *
 * @param vcpus virtual CPUs, 1-32
 * @param memoryMib guest memory, 64-262144 MiB
 * @param kernel kernel image; empty: the image manifest's
 * @param initrd initramfs; empty: the image manifest's
 * @param rootfs root file system image; empty: the image manifest's
 * @param bootArgs extra kernel command line
 * @param diskSizeMib size of a sandbox's writable disk, 16-1048576 MiB
 */
public record DefaultVmConfig(
        int vcpus,
        int memoryMib,
        Optional<Path> kernel,
        Optional<Path> initrd,
        Optional<Path> rootfs,
        String bootArgs,
        long diskSizeMib) {}
