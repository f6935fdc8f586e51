package dev.arcbox.core.driver;

import dev.arcbox.core.ArcboxException;
import dev.arcbox.core.agent.AgentClient;
import java.nio.channels.ByteChannel;
import java.time.Duration;
import java.util.function.Function;

/**
 * The one agent connection of a VM, shared by a driver's {@link RunningVm} implementations. A VM's
 * agent channel takes one host connection at a time, so every user goes through this link: it
 * connects (and says HELLO) on first use and again after the connection closed.
 */
public final class AgentLink {

    private final String vmId;
    private final Function<Duration, ByteChannel> opener;
    private AgentClient client;

    /**
     * @param vmId the VM, for messages
     * @param opener opens the raw channel within the given timeout
     */
    public AgentLink(String vmId, Function<Duration, ByteChannel> opener) {
        this.vmId = vmId;
        this.opener = opener;
    }

    /** The connected client, connecting when needed; bounded by {@code deadline}. */
    public synchronized AgentClient get(Duration deadline) {
        if (client != null && client.isOpen()) {
            return client;
        }
        long end = System.nanoTime() + deadline.toNanos();
        ByteChannel channel = opener.apply(deadline);
        Duration left = Duration.ofNanos(end - System.nanoTime());
        if (left.isNegative() || left.isZero()) {
            closeQuietly(channel);
            throw new ArcboxException.DeadlineExceeded("vm " + vmId + ": agent channel not open within " + deadline);
        }
        client = AgentClient.connect(channel, left);
        return client;
    }

    /** The current client when connected, else null; never connects. */
    public synchronized AgentClient current() {
        return client != null && client.isOpen() ? client : null;
    }

    /** Closes the connection, if any. */
    public synchronized void disconnect() {
        if (client != null) {
            client.close();
            client = null;
        }
    }

    private static void closeQuietly(ByteChannel channel) {
        try {
            channel.close();
        } catch (java.io.IOException ignored) {
            // the deadline is the error worth reporting
        }
    }
}
