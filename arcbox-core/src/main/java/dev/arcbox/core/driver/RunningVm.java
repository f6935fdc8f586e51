package dev.arcbox.core.driver;

import dev.arcbox.core.agent.AgentClient;
import java.nio.channels.ByteChannel;
import java.nio.channels.ReadableByteChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * A VMM process running one guest. Thread safe. Every blocking call is bounded by a deadline.
 */
public interface RunningVm {

    /** The VM's short internal id. */
    String vmId();

    /** What the store keeps to {@link VmDriver#reattach} this VM after a daemon restart. */
    VmRecord record();

    /** Pauses the vCPUs. Idempotent. */
    void pause();

    /** Resumes the vCPUs. Idempotent. */
    void resume();

    /**
     * Writes a snapshot into {@code dir} (created by the caller, empty): pauses the guest, saves
     * device state, memory and the writable disk, then resumes it unless {@code leaveStopped}.
     */
    SnapshotFiles snapshot(Path dir, SnapshotKind kind, boolean leaveStopped);

    /**
     * Opens the raw byte stream to the guest agent (QEMU: the virtio-serial chardev socket;
     * Firecracker: the vsock socket after {@code CONNECT}). Most callers want {@link #agent}.
     */
    ByteChannel openAgent(Duration timeout);

    /**
     * The connected agent client, connecting (and saying HELLO) when there is none or the last one
     * closed. A guest is ready when this returns.
     */
    AgentClient agent(Duration deadline);

    /**
     * Opens the guest's serial console output as a byte stream, for the caller to keep in its
     * console log (the driver keeps no console file then). One reader at a time; while none is
     * connected the VMM drops console output. Empty when the driver writes the plan's
     * {@code consoleLog} itself.
     *
     * @throws dev.arcbox.core.ArcboxException.Unavailable when the console cannot be connected now
     */
    default Optional<ReadableByteChannel> openConsole() {
        return Optional.empty();
    }

    /** Closes the current agent connection, if any. Executions in the guest keep running. */
    void disconnectAgent();

    /**
     * Stops the VM within {@code grace}: agent SHUTDOWN (clean poweroff), then SIGTERM, then
     * SIGKILL. Removes the run directory. Idempotent.
     */
    StopResult stop(Duration grace);

    /** Completes when the VMM process is gone, for whatever reason. */
    CompletableFuture<ExitInfo> onExit();

    /** The VMM's process id. */
    long pid();

    /**
     * The VMM's own latest counters (Firecracker's metrics, flattened to {@code group.name}),
     * for Inspect; empty for a VMM that reports none. Never blocks on the VMM.
     */
    default java.util.Map<String, Long> vmmMetrics() {
        return java.util.Map.of();
    }
}
