package dev.arcbox.core.sandbox;

import dev.arcbox.core.ArcboxException;
import dev.arcbox.core.fs.DiskUsage;
import dev.arcbox.core.spec.SandboxSpec;
import java.nio.file.Path;

/**
 * The snapshot quota ({@code limits.snapshot_quota_bytes}): a checkpoint is refused before it
 * writes anything when the snapshots' host bytes plus an upper bound of what it would add pass the
 * quota. The bound: the guest's whole memory, the writable disk's allocated bytes, 1 MiB of device
 * state; a snapshot never takes more, so the quota holds without checking afterwards.
 */
final class SnapshotQuota {

    static final long DEVICE_STATE_BOUND = 1L << 20;

    private SnapshotQuota() {}

    /** Upper bound of the host bytes a full snapshot of this sandbox takes. */
    static long bound(SandboxSpec spec, Path sandboxDir) {
        return ((long) spec.memoryMib() << 20) + DiskUsage.allocatedBytes(sandboxDir.resolve(VmPlanner.DISK))
                + DEVICE_STATE_BOUND;
    }

    /**
     * @throws ArcboxException.ResourceExhausted naming the quota, the usage and the bound
     */
    static void check(long quota, long used, long bound, String sandboxId) {
        if (quota > 0 && used + bound > quota) {
            throw new ArcboxException.ResourceExhausted("limits.snapshot_quota_bytes: snapshots use " + used + " of "
                    + quota + " bytes; a checkpoint of '" + sandboxId + "' may take up to " + bound
                    + " more (delete or prune snapshots, or raise the quota)");
        }
    }
}
