package dev.arcbox.core.agent;

import dev.arcbox.core.ArcboxException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.ByteChannel;
import java.nio.channels.SelectableChannel;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;

/**
 * The host side of one session with the guest agent (agent protocol version 1, docs/agent-protocol.md).
 *
 * <p>Owns the channel given to {@link #connect}: it is closed when the session ends, including when
 * {@code connect} fails. One reader virtual thread decodes frames and routes them; writes are serialized
 * and each frame is written whole. A partial frame from the guest, or a write the guest does not drain,
 * that lasts longer than 10 s ends the connection. Everything from the guest is untrusted: sizes are
 * bounded, texts sanitized, and a broken framing or credit rule ends the connection.
 *
 * <p>Thread-safe; any number of calls and executions may run at once. Every blocking call takes a
 * deadline ({@link ArcboxException.DeadlineExceeded} names the operation). When the connection ends,
 * pending and later calls fail with {@link ArcboxException.Unavailable}; executions keep running in the
 * guest and can be re-attached through a new client. Interrupting a thread while it writes a frame closes
 * the connection (the channel is interruptible); a thread interrupted while waiting gets
 * {@link ArcboxException.Unavailable} with its interrupt flag set.
 */
public final class AgentClient implements AutoCloseable {

    /** Protocol pacing; tests shorten it. */
    record Timings(Duration helloInterval, Duration stallLimit) {
        static final Timings DEFAULT = new Timings(Duration.ofSeconds(1), Duration.ofSeconds(10));
    }

    private static final System.Logger LOG = System.getLogger(AgentClient.class.getName());
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final int READ_BUFFER = 64 * 1024;
    private static final int MAX_ENTROPY = 256;
    private static final int MAX_CAPS = 64;
    private static final Pattern CAPABILITY = Pattern.compile("[a-z0-9_.-]{1,32}");

    private final ByteChannel channel;
    private final long nonce;
    private final Timings timings;
    private final ThreadFactory threads;
    private final FrameDecoder decoder;
    private final StallWatchdog watchdog;
    private final FrameWriter writer;
    private final Dispatcher dispatcher;
    private final Outbox outbox = new Sender();
    private final AtomicInteger nextStream = new AtomicInteger(1);
    private final AtomicBoolean ending = new AtomicBoolean();
    private final CompletableFuture<Void> closed = new CompletableFuture<>();
    private volatile AgentHello hello;

    private AgentClient(ByteChannel channel, long nonce, Timings timings) {
        this.channel = channel;
        this.nonce = nonce;
        this.timings = timings;
        this.threads = Thread.ofVirtual().name("arcbox-agent-" + Long.toHexString(nonce >>> 48) + "-", 0).factory();
        this.decoder = new FrameDecoder(nonce);
        this.dispatcher = new Dispatcher(nonce);
        this.watchdog = new StallWatchdog(timings.stallLimit(), this::onStall);
        this.writer = new FrameWriter(channel, watchdog);
    }

    /**
     * Sends {@code "ABXHELO1"} + HELLO(nonce, version 1) at once and again every second (same nonce) until the
     * agent answers {@code "ABXSYNC1"} + nonce and HELLO_ACK. Takes ownership of the channel, which must be
     * blocking (a Unix {@code SocketChannel} in production).
     *
     * @throws ArcboxException.DeadlineExceeded when no answer came in time (the channel is closed)
     * @throws ArcboxException.FailedPrecondition when the agent speaks another protocol version
     * @throws ArcboxException.Unavailable when the channel fails or ends first
     */
    public static AgentClient connect(ByteChannel channel, Duration deadline) {
        return connect(channel, deadline, Timings.DEFAULT);
    }

