package dev.arcbox.core.agent;

import java.io.IOException;
import java.util.ArrayDeque;

/**
 * What the host received of one output stream (stdout or stderr) of an execution and the consumer has not
 * taken yet. Tracks the stream offset, so re-sent bytes (an ATTACH overlapping what arrived before) are
 * skipped and missing ones (older than the guest's buffer) are counted as lost. Memory is bounded by the
 * execution's credit window, which {@link Execution} enforces. Not thread-safe: guarded by the execution.
 */
final class OutputBuffer {

    private final ArrayDeque<byte[]> chunks = new ArrayDeque<>();
    private int headPosition;
    private long buffered;
    private long received;
    private long lost;
    private boolean ended;
    private IOException failure;

    /** @param startOffset the offset of the first byte expected (0, or an ATTACH offset) */
    OutputBuffer(long startOffset) {
        this.received = startOffset;
    }

    /**
     * Takes a frame's bytes starting at {@code offset}.
     *
     * @return how many leading bytes were duplicates of what had arrived already and were dropped
     */
    long accept(long offset, byte[] data) {
        if (offset > received) {
            lost += offset - received;
            received = offset;
        }
        long duplicate = Math.min(received - offset, data.length);
        int fresh = data.length - (int) duplicate;
        if (fresh > 0) {
            chunks.add(duplicate == 0 ? data : java.util.Arrays.copyOfRange(data, (int) duplicate, data.length));
            buffered += fresh;
            received += fresh;
        }
        return duplicate;
    }

    /** Copies up to {@code length} buffered bytes; returns how many (0 when empty). */
    int take(byte[] target, int offset, int length) {
        int copied = 0;
        while (copied < length && !chunks.isEmpty()) {
            byte[] head = chunks.peek();
            int n = Math.min(length - copied, head.length - headPosition);
            System.arraycopy(head, headPosition, target, offset + copied, n);
            copied += n;
            headPosition += n;
            if (headPosition == head.length) {
                chunks.remove();
                headPosition = 0;
            }
        }
        buffered -= copied;
        return copied;
    }

    /** EXIT arrived: no more bytes come; the total the guest reports beyond what arrived counts as lost. */
    void end(long total) {
        if (total > received) {
            lost += total - received;
            received = total;
        }
        ended = true;
    }

    /** The connection or the stream failed: once the buffered bytes are taken, reads throw this. */
    void fail(IOException cause) {
        if (!ended && failure == null) {
            failure = cause;
        }
    }

    boolean isEmpty() {
        return buffered == 0;
    }

    /** Ended or failed: nothing more will arrive. */
    boolean finished() {
        return ended || failure != null;
    }

    boolean ended() {
        return ended;
    }

    IOException failure() {
        return failure;
    }

    long buffered() {
        return buffered;
    }

    long received() {
        return received;
    }

    long lost() {
        return lost;
    }
}
