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

    /** A tty execution's new window size. */
    record Resize(int rows, int cols) implements HostMessage {}

    record ListExecutions() implements HostMessage {}

    /** The host stops following an execution; it keeps running and buffering for a later ATTACH. */
    record Detach() implements HostMessage {}

    /** EXIT on this stream when the execution finishes. */
    record Wait(int execId) implements HostMessage {}

    /** SIGNAL naming an execution: answered with SIGNAL_ACK or ERROR. */
    record SignalExecution(int execId, int signo) implements HostMessage {}

    record FileWrite(FileWriteRequest request) implements HostMessage {}

    /** Upload data, within the credit the agent granted. */
    record FileData(byte[] data) implements HostMessage {}

    /** Ends an upload (commit, or abort: the temporary file is removed) or cancels a download. */
    record FileEnd(boolean abort) implements HostMessage {}

    record FileRead(String path, long offset, long length, int window) implements HostMessage {}

    record FileStat(String path) implements HostMessage {}

    record FileList(String path) implements HostMessage {}

    record FileMkdir(String path, int mode, boolean parents, String owner) implements HostMessage {}

    record FileRemove(String path, boolean recursive) implements HostMessage {}

    record FileRename(String from, String to, boolean overwrite) implements HostMessage {}
}
