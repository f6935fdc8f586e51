package dev.arcbox.core.agent;

import java.util.List;

/**
 * An execution the agent holds (EXEC_LIST_ACK, docs/agent-protocol.md §3): running, or finished and
 * not yet released.
 *
 * @param id        the agent's execution id (unsigned 32 bits)
 * @param pid       the process id in the guest
 * @param argv      the command (long arguments cut by the agent)
 * @param tty       started with a pseudo-terminal
 * @param running   not finished yet
 * @param attached  a host stream receives its output now
 * @param startedAt Unix seconds, guest clock
 * @param exit      how it ended, or null while running
 */
public record ExecutionInfo(int id, long pid, List<String> argv, boolean tty, boolean running, boolean attached,
                            long startedAt, ExitStatus exit) {

    public ExecutionInfo {
        argv = List.copyOf(argv);
    }
}
