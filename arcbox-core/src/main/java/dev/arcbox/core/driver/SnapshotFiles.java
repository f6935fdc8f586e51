package dev.arcbox.core.driver;

import dev.arcbox.core.ArcboxException;
import java.nio.file.Path;
import java.util.List;
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

    /**
     * Checks that a restore plan runs on the assets and the machine shape this snapshot was taken
     * on, which every driver needs before it loads guest memory.
     *
     * @throws ArcboxException.FailedPrecondition naming the mismatch
     */
    public void requireSameAssetsAndShape(VmPlan plan) {
        for (String asset : List.of("kernel", "initrd", "rootfs")) {
            String taken = assetHashes.getOrDefault(asset, "");
            String now = plan.assetHashes().getOrDefault(asset, "");
            if (!taken.equals(now)) {
                throw new ArcboxException.FailedPrecondition("snapshot " + dir + ": " + asset
                        + " hash mismatch: snapshot has " + abbrev(taken) + ", restore plan has " + abbrev(now));
            }
        }
        MachinePlan a = machine;
        MachinePlan b = plan.machine();
        if (a.vcpus() != b.vcpus() || a.memoryMib() != b.memoryMib()) {
            throw new ArcboxException.FailedPrecondition("snapshot " + dir + ": machine shape mismatch: "
                    + "snapshot has " + a.vcpus() + " vcpus and " + a.memoryMib() + " MiB, restore plan has "
                    + b.vcpus() + " vcpus and " + b.memoryMib() + " MiB");
        }
    }

    private static String abbrev(String hash) {
        return hash.isEmpty() ? "(none)" : hash.substring(0, Math.min(12, hash.length()));
    }
}
