package dev.arcbox.core.driver;

import java.nio.file.Path;
import java.util.Optional;
import java.util.Set;

/**
 * The port every hypervisor driver implements. Boot and restore are separate entry points.
 *
 * <p>Ownership: the driver owns the VMM process and everything in the plan's run directory. The
 * caller owns disks, TAP devices and the console log, and keeps them alive while the VM runs. VMM
 * processes are detached from the daemon (own session, output to files), so they outlive it;
 * {@link #reattach} finds them again.
 *
 * <p>Thread safety: implementations are safe for concurrent use.
 */
public interface VmDriver {

    /** {@code qemu} or {@code firecracker}. */
    String id();

    /** What this driver can do on this host (truthful: see {@link Capability}). */
    Set<Capability> capabilities();

    /**
     * Checks a plan against the driver's limits without touching the host.
     *
     * @throws dev.arcbox.core.ArcboxException.InvalidArgument naming every bad field
     * @throws dev.arcbox.core.ArcboxException.Unsupported naming the missing capability
     */
    void validate(VmPlan plan);

    /**
     * Validates, spawns the VMM and starts the guest. Returns once the VMM runs the guest; the
     * guest is ready when its agent answers ({@link RunningVm#agent}). On failure nothing is left
     * behind: no process, no run directory.
     */
    RunningVm boot(VmPlan plan);

    /**
     * Starts a new VMM from a snapshot and resumes it. The snapshot's files are never modified;
     * clones of one snapshot share its memory copy-on-write. The caller must resync the guest
     * (clock, entropy, network identity) through the agent before the VM counts as ready.
     *
     * @throws dev.arcbox.core.ArcboxException.FailedPrecondition when the snapshot was taken on other
     *     assets, another VMM version or another machine shape, naming the mismatch
     */
    RunningVm restore(RestorePlan plan);

    /**
     * Finds the VM of a record after a daemon restart: the process must still be the recorded
     * one (pid and start time). Empty when it is gone; the caller then releases its resources.
     */
    Optional<RunningVm> reattach(VmRecord record);

    /**
     * Ends whatever a VM of this id may have left when no live handle to it is known — a VMM that
     * was spawned but never recorded (a daemon that died in between), one that was recorded but
     * could not be re-attached, or one that exited while the daemon was down: its process (only if
     * it is provably this VM's), its run directory and the memory file the driver owns. Idempotent;
     * a no-op when nothing is left.
     */
    default void discard(String vmId, Path runDir) {
        dev.arcbox.core.fs.FileTree.delete(runDir);
    }
}
