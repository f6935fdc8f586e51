package dev.arcbox.daemon;

import com.google.protobuf.ByteString;
import dev.arcbox.api.v1.ExecAttach;
import dev.arcbox.api.v1.ExecResponse;
import dev.arcbox.api.v1.ExecStart;
import dev.arcbox.api.v1.ExecStarted;
import dev.arcbox.api.v1.OutputChunk;
import dev.arcbox.api.v1.WindowSize;
import dev.arcbox.core.ArcboxException;
import dev.arcbox.core.agent.ExecRequest;
import dev.arcbox.core.agent.Execution;
import dev.arcbox.core.agent.ExitStatus;
import dev.arcbox.core.metrics.Telemetry;
import dev.arcbox.core.sandbox.SandboxService;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.function.LongSupplier;

/**
 * One ProcessService.Exec call: the first message starts or attaches an execution, later ones carry stdin, EOF,
 * resizes and signals (handled one at a time: the next message is requested only once stdin was taken by the
 * agent's credit). Output goes out through a {@link FlowGate}, so a client that does not read stops the credit
 * returned to the agent and stalls only its own process. When the call ends before the exit (the client went
 * away or sent something invalid) the execution is detached, or killed with kill_on_disconnect.
 */
final class ExecCall implements StreamObserver<dev.arcbox.api.v1.ExecRequest> {

    private static final int CHUNK = 32 * 1024;
    private static final int MAX_SIGNAL = 64;
    private static final int SIGKILL = 9;
    private static final Duration ATTACH_DEADLINE = Duration.ofSeconds(30);
    /**
     * Output credit per execution: what the daemon may hold of it. Larger than the agent client's default
     * (256 KiB) because throughput is about window / credit round trip, and the round trip through a loaded
     * TCG guest is tens of milliseconds.
     */
    static final int WINDOW = 1 << 20;

    private final SandboxService sandboxes;
    private final ServerCallStreamObserver<ExecResponse> out;
    private final SerialCall serial;
    private final FlowGate<ExecResponse> gate;
    private final Object lock = new Object();
    private Execution exec;
    private boolean stdinAllowed;
    private boolean tty;
    private boolean killOnDisconnect;
    private boolean disconnected;

    ExecCall(SandboxService sandboxes, ServerCallStreamObserver<ExecResponse> out) {
        this.sandboxes = sandboxes;
        this.out = out;
        this.serial = new SerialCall(out, "exec-call");
        this.gate = new FlowGate<>(out, this::disconnect);
        serial.start();
    }

    @Override
    public void onNext(dev.arcbox.api.v1.ExecRequest message) {
        serial.message(() -> handle(message));
    }

    @Override
    public void onError(Throwable t) {
        serial.last(this::disconnect);
    }

    @Override
    public void onCompleted() {
        serial.last(() -> {
            if (current() == null) {
                // nothing will ever run: end the call instead of leaving it open until the client's deadline
                refuse("start: the call ended before a start or attach message");
            }
        });
    }

    private void handle(dev.arcbox.api.v1.ExecRequest m) {
        Execution e = current();
        switch (m.getMsgCase()) {
            case START -> {
                if (e != null) {
                    refuse("start: only the first message may be start or attach");
                }
                start(m.getStart());
            }
            case ATTACH -> {
                if (e != null) {
                    refuse("attach: only the first message may be start or attach");
                }
                attach(m.getAttach());
            }
            case MSG_NOT_SET -> refuse("msg: the message carries nothing");
            case STDIN, STDIN_EOF, RESIZE, SIGNAL -> {
                if (e == null) {
                    refuse(field(m) + ": the first message must be start or attach");
                }
                input(e, m);
            }
        }
    }

    private void start(ExecStart s) {
        if (s.getCmdCount() == 0) {
            refuse("cmd: must name a command");
        }
        if (!s.getWorkingDir().isEmpty() && !s.getWorkingDir().startsWith("/")) {
            refuse("working_dir: must be an absolute path, got '" + s.getWorkingDir() + "'");
        }
        if (!s.getTty() && s.hasWindow()) {
            refuse("window: only with tty");
        }
        WindowSize w = s.getWindow();
        if (w.getRows() > 65_535 || w.getCols() > 65_535) {
            refuse("window: rows and cols must be at most 65535, got " + w.getRows() + "x" + w.getCols());
        }
        ExecRequest request;
        try {
            request = new ExecRequest(s.getCmdList(), s.getEnvMap(), s.getWorkingDir().isEmpty() ? null : s.getWorkingDir(),
                    Duration.ofSeconds(s.getTimeoutSeconds()), s.getStdin(), WINDOW, s.getTty(),
                    w.getRows() == 0 ? 24 : w.getRows(), w.getCols() == 0 ? 80 : w.getCols(),
                    s.getUser().isEmpty() ? "0" : s.getUser());
        } catch (ArcboxException.InvalidArgument e) {
            throw fail(e);
        }
        Execution e = call(() -> sandboxes.run(s.getSandboxId(), request));
        begin(e, s.getStdin(), s.getTty(), s.getKillOnDisconnect(), 0, 0);
    }

    private void attach(ExecAttach a) {
        if (a.getExecutionId() == 0) {
            refuse("execution_id: must be set");
        }
        Execution e = call(() -> sandboxes.guest(a.getSandboxId()).attach(a.getExecutionId(), a.getStdoutOffset(),
                a.getStderrOffset(), WINDOW, ATTACH_DEADLINE));
        begin(e, true, true, false, a.getStdoutOffset(), a.getStderrOffset());
    }

