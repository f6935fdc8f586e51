package dev.arcbox.core.agent;

/**
 * How an execution ended (EXIT, docs/agent-protocol.md §3). Exactly one of {@code exitCode} and
 * {@code signal} is set. The totals are the byte counts the guest produced on each stream.
 */
public record ExitStatus(Integer exitCode, Integer signal, boolean timedOut, long stdoutTotal, long stderrTotal) {

    /** True when the process exited by itself with status 0. */
    public boolean success() {
        return exitCode != null && exitCode == 0;
    }
}
