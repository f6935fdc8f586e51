package dev.arcbox.daemon;

import com.google.protobuf.ByteString;
import dev.arcbox.api.v1.CreateSandboxRequest;
import dev.arcbox.api.v1.CreateSandboxResponse;
import dev.arcbox.api.v1.Empty;
import dev.arcbox.api.v1.InspectSandboxRequest;
import dev.arcbox.api.v1.ListSandboxesRequest;
import dev.arcbox.api.v1.ListSandboxesResponse;
import dev.arcbox.api.v1.LogChunk;
import dev.arcbox.api.v1.LogsRequest;
import dev.arcbox.api.v1.PauseSandboxRequest;
import dev.arcbox.api.v1.RemoveSandboxRequest;
import dev.arcbox.api.v1.ResumeSandboxRequest;
import dev.arcbox.api.v1.ResourceLimits;
import dev.arcbox.api.v1.RunOutput;
import dev.arcbox.api.v1.RunRequest;
import dev.arcbox.api.v1.SandboxEvent;
import dev.arcbox.api.v1.SandboxEventsRequest;
import dev.arcbox.api.v1.SandboxInfo;
import dev.arcbox.api.v1.SandboxNetwork;
import dev.arcbox.api.v1.SandboxServiceGrpc;
import dev.arcbox.api.v1.SandboxSummary;
import dev.arcbox.api.v1.StartSandboxRequest;
import dev.arcbox.api.v1.StopSandboxRequest;
import dev.arcbox.api.v1.UpdateSandboxRequest;
import dev.arcbox.core.ArcboxException;
import dev.arcbox.core.agent.ExecRequest;
import dev.arcbox.core.agent.Execution;
import dev.arcbox.core.agent.ExitStatus;
import dev.arcbox.core.console.ConsoleLog;
import dev.arcbox.core.metrics.Telemetry;
import dev.arcbox.core.sandbox.SandboxService;
import dev.arcbox.core.sandbox.SandboxState;
import dev.arcbox.core.sandbox.SandboxView;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.function.LongConsumer;

/** SandboxService over gRPC: requests to core calls, core views to messages, errors to statuses. */
final class SandboxApi extends SandboxServiceGrpc.SandboxServiceImplBase {

    private static final int CHUNK = 32 * 1024;
    private final SandboxService sandboxes;

    SandboxApi(SandboxService sandboxes) {
        this.sandboxes = sandboxes;
    }

    @Override
    public void create(CreateSandboxRequest request, StreamObserver<CreateSandboxResponse> out) {
        Calls.unary(out, () -> {
            SandboxView v = sandboxes.create(ProtoSpecs.toSpec(request), !request.getNoStart(), request.getWait());
            return CreateSandboxResponse.newBuilder().setId(v.id()).setState(v.displayState())
                    .setIpAddress(v.ipAddress() == null ? "" : v.ipAddress()).build();
        });
    }

    @Override
    public void inspect(InspectSandboxRequest request, StreamObserver<SandboxInfo> out) {
        Calls.unary(out, () -> info(sandboxes.inspect(request.getId())));
    }

    @Override
    public void list(ListSandboxesRequest request, StreamObserver<ListSandboxesResponse> out) {
        Calls.unary(out, () -> {
            Set<SandboxState> states = EnumSet.noneOf(SandboxState.class);
            boolean runningOnly = false;
            if (!request.getState().isEmpty()) {
                if (request.getState().equals("running")) {
                    states.add(SandboxState.READY);
                    runningOnly = true;
                } else {
                    SandboxState s = SandboxState.parse(request.getState());
                    if (s == null) {
                        throw new ArcboxException.InvalidArgument("state: unknown state '" + request.getState()
                                + "' (starting, ready, running, paused, stopping, stopped, failed)");
                    }
                    states.add(s);
                }
            }
            ListSandboxesResponse.Builder b = ListSandboxesResponse.newBuilder();
            for (SandboxView v : sandboxes.list(states, request.getLabelsMap())) {
                if (runningOnly && v.runningExecutions() == 0) {
                    continue;
                }
                b.addSandboxes(SandboxSummary.newBuilder().setId(v.id()).setState(v.displayState())
                        .putAllLabels(v.labels()).setIpAddress(v.ipAddress() == null ? "" : v.ipAddress())
                        .setCreatedAt(v.createdAt().getEpochSecond()));
            }
            return b.build();
        });
    }

