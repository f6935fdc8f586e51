package dev.arcbox.client;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * One output stream of an execution as an {@link InputStream}: chunks go in from the call's
 * callback thread, which blocks while {@code capacity} bytes are unread (that stalls the call, so
 * the guest stops reading the process's output: flow control), and come out to the reader.
 */
final class ChunkPipe extends InputStream {

    private final long capacity;
    private final Deque<byte[]> chunks = new ArrayDeque<>();
    private long buffered;
    private int position;
    private boolean finished;
    private Throwable failure;
    private boolean closed;

    ChunkPipe(long capacity) {
        this.capacity = capacity;
    }

    /** Adds a chunk, waiting while the pipe is full; dropped once the reader closed it. */
    synchronized void put(byte[] data) throws InterruptedException {
        while (buffered >= capacity && !closed) {
            wait();
        }
        if (closed || data.length == 0) {
            return;
        }
        chunks.addLast(data);
        buffered += data.length;
        notifyAll();
    }

    /** End of stream after what is buffered; with a failure, reads throw it after the buffer. */
    synchronized void finish(Throwable cause) {
        finished = true;
        failure = cause;
        notifyAll();
    }

    @Override
    public synchronized int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public synchronized int read(byte[] b, int off, int len) throws IOException {
        java.util.Objects.checkFromIndexSize(off, len, b.length);
        if (len == 0) {
            return 0;
        }
        try {
            while (chunks.isEmpty() && !finished && !closed) {
                wait();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("reading the execution's output");
        }
        if (closed) {
            throw new IOException("stream closed");
        }
        if (chunks.isEmpty()) {
            if (failure != null) {
                throw new IOException(failure.getMessage(), failure);
            }
            return -1;
        }
        byte[] head = chunks.peekFirst();
        int n = Math.min(len, head.length - position);
        System.arraycopy(head, position, b, off, n);
        position += n;
        if (position == head.length) {
            chunks.removeFirst();
            position = 0;
        }
        buffered -= n;
        notifyAll();
        return n;
    }

    @Override
    public synchronized int available() {
        return chunks.isEmpty() ? 0 : chunks.peekFirst().length - position;
    }

    /** Stops reading: what the process writes after this is dropped (it is never held back). */
    @Override
    public synchronized void close() {
        closed = true;
        chunks.clear();
        buffered = 0;
        notifyAll();
    }
}
