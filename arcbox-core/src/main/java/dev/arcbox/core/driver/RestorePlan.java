package dev.arcbox.core.driver;

/**
 * Everything a driver needs to restore one VM from a snapshot. {@code vm} describes the new VM:
 * its own id, run directory, console log, writable disk (a private copy the caller made of the
 * snapshot's captured disk) and network interfaces; kernel, initrd, machine shape and asset hashes
 * must match the snapshot, or the restore fails with {@code FailedPrecondition} naming the mismatch.
 *
 * @param vm the new VM
 * @param snapshot the snapshot to restore from (never modified)
 */
public record RestorePlan(VmPlan vm, SnapshotFiles snapshot) {}
