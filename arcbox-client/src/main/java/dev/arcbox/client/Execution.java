package dev.arcbox.client;

import com.google.protobuf.ByteString;
import dev.arcbox.api.v1.ExecAttach;
import dev.arcbox.api.v1.ExecRequest;
import dev.arcbox.api.v1.ExecResponse;
import dev.arcbox.api.v1.ExecStarted;
import dev.arcbox.api.v1.OutputChunk;
import dev.arcbox.api.v1.WindowSize;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One process in a sandbox, streamed: write its stdin, read its output (as {@link InputStream}s
 * or through an {@link OutputListener}), resize its terminal, signal it, and wait for its
 * {@link ExitStatus}. Flow-controlled both ways: writes wait while the daemon is not ready for
 * more, and output that is not read holds back the process.
 *
 * <p>{@link #close()} ends the call: the process keeps running, detached (it can be re-attached
 * with {@link Sandbox#attach}), unless its command asked for kill on disconnect. Thread-safe.
 */
public final class Execution implements AutoCloseable {

    /** Unread output held per stream before the process is held back. */
    static final long PIPE_CAPACITY = 1 << 20;
    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
    private static final long READY_POLL_MILLIS = 50;

    private final String sandboxId;
    private final OutputListener listener;
    private final ChunkPipe stdoutPipe;
    private final ChunkPipe stderrPipe;
    private final CompletableFuture<ExecStarted> started = new CompletableFuture<>();
    private final CompletableFuture<ExitStatus> exit = new CompletableFuture<>();
    private final Object sendLock = new Object();
    private final Stdin stdin = new Stdin();
    private volatile ClientCallStreamObserver<ExecRequest> requests;

    private Execution(String sandboxId, OutputListener listener) {
        this.sandboxId = sandboxId;
        if (listener == null) {
            this.stdoutPipe = new ChunkPipe(PIPE_CAPACITY);
            this.stderrPipe = new ChunkPipe(PIPE_CAPACITY);
            this.listener = new OutputListener() {
                @Override
                public void stdout(byte[] data) {
                    put(stdoutPipe, data);
                }

                @Override
                public void stderr(byte[] data) {
                    put(stderrPipe, data);
                }
            };
        } else {
            this.stdoutPipe = null;
            this.stderrPipe = null;
            this.listener = listener;
        }
    }

    /** Starts the call with {@code first} (start or attach); returns once the daemon said started. */
    static Execution open(Calls calls, String sandboxId, ExecRequest first, OutputListener listener) {
        Execution execution = new Execution(sandboxId, listener);
        calls.processStreams().exec(execution.new Responses());
        execution.requests.onNext(first);
        try {
            execution.started.get(START_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw ArcboxClientException.of(e.getCause());
        } catch (TimeoutException e) {
            execution.requests.cancel("no answer to exec", null);
            throw new ArcboxClientException(Status.Code.DEADLINE_EXCEEDED,
                    "exec in sandbox '" + sandboxId + "': no answer within " + START_TIMEOUT.toSeconds() + "s", e);
        } catch (InterruptedException e) {
            execution.requests.cancel("interrupted", e);
            Thread.currentThread().interrupt();
            throw new ArcboxClientException(Status.Code.CANCELLED, "exec in sandbox '" + sandboxId + "': interrupted", e);
        }
        return execution;
    }

    static ExecRequest attachRequest(String sandboxId, int executionId) {
        return ExecRequest.newBuilder()
                .setAttach(ExecAttach.newBuilder().setSandboxId(sandboxId).setExecutionId(executionId))
                .build();
    }

    public String sandboxId() {
        return sandboxId;
    }

    /** The id the guest gave it; use it to re-attach, wait for or signal it from elsewhere. */
    public int id() {
        return started.join().getExecutionId();
    }

    /** Its pid in the guest. */
    public int pid() {
        return started.join().getPid();
    }

    /**
     * Its stdin (when started {@link Command#withStdin()}): writes are sent in order, waiting while
     * the daemon is not ready; {@code close()} sends EOF.
     */
    public OutputStream stdin() {
        return stdin;
    }

    /** Its stdout (the terminal's output with a tty), when no {@link OutputListener} was given. */
    public InputStream stdout() {
        if (stdoutPipe == null) {
            throw new IllegalStateException("output goes to the OutputListener given to exec");
        }
        return stdoutPipe;
    }

    /** Its stderr, when no {@link OutputListener} was given; empty with a tty. */
    public InputStream stderr() {
        if (stderrPipe == null) {
            throw new IllegalStateException("output goes to the OutputListener given to exec");
        }
        return stderrPipe;
    }

    /** Its terminal's new size (tty only). */
    public void resize(int rows, int cols) {
        control(ExecRequest.newBuilder().setResize(WindowSize.newBuilder().setRows(rows).setCols(cols)).build());
    }

    /** Sends signal {@code signal} (1..64) to its process group. */
    public void signal(int signal) {
        if (signal < 1 || signal > 64) {
            throw new IllegalArgumentException("signal: must be 1..64, got " + signal);
        }
        control(ExecRequest.newBuilder().setSignal(signal).build());
    }

    /** Completes with its exit status; exceptionally with {@link ArcboxClientException} if the call failed. */
    public CompletableFuture<ExitStatus> exit() {
        return exit;
    }

    /** Waits for it to exit. */
    public ExitStatus waitFor(Duration timeout) throws InterruptedException, TimeoutException {
        try {
            return exit.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw ArcboxClientException.of(e.getCause());
        }
    }

    /**
     * Ends the call before the exit: the process keeps running (unless started with kill on
     * disconnect) and {@link #exit()} fails with CANCELLED. A no-op once it exited.
     */
    public void detach() {
        if (!exit.isDone()) {
            requests.cancel("client detached from the execution", null);
        }
    }

    /** {@link #detach()}, and stops reading its output. */
    @Override
    public void close() {
        detach();
        if (stdoutPipe != null) {
            stdoutPipe.close();
            stderrPipe.close();
        }
    }

    /** A control message; ignored once the process exited (there is nothing left to control). */
    private void control(ExecRequest request) {
        try {
            send(request);
        } catch (IOException e) {
            // the execution has ended: a late resize or signal has no one to reach
        }
    }

    private void send(ExecRequest request) throws IOException {
        synchronized (sendLock) {
            try {
                while (!requests.isReady() && !exit.isDone()) {
                    sendLock.wait(READY_POLL_MILLIS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("sending to execution in sandbox '" + sandboxId + "'");
            }
            if (exit.isDone()) {
                throw new IOException("execution in sandbox '" + sandboxId + "' has ended");
            }
            requests.onNext(request);
        }
    }

    private void put(ChunkPipe pipe, byte[] data) {
        try {
            pipe.put(data);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void end(Throwable failure) {
        if (stdoutPipe != null) {
            stdoutPipe.finish(failure);
            stderrPipe.finish(failure);
        }
        synchronized (sendLock) {
            sendLock.notifyAll();
        }
    }

    private static void deliver(OutputChunk chunk, String stream, OutputListener to) {
        if (chunk.getLostBytes() > 0) {
            to.lost(stream, chunk.getLostBytes());
        }
        if (!chunk.getData().isEmpty()) {
            byte[] data = chunk.getData().toByteArray();
            if ("stdout".equals(stream)) {
                to.stdout(data);
            } else {
                to.stderr(data);
            }
        }
    }

    /** The call's response side. */
    private final class Responses implements ClientResponseObserver<ExecRequest, ExecResponse> {
        @Override
        public void beforeStart(ClientCallStreamObserver<ExecRequest> stream) {
            requests = stream;
            stream.setOnReadyHandler(() -> {
                synchronized (sendLock) {
                    sendLock.notifyAll();
                }
            });
        }

        @Override
        public void onNext(ExecResponse response) {
            switch (response.getMsgCase()) {
                case STARTED -> started.complete(response.getStarted());
                case STDOUT -> deliver(response.getStdout(), "stdout", listener);
                case STDERR -> deliver(response.getStderr(), "stderr", listener);
                case EXIT -> {
                    exit.complete(ExitStatus.of(response.getExit()));
                    end(null);
                }
                case MSG_NOT_SET -> {
                    // a message kind a newer daemon added: not ours to handle
                }
            }
        }

        @Override
        public void onError(Throwable t) {
            ArcboxClientException e = ArcboxClientException.of(t);
            started.completeExceptionally(e);
            exit.completeExceptionally(e);
            end(e);
        }

        @Override
        public void onCompleted() {
            ArcboxClientException e = new ArcboxClientException(Status.Code.INTERNAL,
                    "exec in sandbox '" + sandboxId + "' ended without an exit status", null);
            started.completeExceptionally(e);
            if (exit.completeExceptionally(e)) {
                end(e);
            }
        }
    }

    /** stdin as an OutputStream: each write is one message (split at 1 MiB). */
    private final class Stdin extends OutputStream {
        private static final int MAX_CHUNK = 1 << 20;
        private boolean closed;

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            java.util.Objects.checkFromIndexSize(off, len, b.length);
            if (closed) {
                throw new IOException("stdin of the execution is closed");
            }
            for (int at = off; at < off + len; at += MAX_CHUNK) {
                int n = Math.min(MAX_CHUNK, off + len - at);
                send(ExecRequest.newBuilder().setStdin(ByteString.copyFrom(b, at, n)).build());
            }
        }

        @Override
        public void close() throws IOException {
            if (!closed) {
                closed = true;
                if (!exit.isDone()) {
                    send(ExecRequest.newBuilder().setStdinEof(true).build());
                }
            }
        }
    }
}