    @Override
    public void stop(StopSandboxRequest request, StreamObserver<SandboxInfo> out) {
        Duration timeout = Duration.ofSeconds(request.getTimeoutSeconds() == 0 ? 30 : request.getTimeoutSeconds());
        Calls.unary(out, () -> info(sandboxes.stop(request.getId(), timeout)));
    }

    @Override
    public void start(StartSandboxRequest request, StreamObserver<SandboxInfo> out) {
        Calls.unary(out, () -> info(sandboxes.start(request.getId(), request.getWait())));
    }

    @Override
    public void remove(RemoveSandboxRequest request, StreamObserver<Empty> out) {
        Calls.unary(out, () -> {
            sandboxes.remove(request.getId(), request.getForce());
            return Empty.getDefaultInstance();
        });
    }

    @Override
    public void updateSandbox(UpdateSandboxRequest request, StreamObserver<SandboxInfo> out) {
        Calls.unary(out, () -> info(sandboxes.update(request.getId(), request.getSetLabelsMap(),
                request.getRemoveLabelsList(),
                request.hasTtlSeconds() ? Optional.of(Duration.ofSeconds(request.getTtlSeconds())) : Optional.empty())));
    }

    @Override
    public void run(RunRequest request, StreamObserver<RunOutput> observer) {
        ServerCallStreamObserver<RunOutput> out = (ServerCallStreamObserver<RunOutput>) observer;
        Execution exec;
        try {
            exec = sandboxes.run(request.getId(), execRequest(request));
        } catch (RuntimeException e) {
            out.onError(Statuses.toStatus(e));
            return;
        }
        FlowGate<RunOutput> gate = new FlowGate<>(out, () -> {
            if (request.getKillOnDisconnect()) {
                exec.signal(9);
            }
        });
        Thread.ofVirtual().name("run-" + exec.id()).start(() -> pump(exec, gate, sandboxes.telemetry()));
    }

    private static ExecRequest execRequest(RunRequest r) {
        if (r.getCmdCount() == 0) {
            throw new ArcboxException.InvalidArgument("cmd: must name a command");
        }
        if (r.getTty()) {
            throw new ArcboxException.InvalidArgument("tty: not supported by Run yet");
        }
        ExecRequest request = new ExecRequest(r.getCmdList(), r.getEnvMap(),
                r.getWorkingDir().isEmpty() ? null : r.getWorkingDir(), Duration.ofSeconds(r.getTimeoutSeconds()), false,
                ExecRequest.DEFAULT_WINDOW);
        return r.getUser().isEmpty() ? request : request.withUser(r.getUser());
    }

    /** Streams stdout and stderr as they come (each read on its own thread), then the exit. */
    private static void pump(Execution exec, FlowGate<RunOutput> gate, Telemetry telemetry) {
        CountDownLatch streams = new CountDownLatch(2);
        Thread.ofVirtual().start(() -> copy(exec.stdout(), "stdout", gate, streams,
                n -> telemetry.execBytes(Telemetry.ExecStream.STDOUT, n)));
        Thread.ofVirtual().start(() -> copy(exec.stderr(), "stderr", gate, streams,
                n -> telemetry.execBytes(Telemetry.ExecStream.STDERR, n)));
        try {
            streams.await();
            ExitStatus status = exec.exit().join();
            RunOutput.Builder exit = RunOutput.newBuilder().setStream("exit").setDone(true).setTimedOut(status.timedOut());
            if (status.exitCode() != null) {
                exit.setExitCode(status.exitCode());
            } else if (status.signal() != null) {
                exit.setSignal(status.signal()).setExitCode(128 + status.signal());
            }
            gate.send(exit.build());
            gate.complete();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            gate.error(new ArcboxException.Unavailable("run interrupted", e));
        } catch (RuntimeException e) {
            gate.error(e);
        }
    }

