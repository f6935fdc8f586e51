package dev.arcbox.core.agent;

import dev.arcbox.core.ArcboxException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;

/**
 * A process running in the guest, seen through one stream of an {@link AgentClient} (EXEC_START or ATTACH,
 * docs/agent-protocol.md §4).
 *
 * <p>Output arrives into memory bounded by the request's window: the agent may only send what the host
 * granted, and the host returns credit as the caller consumes bytes from {@link #stdout()} or
 * {@link #stderr()} (in batches of half the window). A caller that never reads stalls only this execution.
 * When the connection ends, the streams deliver what already arrived and then throw an {@link IOException};
 * {@link #exit()} fails with {@link ArcboxException.Unavailable}; the process keeps running in the guest and
 * can be re-attached from {@link #stdoutReceived()} and {@link #stderrReceived()}.
 *
 * <p>Thread-safe. The reader thread calls the package-private {@code on…} methods and never blocks in them.
 */
public final class Execution {

    static final int INITIAL_STDIN_CREDIT = 65_536;
    private static final int MAX_SIGNAL = 64;
    private static final int SIGKILL = 9;

    private final Outbox outbox;
    private final int stream;
    private final boolean attached;
    private final String label;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final OutputBuffer out;
    private final OutputBuffer err;
    private final CompletableFuture<Void> startup = new CompletableFuture<>();
    private final CompletableFuture<ExitStatus> exit = new CompletableFuture<>();
    private final InputStream stdoutStream;
    private final InputStream stderrStream;
    private final OutputStream stdinStream;
    private volatile int id;
    private volatile long pid = -1;
    private boolean started;
    private boolean abandoned;
    private boolean ended;
    private final CreditWindow credit;
    private long stdinCredit;

    private Execution(Outbox outbox, int stream, int id, int window, boolean attached, boolean stdin, String label,
                      long stdoutOffset, long stderrOffset, long stdinCredit) {
        this.outbox = outbox;
        this.stream = stream;
        this.id = id;
        this.attached = attached;
        this.label = label;
        this.out = new OutputBuffer(stdoutOffset);
        this.err = new OutputBuffer(stderrOffset);
        this.credit = new CreditWindow(window);
        this.stdinCredit = stdinCredit;
        this.stdoutStream = new OutputPipe(this, out);
        this.stderrStream = new OutputPipe(this, err);
        this.stdinStream = new StdinStream(this, stdin);
    }

    static Execution forExec(Outbox outbox, int stream, ExecRequest request) {
        return new Execution(outbox, stream, 0, request.window(), false, request.stdin(),
                "exec " + GuestError.sanitize(request.argv().getFirst()), 0, 0, INITIAL_STDIN_CREDIT);
    }

    /** Stdin credit starts at 0 after ATTACH: the host may write once the agent grants some. */
    static Execution forAttach(Outbox outbox, int stream, int execId, long stdoutOffset, long stderrOffset, int window) {
        return new Execution(outbox, stream, execId, window, true, true,
                "execution " + Integer.toUnsignedString(execId), stdoutOffset, stderrOffset, 0);
    }

    /** The agent's execution id (unsigned 32 bits), for {@link AgentClient#attach} and {@link AgentClient#release}. */
    public int id() {
        return id;
    }

    /** The process id in the guest, or -1 when the agent has not said. */
    public long pid() {
        return pid;
    }

    public InputStream stdout() {
        return stdoutStream;
    }

    public InputStream stderr() {
        return stderrStream;
    }

    /**
     * The process's stdin: writes block while the agent grants no credit; {@code close()} sends STDIN_EOF.
     * Without {@link ExecRequest#stdin()} writes fail (the process reads /dev/null) and close does nothing.
     */
    public OutputStream stdin() {
        return stdinStream;
    }

    /** Completes when EXIT arrived (every output byte has been received by then). */
    public CompletableFuture<ExitStatus> exit() {
        return exit.copy();
    }

    /** Sends a signal to the process group; does nothing once the execution has ended. */
    public void signal(int signo) {
        if (signo < 1 || signo > MAX_SIGNAL) {
            throw new ArcboxException.InvalidArgument("signal: must be 1.." + MAX_SIGNAL + ", got " + signo);
        }
        if (!isEnded()) {
            outbox.send(stream, new HostMessage.Signal(signo), Deadline.after(outbox.writeBound()), label + ": signal");
        }
    }

    /** Changes a tty execution's window size (the process gets SIGWINCH); does nothing once it has ended. */
    public void resize(int rows, int cols) {
        if (rows < 1 || rows > 65_535 || cols < 1 || cols > 65_535) {
            throw new ArcboxException.InvalidArgument("resize: rows and cols must be 1..65535, got " + rows + "x" + cols);
        }
        if (!isEnded()) {
            outbox.send(stream, new HostMessage.Resize(rows, cols), Deadline.after(outbox.writeBound()), label + ": resize");
        }
    }

