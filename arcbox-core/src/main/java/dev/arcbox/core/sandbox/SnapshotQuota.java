package dev.arcbox.core.sandbox;

import dev.arcbox.core.ArcboxException;
import dev.arcbox.core.fs.DiskUsage;
import dev.arcbox.core.spec.SandboxSpec;
import java.nio.file.Path;
import java.util.function.LongSupplier;

/**
 * The snapshot quota ({@code limits.snapshot_quota_bytes}): a checkpoint is refused before it
 * writes anything when the snapshots' host bytes, plus what checkpoints under way may still add,
 * plus an upper bound of what it would add pass the quota. The bound: the guest's whole memory,
 * the writable disk's allocated bytes, 1 MiB of device state; a snapshot never takes more, so the
 * quota holds without checking afterwards. Each checkpoint holds its bound as a reservation until
 * it is published or given up, so two checkpoints at once cannot both squeeze under the quota.
 */
final class SnapshotQuota {

    static final long DEVICE_STATE_BOUND = 1L << 20;

    private final long quota;
    private final LongSupplier used;
    private long reserved;

    /**
     * @param quota the quota in bytes; 0 = none
     * @param used the published snapshots' bytes now
     */
    SnapshotQuota(long quota, LongSupplier used) {
        this.quota = quota;
        this.used = used;
    }

    /** Upper bound of the host bytes a full snapshot of this sandbox takes. */
    static long bound(SandboxSpec spec, Path sandboxDir) {
        return ((long) spec.memoryMib() << 20) + DiskUsage.allocatedBytes(sandboxDir.resolve(VmPlanner.DISK))
                + DEVICE_STATE_BOUND;
    }

    /**
     * Holds {@code bound} bytes for one checkpoint until the reservation is closed.
     *
     * @throws ArcboxException.ResourceExhausted naming the quota, the usage, what is reserved and the bound
     */
    synchronized Reservation reserve(long bound, String sandboxId) {
        if (quota > 0) {
            long now = used.getAsLong();
            if (now + reserved + bound > quota) {
                throw new ArcboxException.ResourceExhausted("limits.snapshot_quota_bytes: snapshots use " + now
                        + (reserved > 0 ? " (and checkpoints under way may add " + reserved + ")" : "") + " of "
                        + quota + " bytes; a checkpoint of '" + sandboxId + "' may take up to " + bound
                        + " more (delete or prune snapshots, or raise the quota)");
            }
        }
        reserved += bound;
        return new Reservation(bound);
    }

    /** Bytes held by checkpoints under way. */
    synchronized long reserved() {
        return reserved;
    }

    /** One checkpoint's hold on the quota; closing it (once the snapshot is published or given up) releases it. */
    final class Reservation implements AutoCloseable {
        private long bound;

        private Reservation(long bound) {
            this.bound = bound;
        }

        @Override
        public void close() {
            synchronized (SnapshotQuota.this) {
                reserved -= bound;
                bound = 0; // closing twice releases once
            }
        }
    }
}
