package dev.arcbox.core.agent;

import dev.arcbox.core.ArcboxException;
import java.time.Duration;
import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A file being written in the guest (FILE_WRITE, docs/agent-protocol.md §4a). {@link #write} sends FILE_DATA frames
 * only within the credit the agent grants as it writes to disk (1 MiB at a time), so neither side ever holds more
 * than one window of the file; a slow guest disk slows the writer. {@link #finish} commits (the file appears at its
 * path), {@link #abort} or {@link #close} before finishing discards it (the guest removes its temporary file).
 *
 * <p>One writer thread at a time; the reader thread calls the package-private {@code on…} methods.
 */
public final class FileUpload implements FileTransfer, AutoCloseable {

    static final int MAX_CHUNK = 64 * 1024;
    /** No credit for this long while the guest should be writing: the guest is stuck. */
    private static final Duration NO_PROGRESS = Duration.ofSeconds(60);

    private final Outbox outbox;
    private final int stream;
    private final String label;
    private final Runnable unregister;
    private final String path;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final CompletableFuture<Void> opened = new CompletableFuture<>();
    private final CompletableFuture<GuestFile> done = new CompletableFuture<>();
    private long credit;
    private long written;
    private ArcboxException failure;
    private boolean ended;

    FileUpload(Outbox outbox, int stream, String path, Runnable unregister) {
        this.outbox = outbox;
        this.stream = stream;
        this.path = path;
        this.label = "writing " + GuestError.sanitize(path);
        this.unregister = unregister;
    }

    /**
     * Sends the bytes, waiting for credit as needed.
     *
     * @throws ArcboxException.Unavailable when the connection ended
     * @throws ArcboxException.DeadlineExceeded when the guest grants no credit for a minute
     * @throws ArcboxException (mapped from the guest's errno, e.g. ResourceExhausted for ENOSPC) when writing failed
     */
    public void write(byte[] b, int off, int len) {
        Objects.checkFromIndexSize(off, len, b.length);
        int pos = off;
        int end = off + len;
        while (pos < end) {
            int n = takeCredit(Math.min(MAX_CHUNK, end - pos));
            outbox.send(stream, new HostMessage.FileData(Arrays.copyOfRange(b, pos, pos + n)),
                    Deadline.after(outbox.writeBound()), label);
            pos += n;
        }
    }

    /** Bytes handed to {@link #write} so far. */
    public long written() {
        lock.lock();
        try {
            return written;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Commits the file: the guest renames it into place (or, appending, closes it) and answers with its info.
     *
     * @throws ArcboxException.AlreadyExists for an exclusive write whose path appeared meanwhile, and the other
     *         errno mappings
     */
    public GuestFile finish(Duration deadline) {
        Deadline d = Deadline.after(deadline);
        lock.lock();
        try {
            if (failure != null) {
                throw failure;
            }
            if (ended) {
                throw new ArcboxException.FailedPrecondition(label + ": already finished or aborted");
            }
            ended = true;
        } finally {
            lock.unlock();
        }
        outbox.send(stream, new HostMessage.FileEnd(false), d, label + ": commit");
        return AgentClient.await(done, d, label + " (no FILE_INFO after the last byte)");
    }

    /** Discards the upload: the guest removes the temporary file. Idempotent; does nothing after {@link #finish}. */
    public void abort() {
        lock.lock();
        try {
            if (ended) {
                return;
            }
            ended = true;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        unregister.run();
        if (failure == null) {
            outbox.sendDetached(stream, new HostMessage.FileEnd(true), label + ": abort");
        }
        done.completeExceptionally(new ArcboxException.FailedPrecondition(label + ": aborted"));
    }

    /** Aborts unless finished. */
    @Override
    public void close() {
        abort();
    }

    @Override
    public String label() {
        return label;
    }

    CompletableFuture<Void> opened() {
        return opened;
    }

    /** CREDIT: the first one says the guest opened the file. */
    void onCredit(long bytes) {
        lock.lock();
        try {
            credit = Math.min(Long.MAX_VALUE / 2, credit + bytes);
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        opened.complete(null);
    }

    void onInfo(GuestFile file) {
        done.complete(new GuestFile(path, file.name(), file.type(), file.size(), file.mode(), file.uid(), file.gid(),
                file.modifiedAt(), file.symlinkTarget()));
    }

    @Override
    public void onFailure(ArcboxException cause) {
        lock.lock();
        try {
            if (failure == null) {
                failure = cause;
            }
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        opened.completeExceptionally(cause);
        done.completeExceptionally(cause);
    }

    private int takeCredit(int wanted) {
        lock.lock();
        try {
            long deadline = System.nanoTime() + NO_PROGRESS.toNanos();
            while (credit == 0 && failure == null && !ended) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new ArcboxException.DeadlineExceeded(label + ": the guest took no data for " + NO_PROGRESS.toSeconds() + " s");
                }
                changed.await(left, TimeUnit.NANOSECONDS);
            }
            if (failure != null) {
                throw failure;
            }
            if (ended) {
                throw new ArcboxException.FailedPrecondition(label + ": already finished or aborted");
            }
            int n = (int) Math.min(wanted, credit);
            credit -= n;
            written += n;
            return n;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ArcboxException.Unavailable(label + ": interrupted", e);
        } finally {
            lock.unlock();
        }
    }
}
