package dev.arcbox.core.agent;

import java.io.IOException;
import java.io.OutputStream;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;

/**
 * An execution's stdin: STDIN frames within the credit the agent grants (65,536 bytes at start, then its
 * CREDIT frames), STDIN_EOF on close. Writes block while there is no credit, and fail once the execution has
 * ended or the connection is gone. One writer at a time, so concurrent writes do not interleave.
 */
final class StdinStream extends OutputStream {

    private static final int MAX_CHUNK = 32 * 1024;

    private final Execution execution;
    private final boolean enabled;
    private final ReentrantLock writing = new ReentrantLock();
    private boolean closed;

    StdinStream(Execution execution, boolean enabled) {
        this.execution = execution;
        this.enabled = enabled;
    }

    @Override
    public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        Objects.checkFromIndexSize(off, len, b.length);
        writing.lock();
        try {
            checkWritable();
            int pos = off;
            int end = off + len;
            while (pos < end) {
                int n = execution.takeStdinCredit(Math.min(MAX_CHUNK, end - pos));
                byte[] chunk = new byte[n];
                System.arraycopy(b, pos, chunk, 0, n);
                execution.sendStdin(new HostMessage.Stdin(chunk));
                pos += n;
            }
        } finally {
            writing.unlock();
        }
    }

    /** Sends STDIN_EOF once, unless the execution has already ended. */
    @Override
    public void close() throws IOException {
        writing.lock();
        try {
            if (closed || !enabled) {
                closed = true;
                return;
            }
            closed = true;
            if (!execution.isEnded()) {
                execution.sendStdin(new HostMessage.StdinEof());
            }
        } finally {
            writing.unlock();
        }
    }

    private void checkWritable() throws IOException {
        if (!enabled) {
            throw new IOException(execution.label() + ": stdin was not requested (ExecRequest.stdin is false)");
        }
        if (closed) {
            throw new IOException(execution.label() + ": stdin is closed");
        }
    }
}
