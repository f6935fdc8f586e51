package dev.arcbox.core.agent;

/** A message the host sends (agent protocol version 1, docs/agent-protocol.md §3); {@link MessageCodec#encode} frames it. */
sealed interface HostMessage {

    record Hello(long nonce, int version) implements HostMessage {}

    record Ping(byte[] payload) implements HostMessage {}

    record Shutdown() implements HostMessage {}

    record ExecStart(ExecRequest request) implements HostMessage {}

    record Stdin(byte[] data) implements HostMessage {}

    record StdinEof() implements HostMessage {}

    /** Output credit returned to the agent; at most 2^32-1. */
    record Credit(long bytes) implements HostMessage {}

    record Signal(int signo) implements HostMessage {}

    record Attach(int execId, long stdoutOffset, long stderrOffset, int window) implements HostMessage {}

    record Release(int execId) implements HostMessage {}

    record Resync(long realtimeNanos, byte[] entropy) implements HostMessage {}

    record ConfigureNet(NetConfig config) implements HostMessage {}
}
