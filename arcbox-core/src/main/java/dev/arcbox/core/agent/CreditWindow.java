package dev.arcbox.core.agent;

import dev.arcbox.core.ArcboxException;

/**
 * The output credit of one execution (docs/agent-protocol.md §4): the agent may send at most what the host
 * granted (the window, then CREDIT frames; stdout and stderr share it). Consumed bytes are returned in
 * batches of half the window, so buffered output never exceeds the window. Not thread-safe: guarded by the
 * execution's lock.
 */
final class CreditWindow {

    private final long batch;
    private long available;
    private long unreturned;

    CreditWindow(int window) {
        this.available = window;
        this.batch = Math.max(1, window / 2);
    }

    /** @throws ArcboxException.ProtocolViolation when the agent sends more than it was granted */
    void spend(int bytes, String label) {
        if (bytes > available) {
            throw new ArcboxException.ProtocolViolation(label + ": agent sent " + bytes + " output bytes with only "
                    + available + " bytes of credit");
        }
        available -= bytes;
    }

    /**
     * Counts bytes the host is done with (consumed, or dropped as duplicates); returns the credit to send now,
     * or 0. The grant is counted as available before it is sent, so the agent can never appear to exceed it.
     */
    long consumed(long bytes) {
        unreturned += bytes;
        if (unreturned < batch) {
            return 0;
        }
        long grant = unreturned;
        unreturned = 0;
        available += grant;
        return grant;
    }

    long available() {
        return available;
    }
}
