package dev.arcbox.core.agent;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Predicate;

/**
 * The guest side of the agent protocol, scripted by tests, over the server end of a Unix socket. It hunts for
 * {@code "ABXHELO1"}, then a pump thread collects the host's frames in an inbox; host CREDIT frames are
 * turned into per-stream output credit, which {@link #sendWithinCredit} respects and {@link #sendOutput} does not.
 */
final class FakeAgent implements java.io.Closeable {

    static final Duration WAIT = Duration.ofSeconds(5);

    record ExecStart(int stream, List<String> argv, List<String> env, String cwd, int window, boolean stdin) {}

    private final SocketChannel channel;
    private final ByteBuffer readBuffer = ByteBuffer.allocate(64 * 1024).flip();
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final List<Frame> inbox = new ArrayList<>();
    private final Map<Integer, Long> outputCredit = new HashMap<>();
    private final Map<Integer, Long> stdinGranted = new HashMap<>();
    private final Map<Integer, Long> stdinReceived = new HashMap<>();
    private final ReentrantLock writeLock = new ReentrantLock();
    private boolean eof;
    private String violation;
    private int hellos;

    FakeAgent(SocketChannel channel) {
        this.channel = channel;
    }

    /** Reads until a marker and HELLO arrive; returns the nonce. */
    long awaitHello() throws IOException {
        byte[] marker = Frame.HELLO_MARKER;
        int matched = 0;
        while (matched < marker.length) {
            byte b = readByte();
            matched = b == marker[matched] ? matched + 1 : (b == marker[0] ? 1 : 0);
        }
        Frame hello = readFrame();
        if (hello.type() != FrameType.HELLO) {
            throw new IOException("expected HELLO after the marker, got " + hello);
        }
        hellos++;
        return TlvPayload.parse(hello.payload()).u64(Tag.NONCE, 0);
    }

    /** Answers a HELLO: optional garbage, the sync marker, HELLO_ACK; then starts the pump. */
    void answerHello(long nonce, List<Integer> execIds, byte[] garbage) throws IOException {
        var ack = new TlvPayload.Builder().u64(Tag.NONCE, nonce).u32(Tag.VERSION, 1)
                .string(Tag.CAPS, "exec,attach,credit,resync,netconfig,shutdown")
                .string(Tag.AGENT, "fake-agent/1.0\u001b[2J").u64(Tag.BOOT_INIT_NS, 1_000).u64(Tag.BOOT_READY_NS, 2_000)
                .u64(Tag.UPTIME_NS, 3_000);
        execIds.forEach(id -> ack.u32(Tag.EXEC_ID, id));
        sendRaw(concat(garbage, FrameDecoder.syncMarker(nonce),
                new Frame(FrameType.HELLO_ACK, 0, ack.build()).encode()));
        startPump();
    }

    /** awaitHello + answerHello without garbage; returns the nonce. */
    long handshake(List<Integer> execIds) throws IOException {
        long nonce = awaitHello();
        answerHello(nonce, execIds, new byte[0]);
        return nonce;
    }

    int hellosSeen() {
        lock.lock();
        try {
            return hellos;
        } finally {
            lock.unlock();
        }
    }

    void startPump() {
        Thread.ofVirtual().name("fake-agent-pump").start(this::pump);
    }

    /** Removes and returns the first frame matching, waiting up to {@link #WAIT}. */
    Frame take(Predicate<Frame> match, String what) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        lock.lock();
        try {
            while (true) {
                for (int i = 0; i < inbox.size(); i++) {
                    if (match.test(inbox.get(i))) {
                        return inbox.remove(i);
                    }
                }
                long left = deadline - System.nanoTime();
                if (left <= 0 || eof) {
                    throw new AssertionError("fake agent: no " + what + (eof ? " (host closed)" : " within " + WAIT)
                            + "; inbox: " + inbox);
                }
                changed.awaitNanos(left);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        } finally {
            lock.unlock();
        }
    }

    Frame take(int type) {
        return take(f -> f.type() == type, FrameType.name(type));
    }