    static AgentClient connect(ByteChannel channel, Duration deadline, Timings timings) {
        Objects.requireNonNull(channel, "channel");
        Deadline d;
        try {
            d = Deadline.after(deadline);
            if (channel instanceof SelectableChannel s && !s.isBlocking()) {
                throw new ArcboxException.InvalidArgument("channel: must be in blocking mode");
            }
        } catch (ArcboxException e) {
            closeQuietly(channel);
            throw e;
        }
        AgentClient client = new AgentClient(channel, RANDOM.nextLong() | 1, timings);
        client.start();
        try {
            client.hello = toHello(await(client.dispatcher.hello(), d, "connecting to the guest agent (no HELLO_ACK)"));
            return client;
        } catch (ArcboxException e) {
            client.end(new ArcboxException.Unavailable("guest agent disconnected: connect failed: " + e.getMessage(), e));
            throw e;
        }
    }

    /** What the agent said when the session started. */
    public AgentHello hello() {
        return hello;
    }

    /**
     * Starts a command; returns once the agent answered EXEC_STARTED. When the deadline passes first, a
     * process the agent starts later is killed.
     *
     * @throws ArcboxException.NotFound and the other errno mappings when the agent could not start it
     */
    public Execution exec(ExecRequest request, Duration deadline) {
        Objects.requireNonNull(request, "request");
        Deadline d = Deadline.after(deadline);
        Execution execution = Execution.forExec(outbox, allocateStream(), request);
        return start(execution, new HostMessage.ExecStart(request), d);
    }

    /**
     * Attaches to an execution the agent holds (see {@link AgentHello#execIds()}), receiving its output from
     * the given offsets on; the agent re-sends what it still buffers, and what it no longer has is counted in
     * {@link Execution#lostBytes()}. Returns at the agent's first frame on the new stream.
     */
    public Execution attach(int execId, long stdoutOffset, long stderrOffset, Duration deadline) {
        return attach(execId, stdoutOffset, stderrOffset, ExecRequest.DEFAULT_WINDOW, deadline);
    }

    /** {@link #attach(int, long, long, Duration)} with an output window (1..{@link ExecRequest#MAX_WINDOW}). */
    public Execution attach(int execId, long stdoutOffset, long stderrOffset, int window, Duration deadline) {
        if (window < 1 || window > ExecRequest.MAX_WINDOW) {
            throw new ArcboxException.InvalidArgument("window: must be 1.." + ExecRequest.MAX_WINDOW + ", got " + window);
        }
        if (stdoutOffset < 0 || stderrOffset < 0) {
            throw new ArcboxException.InvalidArgument("attach offsets: must be >= 0, got " + stdoutOffset + " and "
                    + stderrOffset);
        }
        Deadline d = Deadline.after(deadline);
        Execution execution = Execution.forAttach(outbox, allocateStream(), execId, stdoutOffset, stderrOffset, window);
        return start(execution, new HostMessage.Attach(execId, stdoutOffset, stderrOffset, window), d);
    }

    /** Returns the round trip of a PING. */
    public Duration ping(Duration deadline) {
        byte[] payload = new byte[8];
        RANDOM.nextBytes(payload);
        long start = System.nanoTime();
        AgentMessage.Pong pong = call("ping", new HostMessage.Ping(payload), AgentMessage.Pong.class, deadline);
        long roundTrip = System.nanoTime() - start;
        if (!Arrays.equals(payload, pong.payload())) {
            throw new ArcboxException.ProtocolViolation("ping: PONG payload differs from the PING's");
        }
        return Duration.ofNanos(roundTrip);
    }

    /** Asks the agent to stop every process and power off; returns at SHUTDOWN_ACK. */
    public void shutdown(Duration deadline) {
        call("shutdown", new HostMessage.Shutdown(), AgentMessage.ShutdownAck.class, deadline);
    }

    /** Sets the guest clock and mixes entropy (1..256 bytes) into its pool, as after a restore. */
    public void resync(Instant wallClock, byte[] entropy, Duration deadline) {
        Objects.requireNonNull(wallClock, "wallClock");
        if (entropy == null || entropy.length < 1 || entropy.length > MAX_ENTROPY) {
            throw new ArcboxException.InvalidArgument("entropy: must be 1.." + MAX_ENTROPY + " bytes, got "
                    + (entropy == null ? "null" : entropy.length));
        }
        if (wallClock.isBefore(Instant.EPOCH)) {
            throw new ArcboxException.InvalidArgument("wallClock: must not be before 1970, got " + wallClock);
        }
        long realtime = Math.addExact(Math.multiplyExact(wallClock.getEpochSecond(), 1_000_000_000L), wallClock.getNano());
        HostMessage.Resync message = new HostMessage.Resync(realtime, entropy.clone());
        check("resync", call("resync", message, AgentMessage.ResyncAck.class, deadline).errno());
    }

