package dev.arcbox.daemon;

import com.google.protobuf.ByteString;
import dev.arcbox.api.v1.ExecAttach;
import dev.arcbox.api.v1.ExecExit;
import dev.arcbox.api.v1.ExecRequest;
import dev.arcbox.api.v1.ExecResponse;
import dev.arcbox.api.v1.ExecStart;
import dev.arcbox.api.v1.ExecStarted;
import dev.arcbox.api.v1.ProcessServiceGrpc;
import dev.arcbox.api.v1.WindowSize;
import io.grpc.Channel;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** A test client of one ProcessService.Exec call: sends requests, gathers responses with deadlines. */
final class ExecStream implements AutoCloseable {

    private static final Object END = new Object();

    private final BlockingQueue<Object> events = new LinkedBlockingQueue<>();
    private volatile ClientCallStreamObserver<ExecRequest> requests;
    final ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    final ByteArrayOutputStream stderr = new ByteArrayOutputStream();
    long lostBytes;
    ExecStarted started;
    ExecExit exit;
    private boolean ended;

    ExecStream(Channel channel) {
        this(channel, false);
    }

    /** With {@code slow}, the client takes one response and then only what {@link #request} asks for. */
    ExecStream(Channel channel, boolean slow) {
        ProcessServiceGrpc.newStub(channel).exec(new ClientResponseObserver<ExecRequest, ExecResponse>() {
            @Override
            public void beforeStart(ClientCallStreamObserver<ExecRequest> r) {
                requests = r;
                if (slow) {
                    r.disableAutoRequestWithInitial(1);
                }
            }

            @Override
            public void onNext(ExecResponse value) {
                events.add(value);
            }

            @Override
            public void onError(Throwable t) {
                events.add(t);
            }

            @Override
            public void onCompleted() {
                events.add(END);
            }
        });
    }

    static ExecStart.Builder start(String sandbox, String... cmd) {
        return ExecStart.newBuilder().setSandboxId(sandbox).addAllCmd(java.util.List.of(cmd));
    }

    ExecStream send(ExecRequest request) {
        requests.onNext(request);
        return this;
    }

    ExecStream start(ExecStart.Builder start) {
        return send(ExecRequest.newBuilder().setStart(start).build());
    }

    ExecStream attach(String sandbox, int id, long stdoutOffset, long stderrOffset) {
        return send(ExecRequest.newBuilder().setAttach(ExecAttach.newBuilder().setSandboxId(sandbox).setExecutionId(id)
                .setStdoutOffset(stdoutOffset).setStderrOffset(stderrOffset)).build());
    }

    ExecStream stdin(String text) {
        return send(ExecRequest.newBuilder().setStdin(ByteString.copyFromUtf8(text)).build());
    }

    ExecStream eof() {
        return send(ExecRequest.newBuilder().setStdinEof(true).build());
    }

    ExecStream resize(int rows, int cols) {
        return send(ExecRequest.newBuilder().setResize(WindowSize.newBuilder().setRows(rows).setCols(cols)).build());
    }

    ExecStream signal(int signo) {
        return send(ExecRequest.newBuilder().setSignal(signo).build());
    }

    /** Waits for the next response and records it; false at the end of the call. */
    boolean step(Duration deadline) throws InterruptedException {
        if (ended) {
            return false;
        }
        Object e = events.poll(deadline.toMillis(), TimeUnit.MILLISECONDS);
        if (e == null) {
            throw new AssertionError("no response within " + deadline + "; stdout so far: " + text());
        }
        if (e == END) {
            ended = true;
            return false;
        }
        if (e instanceof StatusRuntimeException s) {
            ended = true;
            throw s;
        }
        if (e instanceof Throwable t) {
            ended = true;
            throw new AssertionError(t);
        }
        ExecResponse r = (ExecResponse) e;
        switch (r.getMsgCase()) {
            case STARTED -> started = r.getStarted();
            case STDOUT -> {
                lostBytes += r.getStdout().getLostBytes();
                stdout.writeBytes(r.getStdout().getData().toByteArray());
            }
            case STDERR -> {
                lostBytes += r.getStderr().getLostBytes();
                stderr.writeBytes(r.getStderr().getData().toByteArray());
            }
            case EXIT -> exit = r.getExit();
            case MSG_NOT_SET -> throw new AssertionError("empty response");
        }
        return true;
    }

    ExecStarted awaitStarted(Duration deadline) throws Exception {
        while (started == null && step(deadline)) {
            // next
        }
        if (started == null) {
            throw new AssertionError("call ended without started");
        }
        return started;
    }

    /** Reads until stdout contains {@code needle}. */
    String awaitOutput(String needle, Duration deadline) throws Exception {
        long end = System.nanoTime() + deadline.toNanos();
        while (!text().contains(needle)) {
            long left = end - System.nanoTime();
            if (left <= 0 || !step(Duration.ofNanos(left))) {
                throw new AssertionError("stdout never showed '" + needle + "': " + text());
            }
        }
        return text();
    }

    /** Reads to the end of the call; returns the exit. */
    ExecExit finish(Duration deadline) throws Exception {
        long end = System.nanoTime() + deadline.toNanos();
        while (step(Duration.ofNanos(Math.max(1, end - System.nanoTime())))) {
            // next
        }
        return exit;
    }

    /** Lets a slow client take {@code n} more responses. */
    void request(int n) {
        requests.request(n);
    }

    String text() {
        return stdout.toString(StandardCharsets.UTF_8);
    }

    /** Half-closes the call: the client sends nothing more. */
    ExecStream halfClose() {
        requests.onCompleted();
        return this;
    }

    void cancel() {
        requests.cancel("test client goes away", null);
    }

    @Override
    public void close() {
        if (!ended) {
            cancel();
        }
    }
}