    /**
     * Stops following the execution: the agent keeps it running and buffering (its unacknowledged output counts
     * as unsent again), so {@link AgentClient#attach} with {@link #stdoutReceived()} and {@link #stderrReceived()}
     * continues without loss within the agent's buffer. Reads then end with an {@link IOException}. Idempotent.
     */
    public void detach() {
        if (isEnded()) {
            return;
        }
        outbox.forget(stream);
        onFailure(new ArcboxException.Unavailable(label + ": detached", null), label + ": detached");
        outbox.sendDetached(stream, new HostMessage.Detach(), label + ": detach");
    }

    /** The stdout offset received so far, lost bytes included: where a re-attach continues. */
    public long stdoutReceived() {
        return locked(out::received);
    }

    public long stderrReceived() {
        return locked(err::received);
    }

    /** Stdout bytes the guest had dropped from its buffer before the host asked for them. */
    public long stdoutLost() {
        return locked(out::lost);
    }

    public long stderrLost() {
        return locked(err::lost);
    }

    /** Bytes the guest had dropped from its buffer before the host asked for them (both streams). */
    public long lostBytes() {
        return locked(() -> out.lost() + err.lost());
    }

    /**
     * Reads both streams to the end, keeping at most {@code maxBytes} of each (the rest is consumed and
     * dropped), and waits for the exit.
     *
     * @throws ArcboxException.DeadlineExceeded when the deadline passes first
     * @throws ArcboxException.Unavailable when the connection ends first
     */
    public ExecResult collect(Duration deadline, int maxBytes) {
        if (maxBytes < 0) {
            throw new ArcboxException.InvalidArgument("maxBytes: must be >= 0, got " + maxBytes);
        }
        Deadline d = Deadline.after(deadline);
        String operation = "collecting output of " + label;
        ByteArrayOutputStream stdoutBytes = new ByteArrayOutputStream();
        ByteArrayOutputStream stderrBytes = new ByteArrayOutputStream();
        byte[] chunk = new byte[32 * 1024];
        while (true) {
            long grant;
            lock.lock();
            try {
                while (out.isEmpty() && err.isEmpty() && !(out.finished() && err.finished())) {
                    awaitChange(d, operation);
                }
                if (out.isEmpty() && err.isEmpty()) {
                    break;
                }
                OutputBuffer from = out.isEmpty() ? err : out;
                int n = from.take(chunk, 0, chunk.length);
                ByteArrayOutputStream to = from == out ? stdoutBytes : stderrBytes;
                to.write(chunk, 0, Math.min(n, Math.max(0, maxBytes - to.size())));
                grant = consumed(n);
            } finally {
                lock.unlock();
            }
            returnCredit(grant);
        }
        return new ExecResult(AgentClient.await(exit, d, operation), stdoutBytes.toByteArray(), stderrBytes.toByteArray());
    }

    // ---- reader-thread side -------------------------------------------------------------------

    int stream() {
        return stream;
    }

    boolean attached() {
        return attached;
    }

    String label() {
        return label;
    }

    CompletableFuture<Void> startup() {
        return startup;
    }

    /** EXEC_STARTED. Returns false when the caller gave up waiting: the route goes (and an exec is killed). */
    boolean onStarted(int execId, long guestPid) {
        lock.lock();
        try {
            if (abandoned) {
                return false;
            }
            id = execId;
            pid = guestPid;
            started = true;
        } finally {
            lock.unlock();
        }
        startup.complete(null);
        return true;
    }