    public void netConfig(NetConfig config, Duration deadline) {
        Objects.requireNonNull(config, "config");
        var ack = call("net config", new HostMessage.ConfigureNet(config), AgentMessage.NetConfigAck.class, deadline);
        check("net config", ack.errno());
    }

    /** The executions the agent holds: running ones and finished ones not yet released. */
    public List<ExecutionInfo> executions(Duration deadline) {
        return call("listing executions", new HostMessage.ListExecutions(), AgentMessage.ExecList.class, deadline)
                .executions();
    }

    /**
     * Waits for an execution to finish, without attaching to it (its output goes wherever it goes).
     *
     * @throws ArcboxException.NotFound for an id the agent does not hold
     * @throws ArcboxException.DeadlineExceeded when it is still running at the deadline
     */
    public ExitStatus waitFor(int execId, Duration deadline) {
        AgentMessage.Exit x = call("waiting for execution " + Integer.toUnsignedString(execId),
                new HostMessage.Wait(execId), AgentMessage.Exit.class, deadline);
        return new ExitStatus(x.exitCode(), x.signal(), x.timedOut(), Math.max(0, x.stdoutTotal()),
                Math.max(0, x.stderrTotal()));
    }

    /**
     * Sends a signal (1..64) to an execution's process group by id.
     *
     * @throws ArcboxException.NotFound for an id the agent does not hold
     * @throws ArcboxException.FailedPrecondition when it has finished
     */
    public void signal(int execId, int signo, Duration deadline) {
        if (signo < 1 || signo > 64) {
            throw new ArcboxException.InvalidArgument("signal: must be 1..64, got " + signo);
        }
        call("signalling execution " + Integer.toUnsignedString(execId), new HostMessage.SignalExecution(execId, signo),
                AgentMessage.SignalAck.class, deadline);
    }

    /**
     * Opens a file for writing in the guest; returns once the agent opened it (its temporary file, unless
     * appending). Write with {@link FileUpload#write}, then {@link FileUpload#finish}.
     */
    public FileUpload writeFile(FileWriteRequest request, Duration deadline) {
        Objects.requireNonNull(request, "request");
        Deadline d = Deadline.after(deadline);
        int stream = allocateStream();
        Route.Transfer[] route = new Route.Transfer[1];
        FileUpload upload = new FileUpload(outbox, stream, request.path(), () -> dispatcher.remove(stream, route[0]));
        route[0] = new Route.Transfer(upload);
        dispatcher.register(stream, route[0]);
        try {
            outbox.send(stream, new HostMessage.FileWrite(request), d, upload.label());
            await(upload.opened(), d, upload.label() + " (the guest did not open the file)");
            return upload;
        } catch (ArcboxException e) {
            upload.abort();
            throw e;
        }
    }

    /**
     * Opens a file in the guest for reading from {@code offset}, at most {@code length} bytes (0 = to the end);
     * returns once the agent answered with the file's info.
     */
    public FileDownload readFile(String path, long offset, long length, Duration deadline) {
        GuestPaths.require("path", path);
        if (offset < 0 || length < 0) {
            throw new ArcboxException.InvalidArgument("offset and length: must be >= 0, got " + offset + " and " + length);
        }
        Deadline d = Deadline.after(deadline);
        int stream = allocateStream();
        Route.Transfer[] route = new Route.Transfer[1];
        FileDownload download = new FileDownload(outbox, stream, path, () -> dispatcher.remove(stream, route[0]));
        route[0] = new Route.Transfer(download);
        dispatcher.register(stream, route[0]);
        try {
            outbox.send(stream, new HostMessage.FileRead(path, offset, length, FileDownload.WINDOW), d, download.label());
            await(download.opened(), d, download.label() + " (no FILE_INFO)");
            return download;
        } catch (ArcboxException e) {
            download.close();
            throw e;
        }
    }