    Frame take(int type, int stream) {
        return take(f -> f.type() == type && f.stream() == stream, FrameType.name(type) + " on stream " + stream);
    }

    ExecStart acceptExec() {
        Frame f = take(FrameType.EXEC_START);
        TlvPayload t = TlvPayload.parse(f.payload());
        int window = t.u32(Tag.WINDOW, 262_144);
        lock.lock();
        try {
            outputCredit.put(f.stream(), (long) window);
            stdinGranted.put(f.stream(), (long) Execution.INITIAL_STDIN_CREDIT);
        } finally {
            lock.unlock();
        }
        return new ExecStart(f.stream(), t.strings(Tag.ARG), t.strings(Tag.ENV), t.string(Tag.CWD, 4096), window,
                t.u8(Tag.STDIN, 0) == 1);
    }

    /** Sets the output credit of a stream (the WINDOW of an ATTACH). */
    void registerWindow(int stream, int window) {
        lock.lock();
        try {
            outputCredit.put(stream, (long) window);
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Waits until the agent side has used all output credit of the stream. */
    void awaitCreditExhausted(int stream) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        lock.lock();
        try {
            while (outputCredit.getOrDefault(stream, 0L) > 0) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new AssertionError("credit of stream " + stream + " never ran out: " + outputCredit.get(stream));
                }
                changed.awaitNanos(left);
            }
        } finally {
            lock.unlock();
        }
    }

    Frame takeAttach() {
        return take(FrameType.ATTACH);
    }

    void started(int stream, int execId, int pid) throws IOException {
        send(FrameType.EXEC_STARTED, stream, new TlvPayload.Builder().u32(Tag.EXEC_ID, execId).u32(Tag.PID, pid).build());
    }

    void exit(int stream, int code, long stdoutTotal, long stderrTotal) throws IOException {
        send(FrameType.EXIT, stream, new TlvPayload.Builder().u32(Tag.EXIT_CODE, code).u8(Tag.TIMED_OUT, 0)
                .u64(Tag.STDOUT_TOTAL, stdoutTotal).u64(Tag.STDERR_TOTAL, stderrTotal).build());
    }

    void error(int stream, int errno, String message) throws IOException {
        send(FrameType.ERROR, stream, new TlvPayload.Builder().u32(Tag.ERRNO, errno).string(Tag.MESSAGE, message).build());
    }

    void grantStdin(int stream, int bytes) throws IOException {
        lock.lock();
        try {
            stdinGranted.merge(stream, (long) bytes, Long::sum);
        } finally {
            lock.unlock();
        }
        send(FrameType.CREDIT, stream, TlvPayload.intBytes(bytes));
    }

    /** One output frame, credit ignored. */
    void sendOutput(int stream, boolean stderr, long offset, byte[] data) throws IOException {
        byte[] payload = ByteBuffer.allocate(8 + data.length).putLong(offset).put(data).array();
        send(stderr ? FrameType.STDERR : FrameType.STDOUT, stream, payload);
    }

    /** Sends {@code data} from {@code offset} in frames of at most 32 KiB, waiting for credit as the real agent does. */
    void sendWithinCredit(int stream, boolean stderr, long offset, byte[] data) throws IOException, InterruptedException {
        int pos = 0;
        while (pos < data.length) {
            int n;
            lock.lock();
            try {
                while (outputCredit.getOrDefault(stream, 0L) == 0 && !eof) {
                    changed.await();
                }
                if (eof) {
                    throw new EOFException("host closed");
                }
                n = (int) Math.min(Math.min(32 * 1024, data.length - pos), outputCredit.get(stream));
                outputCredit.merge(stream, (long) -n, Long::sum);
                changed.signalAll();
            } finally {
                lock.unlock();
            }
            sendOutput(stream, stderr, offset + pos, Arrays.copyOfRange(data, pos, pos + n));
            pos += n;
        }
    }

    long outputCredit(int stream) {
        lock.lock();
        try {
            return outputCredit.getOrDefault(stream, 0L);
        } finally {
            lock.unlock();
        }
    }

    /** Waits until the host has sent at least {@code bytes} of stdin on the stream, returns what arrived. */
    byte[] takeStdin(int stream, int bytes) {
        var out = new java.io.ByteArrayOutputStream();
        while (out.size() < bytes) {
            out.writeBytes(take(FrameType.STDIN, stream).payload());
        }
        return out.toByteArray();
    }

    /** Set when the host broke a rule the fake checks (stdin beyond the granted credit). */
    String violation() {
        lock.lock();
        try {
            return violation;
        } finally {
            lock.unlock();
        }
    }

    /** Waits until the host closes its end. */
    boolean awaitEof(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        lock.lock();
        try {
            while (!eof) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                changed.awaitNanos(left);
            }
            return true;
        } finally {
            lock.unlock();
        }
    }

    void send(int type, int stream, byte[] payload) throws IOException {
        sendRaw(new Frame(type, stream, payload).encode());
    }

    void sendRaw(byte[] bytes) throws IOException {
        writeLock.lock();
        try {
            ByteBuffer b = ByteBuffer.wrap(bytes);
            while (b.hasRemaining()) {
                channel.write(b);
            }
        } finally {
            writeLock.unlock();
        }
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }

    static byte[] concat(byte[]... parts) {
        var out = new java.io.ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    private void pump() {
        try {
            while (true) {
                byte first = readByte();
                if (first == 'A') {
                    byte[] rest = readFully(Frame.HELLO_MARKER.length - 1);
                    if (!Arrays.equals(rest, Arrays.copyOfRange(Frame.HELLO_MARKER, 1, Frame.HELLO_MARKER.length))) {
                        throw new IOException("garbage at a frame boundary");
                    }
                    continue;
                }
                Frame frame = readFrame(first);
                lock.lock();
                try {
                    switch (frame.type()) {
                        case FrameType.CREDIT -> outputCredit.merge(frame.stream(),
                                Integer.toUnsignedLong(TlvPayload.readInt(frame.payload(), 0)), Long::sum);
                        case FrameType.STDIN -> {
                            long total = stdinReceived.merge(frame.stream(), (long) frame.payload().length, Long::sum);
                            if (total > stdinGranted.getOrDefault(frame.stream(), 0L)) {
                                violation = "stdin beyond credit on stream " + frame.stream() + ": " + total;
                            }
                            inbox.add(frame);
                        }
                        case FrameType.HELLO -> hellos++;
                        default -> inbox.add(frame);
                    }
                    changed.signalAll();
                } finally {
                    lock.unlock();
                }
            }
        } catch (IOException e) {
            lock.lock();
            try {
                eof = true;
                changed.signalAll();
            } finally {
                lock.unlock();
            }
        }
    }

    private Frame readFrame() throws IOException {
        return readFrame(readByte());
    }

    private Frame readFrame(byte first) throws IOException {
        byte[] rest = readFully(Frame.HEADER_BYTES - 1);
        ByteBuffer header = ByteBuffer.allocate(Frame.HEADER_BYTES).put(first).put(rest).flip();
        int length = header.getInt();
        int type = header.get() & 0xFF;
        int stream = header.getInt();
        if (length < 0 || length > Frame.MAX_PAYLOAD) {
            throw new IOException("host sent an oversized frame: " + length);
        }
        return new Frame(type, stream, readFully(length));
    }

    private byte readByte() throws IOException {
        fill();
        return readBuffer.get();
    }

    private byte[] readFully(int n) throws IOException {
        byte[] out = new byte[n];
        int pos = 0;
        while (pos < n) {
            fill();
            int k = Math.min(n - pos, readBuffer.remaining());
            readBuffer.get(out, pos, k);
            pos += k;
        }
        return out;
    }

    private void fill() throws IOException {
        while (!readBuffer.hasRemaining()) {
            readBuffer.clear();
            int n = channel.read(readBuffer);
            readBuffer.flip();
            if (n < 0) {
                throw new EOFException("host closed the channel");
            }
        }
    }
}