    private void begin(Execution e, boolean stdin, boolean isTty, boolean kill, long stdoutFrom, long stderrFrom) {
        synchronized (lock) {
            exec = e;
            stdinAllowed = stdin;
            tty = isTty;
            killOnDisconnect = kill;
        }
        if (out.isCancelled()) {
            disconnect();
            throw new SerialCall.Ended();
        }
        send(ExecResponse.newBuilder().setStarted(ExecStarted.newBuilder().setExecutionId(e.id())
                .setPid((int) Math.max(0, e.pid()))).build());
        Thread.ofVirtual().name("exec-" + Integer.toUnsignedString(e.id())).start(() -> pump(e, stdoutFrom, stderrFrom));
    }

    private void input(Execution e, dev.arcbox.api.v1.ExecRequest m) {
        switch (m.getMsgCase()) {
            case STDIN -> {
                if (!stdinAllowed) {
                    refuse("stdin: the execution was started without stdin = true");
                }
                try {
                    e.stdin().write(m.getStdin().toByteArray());
                    sandboxes.telemetry().execBytes(Telemetry.ExecStream.STDIN, m.getStdin().size());
                } catch (IOException ignored) {
                    // the process is gone or the call detached: its stdin takes nothing more
                }
            }
            case STDIN_EOF -> {
                try {
                    e.stdin().close();
                } catch (IOException ignored) {
                    // as above
                }
            }
            case RESIZE -> {
                WindowSize w = m.getResize();
                if (!tty) {
                    refuse("resize: the execution has no tty");
                }
                if (w.getRows() < 1 || w.getRows() > 65_535 || w.getCols() < 1 || w.getCols() > 65_535) {
                    refuse("resize: rows and cols must be 1..65535, got " + w.getRows() + "x" + w.getCols());
                }
                call(() -> {
                    e.resize(w.getRows(), w.getCols());
                    return null;
                });
            }
            case SIGNAL -> {
                if (m.getSignal() < 1 || m.getSignal() > MAX_SIGNAL) {
                    refuse("signal: must be 1.." + MAX_SIGNAL + ", got " + Integer.toUnsignedString(m.getSignal()));
                }
                call(() -> {
                    e.signal(m.getSignal());
                    return null;
                });
            }
            default -> throw new IllegalStateException("not an input message: " + m.getMsgCase());
        }
    }

    /** Streams stdout and stderr (each on its own thread), then the exit, and ends the call. */
    private void pump(Execution e, long stdoutFrom, long stderrFrom) {
        CountDownLatch streams = new CountDownLatch(2);
        Thread.ofVirtual().start(() -> copy(e.stdout(), false, stdoutFrom, e::stdoutLost, streams));
        Thread.ofVirtual().start(() -> copy(e.stderr(), true, stderrFrom, e::stderrLost, streams));
        try {
            streams.await();
            ExitStatus status = e.exit().join();
            send(ExecResponse.newBuilder().setExit(ProcessApi.exit(status)).build());
            gate.complete();
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
            gate.error(new ArcboxException.Unavailable("exec interrupted", ie));
        } catch (CompletionException ce) {
            gate.error(ce.getCause());
        } catch (RuntimeException re) {
            gate.error(re);
        } finally {
            serial.close();
        }
    }

    /** Forwards one output stream with offsets; after the call ended keeps draining so the process never stalls. */
    private void copy(InputStream in, boolean stderr, long from, LongSupplier lost, CountDownLatch done) {
        byte[] buf = new byte[CHUNK];
        long position = from;
        long lostReported = 0;
        try {
            int n;
            while ((n = in.read(buf)) > 0) {
                long gap = lost.getAsLong() - lostReported;
                lostReported += gap;
                position += gap;
                OutputChunk chunk = OutputChunk.newBuilder().setOffset(position).setData(ByteString.copyFrom(buf, 0, n))
                        .setLostBytes(gap).build();
                position += n;
                sandboxes.telemetry().execBytes(stderr ? Telemetry.ExecStream.STDERR : Telemetry.ExecStream.STDOUT, n);
                send(stderr ? ExecResponse.newBuilder().setStderr(chunk).build()
                        : ExecResponse.newBuilder().setStdout(chunk).build());
            }
        } catch (IOException ignored) {
            // detached, or the agent connection ended: the exit future says which
        } finally {
            done.countDown();
        }
    }

    private void send(ExecResponse response) {
        try {
            gate.send(response);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The call ended before the exit: detach (the process keeps running) or kill. Idempotent. */
    private void disconnect() {
        Execution e;
        boolean kill;
        synchronized (lock) {
            if (disconnected || exec == null) {
                return;
            }
            disconnected = true;
            e = exec;
            kill = killOnDisconnect;
        }
        try {
            if (kill) {
                e.signal(SIGKILL);
            }
            e.detach();
        } catch (ArcboxException ignored) {
            // the agent connection is gone: nothing to detach from
        }
    }

    private Execution current() {
        synchronized (lock) {
            return exec;
        }
    }

    private <T> T call(java.util.function.Supplier<T> action) {
        try {
            return action.get();
        } catch (RuntimeException e) {
            throw fail(e);
        }
    }

    private void refuse(String message) {
        throw fail(new ArcboxException.InvalidArgument(message));
    }

    /** Ends the call with the error, detaching or killing a started execution. */
    private SerialCall.Ended fail(RuntimeException error) {
        gate.error(error);
        disconnect();
        return new SerialCall.Ended();
    }

    private static String field(dev.arcbox.api.v1.ExecRequest m) {
        return switch (m.getMsgCase()) {
            case STDIN -> "stdin";
            case STDIN_EOF -> "stdin_eof";
            case RESIZE -> "resize";
            case SIGNAL -> "signal";
            default -> "msg";
        };
    }
}