    /**
     * STDOUT or STDERR. Returns false when the caller gave up waiting for the attach.
     *
     * @throws ArcboxException.ProtocolViolation when the agent exceeds its credit or sends output before
     *         EXEC_STARTED; the connection must close
     */
    boolean onOutput(AgentMessage.Output output) {
        long grant;
        lock.lock();
        try {
            if (!implicitStart(output)) {
                return false;
            }
            credit.spend(output.data().length, label);
            if (ended) {
                return true;
            }
            OutputBuffer buffer = output.stderr() ? err : out;
            long duplicate = buffer.accept(output.offset(), output.data());
            grant = consumed(duplicate);
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        startup.complete(null);
        if (grant > 0) {
            outbox.sendDetached(stream, new HostMessage.Credit(grant), label + ": credit");
        }
        return true;
    }

    /** EXIT: the last frame of the stream. */
    void onExit(AgentMessage.Exit x) {
        ExitStatus status;
        lock.lock();
        try {
            if (!implicitStart(x) || ended) {
                return;
            }
            out.end(x.stdoutTotal());
            err.end(x.stderrTotal());
            ended = true;
            changed.signalAll();
            status = new ExitStatus(x.exitCode(), x.signal(), x.timedOut(),
                    x.stdoutTotal() >= 0 ? x.stdoutTotal() : out.received(),
                    x.stderrTotal() >= 0 ? x.stderrTotal() : err.received());
        } finally {
            lock.unlock();
        }
        startup.complete(null);
        exit.complete(status);
    }

    /** CREDIT from the agent: more stdin it accepts. Harmless before EXEC_STARTED, so not a violation. */
    void onCredit(AgentMessage.Credit c) {
        boolean confirmsAttach;
        lock.lock();
        try {
            if (abandoned) {
                return;
            }
            confirmsAttach = attached && !started;
            started |= attached;
            stdinCredit = Math.min(Long.MAX_VALUE / 2, stdinCredit + c.bytes());
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        if (confirmsAttach) {
            startup.complete(null);
        }
    }

    /** ERROR on the stream, or the connection ended: received bytes stay readable, then reads throw. */
    void onFailure(ArcboxException cause, String readerMessage) {
        lock.lock();
        try {
            if (ended) {
                return;
            }
            ended = true;
            out.fail(new IOException(readerMessage, cause));
            err.fail(new IOException(readerMessage, cause));
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        startup.completeExceptionally(cause);
        exit.completeExceptionally(cause);
    }

    /** The caller stopped waiting for the start: true when it had not started, and never will for the caller. */
    boolean abandon() {
        lock.lock();
        try {
            if (started) {
                return false;
            }
            abandoned = true;
            ended = true;
            changed.signalAll();
            return true;
        } finally {
            lock.unlock();
        }
    }

    void killAfterLateStart() {
        outbox.sendDetached(stream, new HostMessage.Signal(SIGKILL), label + ": kill after a late start");
    }

    // ---- consumer side ---------------------------------------------------------------------------

    /** Blocks until bytes, the end (-1) or a failure; no deadline, as {@link InputStream#read} has none. */
    int read(OutputBuffer buffer, byte[] target, int offset, int length) throws IOException {
        if (length == 0) {
            return 0;
        }
        int n;
        long grant;
        lock.lock();
        try {
            while (buffer.isEmpty()) {
                if (buffer.ended() || abandoned) {
                    return -1;
                }
                if (buffer.failure() != null) {
                    throw new IOException(buffer.failure().getMessage(), buffer.failure().getCause());
                }
                try {
                    changed.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new InterruptedIOException(label + ": interrupted while reading output");
                }
            }
            n = buffer.take(target, offset, length);
            grant = consumed(n);
        } finally {
            lock.unlock();
        }
        returnCredit(grant);
        return n;
    }

    /** Waits for stdin credit and takes up to {@code wanted} of it. */
    int takeStdinCredit(int wanted) throws IOException {
        lock.lock();
        try {
            while (stdinCredit == 0 && !ended) {
                try {
                    changed.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new InterruptedIOException(label + ": interrupted while waiting for stdin credit");
                }
            }
            if (ended) {
                IOException failure = out.failure();
                throw failure != null ? new IOException(failure.getMessage(), failure.getCause())
                        : new IOException(label + ": the process has exited, stdin is closed");
            }
            int n = (int) Math.min(wanted, stdinCredit);
            stdinCredit -= n;
            return n;
        } finally {
            lock.unlock();
        }
    }

    void sendStdin(HostMessage message) throws IOException {
        try {
            outbox.send(stream, message, Deadline.after(outbox.writeBound()), label + ": stdin");
        } catch (ArcboxException e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    boolean isEnded() {
        lock.lock();
        try {
            return ended;
        } finally {
            lock.unlock();
        }
    }

    /** Lock held. Credit to return for bytes the host is done with; none once the execution ended. */
    private long consumed(long bytes) {
        return ended ? 0 : credit.consumed(bytes);
    }

    private void returnCredit(long grant) {
        if (grant > 0) {
            outbox.sendReliably(stream, new HostMessage.Credit(grant), label + ": credit");
        }
    }

    /** Lock held. An ATTACH is confirmed by any frame; an exec needs EXEC_STARTED first. */
    private boolean implicitStart(AgentMessage message) {
        if (abandoned) {
            return false;
        }
        if (!started && !attached) {
            throw new ArcboxException.ProtocolViolation(label + ": " + message.getClass().getSimpleName()
                    + " before EXEC_STARTED");
        }
        started = true;
        return true;
    }

    private void awaitChange(Deadline d, String operation) {
        long remaining = d.remainingNanos();
        if (remaining == 0) {
            throw d.exceeded(operation);
        }
        try {
            changed.await(remaining, TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ArcboxException.Unavailable(operation + ": interrupted", e);
        }
    }

    long locked(LongSupplier value) {
        lock.lock();
        try {
            return value.getAsLong();
        } finally {
            lock.unlock();
        }
    }
}