    /** {@code lstat} of a guest path: a symbolic link is reported as itself, with its target. */
    public GuestFile stat(String path, Duration deadline) {
        GuestPaths.require("path", path);
        return withPath(path, call("stat " + GuestError.sanitize(path), new HostMessage.FileStat(path),
                AgentMessage.FileInfo.class, deadline).file());
    }

    /** The entries of a guest directory, sorted by name, without "." and "..". */
    public List<GuestFile> list(String path, Duration deadline) {
        GuestPaths.require("path", path);
        Deadline d = Deadline.after(deadline);
        String operation = "listing " + GuestError.sanitize(path);
        int stream = allocateStream();
        Route.Listing route = new Route.Listing(operation, new java.util.ArrayList<>(), new CompletableFuture<>());
        dispatcher.register(stream, route);
        try {
            outbox.send(stream, new HostMessage.FileList(path), d, operation);
            String dir = path.endsWith("/") ? path : path + "/";
            return await(route.future(), d, operation).stream()
                    .map(f -> withPath(dir + f.name(), f))
                    .sorted(java.util.Comparator.comparing(GuestFile::name))
                    .toList();
        } finally {
            dispatcher.remove(stream, route);
        }
    }

    /** Creates a directory ({@code parents}: like {@code mkdir -p}, no error when it exists as a directory). */
    public GuestFile mkdir(String path, int mode, boolean parents, String owner, Duration deadline) {
        List<String> problems = new java.util.ArrayList<>();
        GuestPaths.check(problems, "path", path);
        GuestPaths.checkOwner(problems, "owner", owner);
        if (mode < 0 || mode > 07777) {
            problems.add("mode: must be 0..07777, got 0" + Integer.toOctalString(mode));
        }
        if (!problems.isEmpty()) {
            throw new ArcboxException.InvalidArgument(String.join("; ", problems));
        }
        return withPath(path, call("creating directory " + GuestError.sanitize(path),
                new HostMessage.FileMkdir(path, mode, parents, owner), AgentMessage.FileInfo.class, deadline).file());
    }

    /** Removes a file, an empty directory, or ({@code recursive}) a whole tree; symbolic links are not followed. */
    public void remove(String path, boolean recursive, Duration deadline) {
        GuestPaths.require("path", path);
        call("removing " + GuestError.sanitize(path), new HostMessage.FileRemove(path, recursive),
                AgentMessage.FileAck.class, deadline);
    }

    /** Renames; without {@code overwrite} an existing destination fails with {@link ArcboxException.AlreadyExists}. */
    public GuestFile rename(String from, String to, boolean overwrite, Duration deadline) {
        List<String> problems = new java.util.ArrayList<>();
        GuestPaths.check(problems, "from", from);
        GuestPaths.check(problems, "to", to);
        if (!problems.isEmpty()) {
            throw new ArcboxException.InvalidArgument(String.join("; ", problems));
        }
        return withPath(to, call("renaming " + GuestError.sanitize(from), new HostMessage.FileRename(from, to, overwrite),
                AgentMessage.FileInfo.class, deadline).file());
    }

    /** Lets the agent forget a finished execution; there is no reply. */
    public void release(int execId) {
        outbox.send(allocateStream(), new HostMessage.Release(execId), Deadline.after(timings.stallLimit()),
                "release " + Integer.toUnsignedString(execId));
    }

    /** Whether a call streams an execution or a file through this connection right now. */
    public boolean streaming() {
        return dispatcher.streaming() > 0;
    }

    public boolean isOpen() {
        return !ending.get();
    }

    /** Completes (normally) when the connection ends, for any reason. */
    public CompletableFuture<Void> closed() {
        return closed.copy();
    }

    /** Ends the session; idempotent. Executions keep running in the guest. */
    @Override
    public void close() {
        end(new ArcboxException.Unavailable("guest agent disconnected: connection closed by the host", null));
    }

    // ---- internals -------------------------------------------------------------------------------

