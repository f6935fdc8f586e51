package dev.arcbox.daemon;

import dev.arcbox.api.v1.Empty;
import dev.arcbox.api.v1.ExecExit;
import dev.arcbox.api.v1.ExecResponse;
import dev.arcbox.api.v1.ExecutionInfo;
import dev.arcbox.api.v1.ListExecutionsRequest;
import dev.arcbox.api.v1.ListExecutionsResponse;
import dev.arcbox.api.v1.ProcessServiceGrpc;
import dev.arcbox.api.v1.SignalExecutionRequest;
import dev.arcbox.api.v1.WaitExecutionRequest;
import dev.arcbox.core.ArcboxException;
import dev.arcbox.core.agent.ExitStatus;
import dev.arcbox.core.sandbox.SandboxService;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * ProcessService over gRPC: interactive executions ({@link ExecCall}), and list, wait and signal by execution id.
 * The guest agent is the source of truth for executions (it holds them across daemon restarts), so these calls ask
 * it rather than a daemon-side table.
 */
final class ProcessApi extends ProcessServiceGrpc.ProcessServiceImplBase {

    private static final Duration AGENT_DEADLINE = Duration.ofSeconds(30);
    /** Wait without a call deadline still ends, so no call waits forever. */
    private static final Duration MAX_WAIT = Duration.ofHours(24);
    private static final int MAX_SIGNAL = 64;

    private final SandboxService sandboxes;

    ProcessApi(SandboxService sandboxes) {
        this.sandboxes = sandboxes;
    }

    @Override
    public StreamObserver<dev.arcbox.api.v1.ExecRequest> exec(StreamObserver<ExecResponse> observer) {
        return new ExecCall(sandboxes, (ServerCallStreamObserver<ExecResponse>) observer);
    }

    @Override
    public void listExecutions(ListExecutionsRequest request, StreamObserver<ListExecutionsResponse> out) {
        Calls.unary(out, () -> {
            ListExecutionsResponse.Builder b = ListExecutionsResponse.newBuilder();
            for (var e : sandboxes.guest(request.getSandboxId()).executions(AGENT_DEADLINE)) {
                ExecutionInfo.Builder i = ExecutionInfo.newBuilder().setExecutionId(e.id()).setPid((int) e.pid())
                        .addAllCmd(e.argv()).setRunning(e.running()).setTty(e.tty()).setAttached(e.attached())
                        .setStartedAt(e.startedAt());
                if (e.exit() != null) {
                    i.setExit(exit(e.exit()));
                }
                b.addExecutions(i);
            }
            return b.build();
        });
    }

    @Override
    public void wait(WaitExecutionRequest request, StreamObserver<ExecExit> out) {
        Calls.unary(out, () -> {
            requireId(request.getExecutionId());
            return exit(sandboxes.guest(request.getSandboxId()).waitFor(request.getExecutionId(), callDeadline()));
        });
    }

    @Override
    public void signal(SignalExecutionRequest request, StreamObserver<Empty> out) {
        Calls.unary(out, () -> {
            requireId(request.getExecutionId());
            if (request.getSignal() < 1 || request.getSignal() > MAX_SIGNAL) {
                throw new ArcboxException.InvalidArgument("signal: must be 1.." + MAX_SIGNAL + ", got "
                        + Integer.toUnsignedString(request.getSignal()));
            }
            sandboxes.guest(request.getSandboxId()).signal(request.getExecutionId(), request.getSignal(), AGENT_DEADLINE);
            return Empty.getDefaultInstance();
        });
    }

    static ExecExit exit(ExitStatus status) {
        ExecExit.Builder exit = ExecExit.newBuilder().setTimedOut(status.timedOut())
                .setStdoutTotal(status.stdoutTotal()).setStderrTotal(status.stderrTotal());
        if (status.exitCode() != null) {
            exit.setExitCode(status.exitCode());
        } else if (status.signal() != null) {
            exit.setSignal(status.signal()).setExitCode(128 + status.signal());
        }
        return exit.build();
    }

    private static void requireId(int id) {
        if (id == 0) {
            throw new ArcboxException.InvalidArgument("execution_id: must be set");
        }
    }

    /** What is left of the call's deadline (a little less, so the answer still arrives), or {@link #MAX_WAIT}. */
    private static Duration callDeadline() {
        Deadline d = Context.current().getDeadline();
        if (d == null) {
            return MAX_WAIT;
        }
        long ms = d.timeRemaining(TimeUnit.MILLISECONDS) - 200;
        return Duration.ofMillis(Math.max(1, Math.min(ms, MAX_WAIT.toMillis())));
    }
}