    /** Forwards one output stream; after a cancel keeps draining so the process is never stalled. */
    private static void copy(InputStream in, String name, FlowGate<RunOutput> gate, CountDownLatch done,
            LongConsumer counted) {
        byte[] buf = new byte[CHUNK];
        try {
            int n;
            while ((n = in.read(buf)) > 0) {
                counted.accept(n);
                if (!gate.cancelled()) {
                    gate.send(RunOutput.newBuilder().setStream(name).setData(ByteString.copyFrom(buf, 0, n)).build());
                }
            }
        } catch (IOException e) {
            // the agent connection ended; the exit future reports it
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            done.countDown();
        }
    }

    @Override
    public void pause(PauseSandboxRequest request, StreamObserver<SandboxInfo> out) {
        Calls.unary(out, () -> info(sandboxes.pause(request.getId())));
    }

    @Override
    public void resume(ResumeSandboxRequest request, StreamObserver<SandboxInfo> out) {
        Calls.unary(out, () -> info(sandboxes.resume(request.getId())));
    }

    @Override
    public void logs(LogsRequest request, StreamObserver<LogChunk> observer) {
        ConsoleLog log;
        try {
            log = sandboxes.console(request.getId());
        } catch (RuntimeException e) {
            observer.onError(Statuses.toStatus(e));
            return;
        }
        new LogStream(log, request, (ServerCallStreamObserver<LogChunk>) observer).start();
    }

    @Override
    public void events(SandboxEventsRequest request, StreamObserver<SandboxEvent> observer) {
        new EventStream(sandboxes.events(), request, (ServerCallStreamObserver<SandboxEvent>) observer).start();
    }

    static SandboxInfo info(SandboxView v) {
        SandboxInfo.Builder b = SandboxInfo.newBuilder()
                .setId(v.id())
                .setUid(v.uid())
                .setState(v.displayState())
                .putAllLabels(v.labels())
                .setLimits(ResourceLimits.newBuilder().setVcpus(v.vcpus()).setMemoryMib(v.memoryMib()))
                .setNetwork(SandboxNetwork.newBuilder().setMode(v.network())
                        .setIpAddress(v.ipAddress() == null ? "" : v.ipAddress())
                        .setTapName(v.network().equals("tap") ? "abx" + v.uid() : "")
                        .setGateway(v.network().equals("tap") && v.gateway() != null ? v.gateway() : "")
                        .setMac(v.mac() == null ? "" : v.mac()))
                .setCreatedAt(v.createdAt().getEpochSecond())
                .setGeneration(v.generation())
                .setRunningExecutions(v.runningExecutions())
                .setDriver(v.driver())
                .setVmmPid(v.vmmPid())
                .setConsoleLogBytes(v.consoleLogBytes())
                .setIdleAction(v.idleAction().token())
                .setCgroup(v.cgroup())
                .setDiskBytes(v.diskBytes())
                .setDiskSize(v.diskSize());
        v.vmmMetrics().forEach((k, n) -> b.putVmmMetrics(k, Long.toString(n)));
        if (v.idleTimeout() != null) {
            b.setIdleTimeoutSeconds((int) Math.min(Integer.MAX_VALUE, v.idleTimeout().toSeconds()));
        }
        if (v.lastActivityAt() != null) {
            b.setLastActivityAt(v.lastActivityAt().getEpochSecond());
        }
        if (v.readyAt() != null) {
            b.setReadyAt(v.readyAt().getEpochSecond());
        }
        if (v.bootTime() != null) {
            b.setBootMillis(v.bootTime().toMillis());
        }
        if (v.ttlDeadline() != null) {
            b.setTtlDeadline(v.ttlDeadline().getEpochSecond());
        }
        if (v.reason() != null) {
            b.setError(v.reason());
        }
        for (var f : v.portForwards()) {
            b.addPortForwards(dev.arcbox.api.v1.PortForward.newBuilder().setHostAddress(f.hostAddress())
                    .setHostPort(f.hostPort()).setGuestPort(f.guestPort()));
        }
        b.setEgress(dev.arcbox.api.v1.EgressSpec.newBuilder().setDenyInternet(!v.egress().allowInternet())
                .addAllAllowCidrs(v.egress().allowCidrs()).addAllDenyCidrs(v.egress().denyCidrs()));
        return b.build();
    }

}
