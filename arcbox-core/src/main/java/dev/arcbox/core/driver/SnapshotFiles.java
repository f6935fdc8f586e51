package dev.arcbox.core.driver;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * The files of one driver snapshot, all inside {@code dir}. Written by {@link RunningVm#snapshot},
 * read by {@link VmDriver#restore}. Serialized by the driver as {@code snapshot.json} in the same
 * directory, so a snapshot is self-describing.
 *
 * @param dir the snapshot directory
 * @param driver the driver that wrote it ({@code qemu}, {@code firecracker})
 * @param vmmVersion version of the VMM that wrote it; restore refuses another
 * @param kind full or diff
 * @param memoryFormat where guest memory is
 * @param vmState device-state file
 * @param memory raw memory file when {@code memoryFormat} is {@link MemoryFormat#RAW_FILE}
 * @param writableDisk captured copy of the VM's writable disk, if it had one
 * @param machine the machine shape a restore must reproduce
 * @param assetHashes content hashes of kernel, initrd and rootfs the VM ran on
 */
public record SnapshotFiles(
        Path dir,
        String driver,
        String vmmVersion,
        SnapshotKind kind,
        MemoryFormat memoryFormat,
        Path vmState,
        Optional<Path> memory,
        Optional<Path> writableDisk,
        MachinePlan machine,
        Map<String, String> assetHashes) {

    public SnapshotFiles {
        assetHashes = Map.copyOf(assetHashes);
    }
}
