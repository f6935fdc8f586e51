package dev.arcbox.client;

import dev.arcbox.api.v1.CheckpointRequest;
import dev.arcbox.api.v1.ExecRequest;
import dev.arcbox.api.v1.ExecutionInfo;
import dev.arcbox.api.v1.InspectSandboxRequest;
import dev.arcbox.api.v1.ListExecutionsRequest;
import dev.arcbox.api.v1.PauseSandboxRequest;
import dev.arcbox.api.v1.RemoveSandboxRequest;
import dev.arcbox.api.v1.ResumeSandboxRequest;
import dev.arcbox.api.v1.RunOutput;
import dev.arcbox.api.v1.SandboxInfo;
import dev.arcbox.api.v1.SignalExecutionRequest;
import dev.arcbox.api.v1.StopSandboxRequest;
import dev.arcbox.api.v1.WaitExecutionRequest;
import io.grpc.Status;
import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One sandbox: run commands, execute interactive processes, move files, checkpoint it, remove it.
 * A handle: it holds only the id, so it is cheap and thread-safe. {@link #close()} removes the
 * sandbox (with its running processes), so {@code try (Sandbox s = …)} leaves nothing behind.
 */
public final class Sandbox implements AutoCloseable {

    private static final Duration READY_POLL = Duration.ofMillis(200);

    private final Calls calls;
    private final String id;

    Sandbox(Calls calls, String id) {
        this.calls = calls;
        this.id = id;
    }

    public String id() {
        return id;
    }

    public SandboxInfo inspect() {
        return Calls.call(() -> calls.sandboxes(calls.unaryDeadline()).inspect(InspectSandboxRequest.newBuilder().setId(id).build()));
    }

    /**
     * Waits until the sandbox is ready; throws FAILED_PRECONDITION if it failed or stopped, and
     * DEADLINE_EXCEEDED after {@code timeout}.
     */
    public Sandbox awaitReady(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            SandboxInfo info = inspect();
            switch (info.getState()) {
                case "ready", "running" -> {
                    return this;
                }
                case "failed", "stopped" -> throw new ArcboxClientException(Status.Code.FAILED_PRECONDITION,
                        "sandbox '" + id + "' is " + info.getState()
                                + (info.getError().isEmpty() ? "" : ": " + info.getError()), null);
                default -> {
                    if (System.nanoTime() > deadline) {
                        throw new ArcboxClientException(Status.Code.DEADLINE_EXCEEDED,
                                "sandbox '" + id + "' not ready within " + timeout.toSeconds() + "s (" + info.getState() + ")", null);
                    }
                    TimeUnit.MILLISECONDS.sleep(READY_POLL.toMillis());
                }
            }
        }
    }

    /** Runs {@code argv} and collects its output. */
    public RunResult run(String... argv) {
        return run(Command.of(argv));
    }

    /**
     * Runs a command (no stdin, no tty) to its end and collects its whole output in memory; for
     * large output use {@link #exec(Command, OutputListener)}. A non-zero exit is not an error:
     * look at {@link RunResult#exitCode()}.
     */
    public RunResult run(Command command) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        RunOutput last = null;
        Iterator<RunOutput> outputs = Calls.call(() -> calls.sandboxStreams().run(command.toRun(id)));
        try {
            while (outputs.hasNext()) {
                RunOutput o = outputs.next();
                switch (o.getStream()) {
                    case "stdout" -> o.getData().writeTo(out);
                    case "stderr" -> o.getData().writeTo(err);
                    default -> {
                        // "exit", or a stream a newer daemon added
                    }
                }
                if ("exit".equals(o.getStream()) || o.getDone()) {
                    last = o;
                }
            }
        } catch (io.grpc.StatusRuntimeException e) {
            throw ArcboxClientException.of(e);
        } catch (java.io.IOException e) {
            throw new IllegalStateException("writing to memory", e);
        }
        if (last == null) {
            throw new ArcboxClientException(Status.Code.INTERNAL, "run in sandbox '" + id + "' ended without an exit status", null);
        }
        return new RunResult(ExitStatus.of(last, out.size(), err.size()), out.toByteArray(), err.toByteArray());
    }

    /** Starts a process whose output is read from {@link Execution#stdout()} and {@link Execution#stderr()}. */
    public Execution exec(Command command) {
        return exec(command, null);
    }

    /** Starts a process whose output goes to {@code listener} as it arrives. */
    public Execution exec(Command command, OutputListener listener) {
        return Execution.open(calls, id, ExecRequest.newBuilder().setStart(command.toStart(id)).build(), listener);
    }

    /**
     * Re-attaches to an execution the guest still holds: its output from the start, as far as the
     * guest's buffer reaches ({@link OutputListener#lost} says what it no longer held), then new output.
     */
    public Execution attach(int executionId, OutputListener listener) {
        return Execution.open(calls, id, Execution.attachRequest(id, executionId), listener);
    }

    /** Executions the guest holds: running, and finished ones not yet released. */
    public List<ExecutionInfo> executions() {
        return Calls.call(() -> calls.processes(calls.unaryDeadline())
                .listExecutions(ListExecutionsRequest.newBuilder().setSandboxId(id).build())).getExecutionsList();
    }

    /** Waits (at most {@code timeout}) for an execution to finish. */
    public ExitStatus waitFor(int executionId, Duration timeout) {
        return ExitStatus.of(Calls.call(() -> calls.processes(timeout)
                .wait(WaitExecutionRequest.newBuilder().setSandboxId(id).setExecutionId(executionId).build())));
    }

    /** Sends a signal to an execution's process group. */
    public void signal(int executionId, int signal) {
        Calls.call(() -> calls.processes(calls.unaryDeadline()).signal(SignalExecutionRequest.newBuilder()
                .setSandboxId(id).setExecutionId(executionId).setSignal(signal).build()));
    }

    public SandboxFiles files() {
        return new SandboxFiles(calls, id);
    }

    /** Snapshots it (it keeps running); restore or fork the snapshot with {@link ArcboxClient#restore}. */
    public Snapshot checkpoint(String name) {
        return Snapshot.of(Calls.call(() -> calls.snapshots(calls.waitDeadline())
                .checkpoint(CheckpointRequest.newBuilder().setSandboxId(id).setName(name == null ? "" : name).build())));
    }

    public SandboxInfo pause() {
        return Calls.call(() -> calls.sandboxes(calls.unaryDeadline()).pause(PauseSandboxRequest.newBuilder().setId(id).build()));
    }

    public SandboxInfo resume() {
        return Calls.call(() -> calls.sandboxes(calls.unaryDeadline()).resume(ResumeSandboxRequest.newBuilder().setId(id).build()));
    }

    public SandboxInfo stop() {
        return Calls.call(() -> calls.sandboxes(calls.waitDeadline()).stop(StopSandboxRequest.newBuilder().setId(id).build()));
    }

    /** Removes it: its VM, disk and address, and any process still running in it. */
    public void remove() {
        Calls.call(() -> calls.sandboxes(calls.waitDeadline()).remove(RemoveSandboxRequest.newBuilder().setId(id).setForce(true).build()));
    }

    /** {@link #remove()}; a sandbox that is already gone is fine. */
    @Override
    public void close() {
        try {
            remove();
        } catch (ArcboxClientException e) {
            if (e.code() != Status.Code.NOT_FOUND) {
                throw e;
            }
        }
    }
}
