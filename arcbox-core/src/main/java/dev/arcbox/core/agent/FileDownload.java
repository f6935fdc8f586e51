package dev.arcbox.core.agent;

import dev.arcbox.core.ArcboxException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.util.ArrayDeque;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A file being read from the guest (FILE_READ, docs/agent-protocol.md §4a) as an {@link InputStream}. The agent
 * sends at most the credit the host granted (the window, then CREDIT as the caller reads), so what this holds is
 * bounded by the window and a caller that stops reading stalls only this download. The stream ends at the agent's
 * FILE_END; a FILE_END whose size differs from what arrived, an ERROR or a lost connection make reads throw.
 * {@link #close} before the end cancels the download in the guest.
 *
 * <p>One reader thread at a time; the agent reader thread calls the package-private {@code on…} methods.
 */
public final class FileDownload extends InputStream implements FileTransfer {

    static final int WINDOW = 1 << 20;

    private final Outbox outbox;
    private final int stream;
    private final String label;
    private final Runnable unregister;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final CompletableFuture<GuestFile> info = new CompletableFuture<>();
    private final ArrayDeque<byte[]> chunks = new ArrayDeque<>();
    private final CreditWindow credit = new CreditWindow(WINDOW);
    private final String path;
    private int headPosition;
    private long buffered;
    private long received;
    private boolean ended;
    private boolean closed;
    private IOException failure;

    FileDownload(Outbox outbox, int stream, String path, Runnable unregister) {
        this.outbox = outbox;
        this.stream = stream;
        this.path = path;
        this.label = "reading " + GuestError.sanitize(path);
        this.unregister = unregister;
    }

    /** The file as the agent saw it when it opened it. */
    public GuestFile file() {
        return info.join();
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        Objects.checkFromIndexSize(off, len, b.length);
        if (len == 0) {
            return 0;
        }
        int copied = 0;
        long grant;
        lock.lock();
        try {
            while (buffered == 0) {
                if (failure != null) {
                    throw new IOException(failure.getMessage(), failure.getCause());
                }
                if (ended || closed) {
                    return -1;
                }
                changed.await();
            }
            while (copied < len && !chunks.isEmpty()) {
                byte[] head = chunks.peek();
                int n = Math.min(len - copied, head.length - headPosition);
                System.arraycopy(head, headPosition, b, off + copied, n);
                copied += n;
                headPosition += n;
                if (headPosition == head.length) {
                    chunks.remove();
                    headPosition = 0;
                }
            }
            buffered -= copied;
            grant = ended ? 0 : credit.consumed(copied);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException(label + ": interrupted");
        } finally {
            lock.unlock();
        }
        if (grant > 0) {
            outbox.sendReliably(stream, new HostMessage.Credit(grant), label + ": credit");
        }
        return copied;
    }

    @Override
    public int available() {
        lock.lock();
        try {
            return (int) Math.min(Integer.MAX_VALUE, buffered);
        } finally {
            lock.unlock();
        }
    }

    /** Bytes received so far. */
    public long received() {
        lock.lock();
        try {
            return received;
        } finally {
            lock.unlock();
        }
    }

    /** Cancels the download in the guest unless it ended; idempotent. */
    @Override
    public void close() {
        boolean cancel;
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            cancel = !ended && failure == null;
            chunks.clear();
            buffered = 0;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        if (cancel) {
            unregister.run();
            outbox.sendDetached(stream, new HostMessage.FileEnd(true), label + ": cancel");
        }
    }

    @Override
    public String label() {
        return label;
    }

    CompletableFuture<GuestFile> opened() {
        return info;
    }

    void onInfo(GuestFile file) {
        info.complete(new GuestFile(path, file.name(), file.type(), file.size(), file.mode(), file.uid(), file.gid(),
                file.modifiedAt(), file.symlinkTarget()));
    }

    /** @throws ArcboxException.ProtocolViolation when the agent sends beyond its credit or before FILE_INFO */
    void onData(byte[] data) {
        lock.lock();
        try {
            if (!info.isDone()) {
                throw new ArcboxException.ProtocolViolation(label + ": FILE_DATA before FILE_INFO");
            }
            credit.spend(data.length, label);
            received += data.length;
            if (closed) {
                return;
            }
            chunks.add(data);
            buffered += data.length;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    void onEnd(long size) {
        lock.lock();
        try {
            if (size >= 0 && size != received) {
                failure = new IOException(label + ": the guest reports " + size + " bytes sent, " + received + " arrived");
            }
            ended = true;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void onFailure(ArcboxException cause) {
        lock.lock();
        try {
            if (!ended && failure == null) {
                failure = new IOException(cause.getMessage(), cause);
            }
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        info.completeExceptionally(cause);
    }
}
