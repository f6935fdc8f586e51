package dev.arcbox.core.agent;

import dev.arcbox.core.ArcboxException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * One frame of agent protocol version 1 (docs/agent-protocol.md §1):
 * {@code u32 length | u8 type | u32 stream | payload}, big-endian, payload at most 1 MiB.
 * {@code stream} is an unsigned 32-bit value kept in an int.
 */
record Frame(int type, int stream, byte[] payload) {

    static final int HEADER_BYTES = 9;
    static final int MAX_PAYLOAD = 1 << 20;
    /** Written by the host before every HELLO. */
    static final byte[] HELLO_MARKER = "ABXHELO1".getBytes(StandardCharsets.US_ASCII);
    /** Written by the agent, followed by the 8 nonce bytes, when it starts a session. */
    static final byte[] SYNC_MARKER = "ABXSYNC1".getBytes(StandardCharsets.US_ASCII);

    Frame {
        if (type < 0 || type > 0xFF) {
            throw new ArcboxException.InvalidArgument("frame type: must fit in a byte, got " + type);
        }
        if (payload == null || payload.length > MAX_PAYLOAD) {
            throw new ArcboxException.InvalidArgument("frame payload: must be at most " + MAX_PAYLOAD + " bytes, got "
                    + (payload == null ? "null" : payload.length));
        }
    }

    /** The frame as it goes on the wire. */
    byte[] encode() {
        return ByteBuffer.allocate(HEADER_BYTES + payload.length)
                .putInt(payload.length)
                .put((byte) type)
                .putInt(stream)
                .put(payload)
                .array();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Frame f && f.type == type && f.stream == stream && Arrays.equals(f.payload, payload);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * type + stream) + Arrays.hashCode(payload);
    }

    @Override
    public String toString() {
        String head = HexFormat.of().formatHex(payload, 0, Math.min(payload.length, 32));
        return "Frame[" + FrameType.name(type) + ", stream " + Integer.toUnsignedString(stream) + ", " + payload.length
                + " bytes: " + head + (payload.length > 32 ? "…" : "") + "]";
    }
}
