package dev.arcbox.core.agent;

import java.util.List;
import java.util.Set;

/**
 * What the guest agent said in its HELLO_ACK (agent protocol version 1, docs/agent-protocol.md §3).
 * Strings are sanitized (the guest is untrusted); boot times are CLOCK_BOOTTIME nanoseconds in the guest.
 *
 * @param execIds executions the agent still holds, running or finished (re-attachable)
 */
public record AgentHello(int version, Set<String> capabilities, String agent, long bootInitNanos,
                         long bootReadyNanos, long uptimeNanos, List<Integer> execIds) {

    public AgentHello {
        capabilities = Set.copyOf(capabilities);
        execIds = List.copyOf(execIds);
    }
}
