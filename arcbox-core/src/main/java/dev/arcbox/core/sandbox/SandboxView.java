package dev.arcbox.core.sandbox;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * What a client sees of one sandbox.
 *
 * @param id the user's id
 * @param uid short internal id naming its host resources
 * @param state the persisted state
 * @param runningExecutions live executions (a READY sandbox with any is "running")
 * @param labels user labels
 * @param vcpus virtual CPUs
 * @param memoryMib guest memory
 * @param network {@code tap} or {@code none}
 * @param ipAddress leased address, or null
 * @param createdAt when it was recorded
 * @param readyAt when it last became ready (since this daemon started), or null
 * @param bootTime create/start to ready of the last boot, or null
 * @param ttlDeadline when it expires, or null
 * @param reason why it failed, or null
 * @param generation the record's generation
 * @param driver the driver running it
 * @param vmmPid the VMM process, or 0
 * @param egress its egress policy (mode tap)
 * @param portForwards its TCP port forwards (mode tap)
 * @param mac the guest MAC of its lease, or null
 * @param gateway the gateway it routes through, or null
 * @param consoleLogBytes bytes its console log keeps on disk
 * @param idleTimeout its idle timeout, or null when it never goes idle
 * @param idleAction what its idle policy does
 * @param lastActivityAt its last guest call, execution end or readiness (since this daemon got its
 *     VM), or null when it has no VM
 * @param cgroup the VMM's cgroup, empty when cgroups are not in use
 * @param diskBytes host bytes allocated by its writable disk
 * @param diskSize its writable disk's size
 * @param vmmMetrics the VMM's own counters, when its driver reports them (empty otherwise)
 */
public record SandboxView(
        String id,
        String uid,
        SandboxState state,
        int runningExecutions,
        Map<String, String> labels,
        int vcpus,
        int memoryMib,
        String network,
        String ipAddress,
        Instant createdAt,
        Instant readyAt,
        Duration bootTime,
        Instant ttlDeadline,
        String reason,
        long generation,
        String driver,
        long vmmPid,
        dev.arcbox.core.network.EgressPolicy egress,
        List<dev.arcbox.core.network.PortForward> portForwards,
        String mac,
        String gateway,
        long consoleLogBytes,
        Duration idleTimeout,
        dev.arcbox.core.spec.IdleAction idleAction,
        Instant lastActivityAt,
        String cgroup,
        long diskBytes,
        long diskSize,
        Map<String, Long> vmmMetrics) {

    /** The state clients see: {@code running} for a READY sandbox with live executions. */
    public String displayState() {
        return state == SandboxState.READY && runningExecutions > 0 ? "running" : state.label();
    }
}
