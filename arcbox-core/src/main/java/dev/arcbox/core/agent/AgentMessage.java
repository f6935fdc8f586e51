package dev.arcbox.core.agent;

import java.util.Arrays;
import java.util.List;

/**
 * A decoded frame from the agent (agent protocol version 1, docs/agent-protocol.md §3). Values are as the
 * guest sent them, checked for shape only; {@link MessageCodec#decode} builds them.
 */
sealed interface AgentMessage {

    /** The frame's stream (unsigned 32 bits). */
    int stream();

    record HelloAck(int stream, long nonce, int version, String caps, String agent, long bootInitNanos,
                    long bootReadyNanos, long uptimeNanos, List<Integer> execIds) implements AgentMessage {}

    record Pong(int stream, byte[] payload) implements AgentMessage {
        @Override
        public boolean equals(Object o) {
            return o instanceof Pong p && p.stream == stream && Arrays.equals(p.payload, payload);
        }

        @Override
        public int hashCode() {
            return 31 * stream + Arrays.hashCode(payload);
        }

        @Override
        public String toString() {
            return "Pong[stream " + stream + ", " + payload.length + " bytes]";
        }
    }

    record ShutdownAck(int stream) implements AgentMessage {}

    /** ERROR: {@code errno} is 0 when the agent sent none. */
    record Error(int stream, int errno, String message) implements AgentMessage {}

    /** EXEC_STARTED: {@code pid} is -1 when the agent sent none. */
    record ExecStarted(int stream, int execId, long pid) implements AgentMessage {}

    /** STDOUT or STDERR: {@code offset} of the first byte of {@code data} in the execution's stream. */
    record Output(int stream, boolean stderr, long offset, byte[] data) implements AgentMessage {
        @Override
        public boolean equals(Object o) {
            return o instanceof Output p && p.stream == stream && p.stderr == stderr && p.offset == offset
                    && Arrays.equals(p.data, data);
        }

        @Override
        public int hashCode() {
            return 31 * (31 * stream + Long.hashCode(offset)) + Arrays.hashCode(data) + (stderr ? 1 : 0);
        }

        @Override
        public String toString() {
            return "Output[stream " + stream + (stderr ? ", stderr" : ", stdout") + " @" + offset + ", "
                    + data.length + " bytes]";
        }
    }

    /** EXIT: totals are -1 when the agent sent none. */
    record Exit(int stream, Integer exitCode, Integer signal, boolean timedOut, long stdoutTotal, long stderrTotal)
            implements AgentMessage {}

    /** CREDIT from the agent: more stdin bytes the host may send (unsigned 32 bits). */
    record Credit(int stream, long bytes) implements AgentMessage {}

    /** RESYNC_ACK: {@code errno} 0 means success. */
    record ResyncAck(int stream, int errno) implements AgentMessage {}

    /** NET_CONFIG_ACK: {@code errno} 0 means success. */
    record NetConfigAck(int stream, int errno) implements AgentMessage {}

    /** EXEC_LIST_ACK: the executions the agent holds. */
    record ExecList(int stream, List<ExecutionInfo> executions) implements AgentMessage {}

    record SignalAck(int stream) implements AgentMessage {}

    /** FILE_INFO: the path is filled in by whoever asked. */
    record FileInfo(int stream, GuestFile file) implements AgentMessage {}

    /** FILE_LIST_ACK: one batch of entries (names only in {@link GuestFile#path()}); {@code more} = batches follow. */
    record FileList(int stream, List<GuestFile> entries, boolean more) implements AgentMessage {}

    /** FILE_DATA of a download. */
    record FileData(int stream, byte[] data) implements AgentMessage {
        @Override
        public boolean equals(Object o) {
            return o instanceof FileData d && d.stream == stream && Arrays.equals(d.data, data);
        }

        @Override
        public int hashCode() {
            return 31 * stream + Arrays.hashCode(data);
        }

        @Override
        public String toString() {
            return "FileData[stream " + stream + ", " + data.length + " bytes]";
        }
    }

    /** FILE_END of a download: {@code size} bytes were sent in all (-1 when the agent did not say). */
    record FileEnd(int stream, long size) implements AgentMessage {}

    record FileAck(int stream) implements AgentMessage {}

    /** A type the host does not handle (unknown, or one only the host sends): dropped. */
    record Unknown(int stream, int type) implements AgentMessage {}
}
