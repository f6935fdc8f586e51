package dev.arcbox.core.agent;

import dev.arcbox.core.ArcboxException;
import java.time.Duration;

/** How an {@link Execution} sends frames on its stream; implemented by {@link AgentClient}. Thread-safe. */
interface Outbox {

    /**
     * Writes the message on the stream.
     *
     * @throws ArcboxException.Unavailable when the connection is gone (it is then closed)
     * @throws ArcboxException.DeadlineExceeded when the writer stayed busy until the deadline
     */
    void send(int stream, HostMessage message, Deadline deadline, String operation);

    /** Writes from a new virtual thread, for the reader thread, which must never block on a write. */
    void sendDetached(int stream, HostMessage message, String operation);

    /** Writes, waiting as long as the connection lives; for credit, which must not get lost. Never throws. */
    void sendReliably(int stream, HostMessage message, String operation);

    /** Stops routing frames of this stream (an execution the host detached from). */
    void forget(int stream);

    /** The bound on sends that have no caller deadline (credit, stdin, signals). */
    Duration writeBound();
}