    /** Waits for the future until the deadline, rethrowing its arcbox failure. */
    static <T> T await(CompletableFuture<T> future, Deadline deadline, String operation) {
        try {
            return future.get(deadline.remainingNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            throw deadline.exceeded(operation);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof ArcboxException failure) {
                throw failure;
            }
            throw new ArcboxException.Unavailable(operation + ": " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ArcboxException.Unavailable(operation + ": interrupted", e);
        }
    }

    private void start() {
        watchdog.start(threads);
        threads.newThread(this::readLoop).start();
        threads.newThread(this::helloLoop).start();
    }

    private Execution start(Execution execution, HostMessage request, Deadline d) {
        Route.Exec route = new Route.Exec(execution);
        dispatcher.register(execution.stream(), route);
        try {
            outbox.send(execution.stream(), request, d, execution.label());
        } catch (ArcboxException e) {
            dispatcher.remove(execution.stream(), route);
            throw e;
        }
        try {
            await(execution.startup(), d, execution.label() + " (no EXEC_STARTED)");
            return execution;
        } catch (ArcboxException.DeadlineExceeded e) {
            if (execution.abandon()) {
                throw e;
            }
            return execution;
        }
    }

    private <T extends AgentMessage> T call(String operation, HostMessage request, Class<T> replyType, Duration deadline) {
        Deadline d = Deadline.after(deadline);
        int stream = allocateStream();
        Route.Reply route = new Route.Reply(operation, replyType, new CompletableFuture<>());
        dispatcher.register(stream, route);
        try {
            outbox.send(stream, request, d, operation);
            return replyType.cast(await(route.future(), d, operation));
        } finally {
            dispatcher.remove(stream, route);
        }
    }

    private int allocateStream() {
        int stream = nextStream.getAndUpdate(s -> s == 0 ? 0 : s + 1);
        if (stream == 0) {
            throw new ArcboxException.ResourceExhausted("guest agent session: all 2^32-1 stream ids are used");
        }
        return stream;
    }

    private void helloLoop() {
        byte[] hello = MessageCodec.encode(0, new HostMessage.Hello(nonce, MessageCodec.VERSION)).encode();
        byte[] bytes = new byte[Frame.HELLO_MARKER.length + hello.length];
        System.arraycopy(Frame.HELLO_MARKER, 0, bytes, 0, Frame.HELLO_MARKER.length);
        System.arraycopy(hello, 0, bytes, Frame.HELLO_MARKER.length, hello.length);
        CompletableFuture<?> answered = dispatcher.hello();
        while (!answered.isDone()) {
            try {
                writer.write(bytes, Deadline.after(timings.helloInterval()), "hello");
            } catch (ArcboxException.DeadlineExceeded e) {
                LOG.log(System.Logger.Level.DEBUG, "agent hello: writer busy, retrying");
            } catch (ArcboxException e) {
                return;
            } catch (IOException e) {
                end(new ArcboxException.Unavailable("guest agent disconnected: sending HELLO failed: " + e.getMessage(), e));
                return;
            }
            try {
                answered.get(timings.helloInterval().toNanos(), TimeUnit.NANOSECONDS);
            } catch (TimeoutException e) {
                LOG.log(System.Logger.Level.DEBUG, "agent hello: no answer yet, sending again");
            } catch (ExecutionException e) {
                return;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private void readLoop() {
        ByteBuffer buffer = ByteBuffer.allocate(READ_BUFFER);
        long partialUnit = -1;
        long partialToken = 0;
        try {
            while (true) {
                buffer.clear();
                int n = channel.read(buffer);
                if (n < 0) {
                    end(new ArcboxException.Unavailable("guest agent disconnected: the channel reached end of stream", null));
                    return;
                }
                decoder.feed(buffer.array(), 0, n, dispatcher::dispatch);
                if (decoder.midFrame() && decoder.unitsStarted() != partialUnit) {
                    watchdog.end(partialToken);
                    partialUnit = decoder.unitsStarted();
                    partialToken = watchdog.begin("a partial frame from the guest agent");
                } else if (!decoder.midFrame() && partialUnit >= 0) {
                    watchdog.end(partialToken);
                    partialUnit = -1;
                }
            }
        } catch (ArcboxException.ProtocolViolation e) {
            LOG.log(System.Logger.Level.WARNING, "guest agent broke the protocol, closing the connection: {0}", e.getMessage());
            end(new ArcboxException.Unavailable("guest agent disconnected: protocol violation: " + e.getMessage(), e));
        } catch (AsynchronousCloseException e) {
            end(new ArcboxException.Unavailable("guest agent disconnected: the channel was closed", e));
        } catch (IOException e) {
            end(new ArcboxException.Unavailable("guest agent disconnected: reading failed: " + e.getMessage(), e));
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "agent reader failed, closing the connection", e);
            end(new ArcboxException.Unavailable("guest agent disconnected: internal error: " + e, e));
        }
    }

    private void onStall(String what) {
        end(new ArcboxException.Unavailable("guest agent disconnected: stalled on " + what, null));
    }

    /** Ends the session once: closes the channel, fails every waiter with {@code cause}. */
    private void end(ArcboxException.Unavailable cause) {
        if (!ending.compareAndSet(false, true)) {
            return;
        }
        LOG.log(System.Logger.Level.DEBUG, "agent session {0} ends: {1}", Long.toHexString(nonce), cause.getMessage());
        closeQuietly(channel);
        watchdog.close();
        dispatcher.failAll(cause);
        closed.complete(null);
    }

    private static void closeQuietly(ByteChannel channel) {
        try {
            channel.close();
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, "closing the agent channel failed", e);
        }
    }

    private static GuestFile withPath(String path, GuestFile f) {
        return new GuestFile(path, f.name(), f.type(), f.size(), f.mode(), f.uid(), f.gid(), f.modifiedAt(),
                f.symlinkTarget());
    }

    private static void check(String operation, int errno) {
        if (errno != 0) {
            throw GuestError.toException(operation, errno, null);
        }
    }

    private static AgentHello toHello(AgentMessage.HelloAck ack) {
        Set<String> caps = new LinkedHashSet<>();
        for (String cap : ack.caps() == null ? new String[0] : ack.caps().split(",")) {
            String c = cap.strip();
            if (CAPABILITY.matcher(c).matches() && caps.size() < MAX_CAPS) {
                caps.add(c);
            }
        }
        String agent = ack.agent() == null ? "" : GuestError.sanitize(ack.agent());
        return new AgentHello(ack.version(), caps, agent, ack.bootInitNanos(), ack.bootReadyNanos(),
                ack.uptimeNanos(), List.copyOf(ack.execIds()));
    }

    /** {@link Outbox} for executions; private so its methods stay out of the public API. */
    private final class Sender implements Outbox {

        @Override
        public void send(int stream, HostMessage message, Deadline deadline, String operation) {
            if (ending.get()) {
                throw new ArcboxException.Unavailable(operation + ": guest agent disconnected", null);
            }
            byte[] bytes = MessageCodec.encode(stream, message).encode();
            try {
                writer.write(bytes, deadline, operation);
            } catch (IOException e) {
                var failure = new ArcboxException.Unavailable(operation + ": guest agent disconnected: " + e.getMessage(), e);
                end(failure);
                throw failure;
            }
        }

        @Override
        public void sendDetached(int stream, HostMessage message, String operation) {
            threads.newThread(() -> sendReliably(stream, message, operation)).start();
        }

        @Override
        public void sendReliably(int stream, HostMessage message, String operation) {
            while (!ending.get()) {
                try {
                    send(stream, message, Deadline.after(timings.stallLimit()), operation);
                    return;
                } catch (ArcboxException.DeadlineExceeded e) {
                    LOG.log(System.Logger.Level.DEBUG, "{0}: writer busy, retrying", operation);
                } catch (ArcboxException e) {
                    return;
                }
            }
        }

        @Override
        public void forget(int stream) {
            dispatcher.forget(stream);
        }

        @Override
        public Duration writeBound() {
            return timings.stallLimit();
        }
    }
}
