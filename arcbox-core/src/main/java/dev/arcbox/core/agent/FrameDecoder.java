package dev.arcbox.core.agent;

import dev.arcbox.core.ArcboxException;
import java.util.function.Consumer;

/**
 * Host-side byte-stream decoder (docs/agent-protocol.md §1–2). Pure: it sees bytes, never a channel.
 *
 * <p>It discards everything until {@code "ABXSYNC1"} followed by this session's nonce, wherever reads split
 * it, then cuts frames. At a frame boundary a 0x00 byte starts a header and {@code 'A'} a sync marker: the
 * same nonce is skipped, a foreign nonce or any other byte is a violation, as is a length over 1 MiB (checked
 * before the payload is allocated). After a violation the decoder refuses further input. Not thread-safe.
 */
final class FrameDecoder {

    private enum State { HUNTING, BOUNDARY, HEADER, PAYLOAD, MARKER, FAILED }

    private final byte[] pattern;
    private final int maxPayload;
    private final byte[] window;
    private final byte[] header = new byte[Frame.HEADER_BYTES];
    private State state = State.HUNTING;
    private int windowLength;
    private int headerLength;
    private int markerLength;
    private byte[] payload;
    private int payloadLength;
    private long unitsStarted;

    FrameDecoder(long nonce) {
        this(nonce, Frame.MAX_PAYLOAD);
    }

    FrameDecoder(long nonce, int maxPayload) {
        this.pattern = syncMarker(nonce);
        this.maxPayload = maxPayload;
        this.window = new byte[pattern.length];
    }

    /** {@code "ABXSYNC1"} followed by the nonce, big-endian. */
    static byte[] syncMarker(long nonce) {
        byte[] marker = new byte[16];
        System.arraycopy(Frame.SYNC_MARKER, 0, marker, 0, 8);
        for (int i = 0; i < 8; i++) {
            marker[8 + i] = (byte) (nonce >>> (56 - 8 * i));
        }
        return marker;
    }

    /**
     * Consumes {@code length} bytes, handing each completed frame to {@code sink} in order. An exception
     * thrown by the sink propagates; the decoder is then at the boundary after that frame.
     *
     * @throws ArcboxException.ProtocolViolation when the stream breaks the framing rules
     */
    void feed(byte[] bytes, int offset, int length, Consumer<Frame> sink) {
        int pos = offset;
        int end = offset + length;
        while (pos < end) {
            switch (state) {
                case HUNTING -> hunt(bytes[pos++]);
                case BOUNDARY -> boundary(bytes[pos++]);
                case MARKER -> marker(bytes[pos++]);
                case HEADER -> {
                    int n = Math.min(end - pos, Frame.HEADER_BYTES - headerLength);
                    System.arraycopy(bytes, pos, header, headerLength, n);
                    headerLength += n;
                    pos += n;
                    if (headerLength == Frame.HEADER_BYTES) {
                        headerDone(sink);
                    }
                }
                case PAYLOAD -> {
                    int n = Math.min(end - pos, payload.length - payloadLength);
                    System.arraycopy(bytes, pos, payload, payloadLength, n);
                    payloadLength += n;
                    pos += n;
                    if (payloadLength == payload.length) {
                        emit(sink);
                    }
                }
                case FAILED -> throw new ArcboxException.ProtocolViolation("agent stream: decoder already failed");
            }
        }
    }

    /** True once the session's sync marker was seen. */
    boolean synced() {
        return state != State.HUNTING;
    }

    /** True while part of a frame or of a sync marker has arrived but not all of it. */
    boolean midFrame() {
        return state == State.HEADER || state == State.PAYLOAD || state == State.MARKER;
    }

    /** How many frames and markers have started after sync: with {@link #midFrame()}, names the partial unit. */
    long unitsStarted() {
        return unitsStarted;
    }

    private void hunt(byte b) {
        window[windowLength++] = b;
        while (windowLength > 0 && !isPatternPrefix(windowLength)) {
            System.arraycopy(window, 1, window, 0, windowLength - 1);
            windowLength--;
        }
        if (windowLength == pattern.length) {
            windowLength = 0;
            state = State.BOUNDARY;
        }
    }

    private boolean isPatternPrefix(int length) {
        for (int i = 0; i < length; i++) {
            if (window[i] != pattern[i]) {
                return false;
            }
        }
        return true;
    }

    private void boundary(byte b) {
        unitsStarted++;
        if (b == 0) {
            header[0] = 0;
            headerLength = 1;
            state = State.HEADER;
        } else if (b == pattern[0]) {
            markerLength = 1;
            state = State.MARKER;
        } else {
            throw fail(String.format("unexpected byte 0x%02x at a frame boundary", b & 0xFF));
        }
    }

    private void marker(byte b) {
        if (b != pattern[markerLength]) {
            throw fail(markerLength < Frame.SYNC_MARKER.length
                    ? String.format("unexpected byte 0x%02x in a sync marker", b & 0xFF)
                    : "sync marker with a foreign nonce");
        }
        if (++markerLength == pattern.length) {
            state = State.BOUNDARY;
        }
    }

    private void headerDone(Consumer<Frame> sink) {
        long length = Integer.toUnsignedLong(readInt(0));
        if (length > maxPayload) {
            throw fail("frame length " + length + " exceeds the limit of " + maxPayload);
        }
        payload = new byte[(int) length];
        payloadLength = 0;
        if (length == 0) {
            emit(sink);
        } else {
            state = State.PAYLOAD;
        }
    }

    private void emit(Consumer<Frame> sink) {
        Frame frame = new Frame(header[4] & 0xFF, readInt(5), payload);
        payload = null;
        headerLength = 0;
        state = State.BOUNDARY;
        sink.accept(frame);
    }

    private int readInt(int at) {
        return (header[at] & 0xFF) << 24 | (header[at + 1] & 0xFF) << 16 | (header[at + 2] & 0xFF) << 8
                | header[at + 3] & 0xFF;
    }

    private ArcboxException.ProtocolViolation fail(String reason) {
        state = State.FAILED;
        payload = null;
        return new ArcboxException.ProtocolViolation("agent stream: " + reason);
    }
}
