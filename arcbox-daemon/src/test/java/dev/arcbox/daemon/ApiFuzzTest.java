package dev.arcbox.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.arcbox.api.v1.BalloonSpec;
import dev.arcbox.api.v1.CheckpointRequest;
import dev.arcbox.api.v1.CreateSandboxRequest;
import dev.arcbox.api.v1.DeleteSnapshotRequest;
import dev.arcbox.api.v1.DriveSpec;
import dev.arcbox.api.v1.EgressSpec;
import dev.arcbox.api.v1.ExecAttach;
import dev.arcbox.api.v1.ExecRequest;
import dev.arcbox.api.v1.ExecStart;
import dev.arcbox.api.v1.FilesServiceGrpc;
import dev.arcbox.api.v1.HealthRequest;
import dev.arcbox.api.v1.InfoRequest;
import dev.arcbox.api.v1.InspectSandboxRequest;
import dev.arcbox.api.v1.InspectSnapshotRequest;
import dev.arcbox.api.v1.ListDirRequest;
import dev.arcbox.api.v1.ListExecutionsRequest;
import dev.arcbox.api.v1.ListSandboxesRequest;
import dev.arcbox.api.v1.ListSnapshotsRequest;
import dev.arcbox.api.v1.LogsRequest;
import dev.arcbox.api.v1.MakeDirRequest;
import dev.arcbox.api.v1.MemoryHotplugSpec;
import dev.arcbox.api.v1.MmdsSpec;
import dev.arcbox.api.v1.Mount;
import dev.arcbox.api.v1.NetworkSpec;
import dev.arcbox.api.v1.PauseSandboxRequest;
import dev.arcbox.api.v1.PortForward;
import dev.arcbox.api.v1.ProcessServiceGrpc;
import dev.arcbox.api.v1.PruneSnapshotsRequest;
import dev.arcbox.api.v1.RateLimit;
import dev.arcbox.api.v1.ReadFileRequest;
import dev.arcbox.api.v1.RemoveFileRequest;
import dev.arcbox.api.v1.RemoveSandboxRequest;
import dev.arcbox.api.v1.RenameRequest;
import dev.arcbox.api.v1.ResourceLimits;
import dev.arcbox.api.v1.RestoreRequest;
import dev.arcbox.api.v1.ResumeSandboxRequest;
import dev.arcbox.api.v1.RunRequest;
import dev.arcbox.api.v1.SandboxEventsRequest;
import dev.arcbox.api.v1.SandboxServiceGrpc;
import dev.arcbox.api.v1.SignalExecutionRequest;
import dev.arcbox.api.v1.SnapshotServiceGrpc;
import dev.arcbox.api.v1.StartSandboxRequest;
import dev.arcbox.api.v1.StatRequest;
import dev.arcbox.api.v1.StopSandboxRequest;
import dev.arcbox.api.v1.SystemServiceGrpc;
import dev.arcbox.api.v1.TokenBucket;
import dev.arcbox.api.v1.UpdateSandboxRequest;
import dev.arcbox.api.v1.VsockSpec;
import dev.arcbox.api.v1.WaitExecutionRequest;
import dev.arcbox.api.v1.WindowSize;
import dev.arcbox.api.v1.WriteFileHeader;
import dev.arcbox.api.v1.WriteFileRequest;
import dev.arcbox.core.fs.FileTree;
import dev.arcbox.core.testing.TestRun;
import io.grpc.MethodDescriptor;
import io.grpc.ServiceDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * API fuzzing against a real daemon: seeded random and mutated requests to every RPC of
 * SandboxService, SnapshotService, SystemService, ProcessService and FilesService (the test checks
 * the table against the services' descriptors, so a new RPC cannot be forgotten). Each answer must
 * be OK or a documented code
 * (docs/api.md §5) — never INTERNAL or UNKNOWN — and a refused request must change nothing (the
 * sandboxes, their states and labels, and the snapshots are compared before and after). The seed
 * is printed; rerun one with {@code -Darcbox.fuzz.seed=N}.
 *
 * <p>To fuzz a new RPC, add one {@link Rpc} to {@link #rpcs()}: its name, whether an accepted call
 * may change state, and a call that builds a random request from {@link FuzzInput} and sends it.
 */
@Tag("vm")
@Tag("fuzz")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class ApiFuzzTest {

    private static final Set<Status.Code> DOCUMENTED = EnumSet.of(Status.Code.OK, Status.Code.INVALID_ARGUMENT,
            Status.Code.NOT_FOUND, Status.Code.FAILED_PRECONDITION, Status.Code.ALREADY_EXISTS,
            Status.Code.RESOURCE_EXHAUSTED, Status.Code.OUT_OF_RANGE, Status.Code.UNIMPLEMENTED);

    /**
     * Codes documented for one RPC beyond {@link #DOCUMENTED}: those that carry the guest's own
     * answer (docs/api.md §5) — running "." or "/" in the guest is EACCES there.
     */
    private static final Map<String, Set<Status.Code>> DOCUMENTED_FOR = guestCodes("SandboxService/Run",
            "ProcessService/Exec", "ProcessService/ListExecutions", "ProcessService/Wait", "ProcessService/Signal",
            "FilesService/WriteFile", "FilesService/ReadFile", "FilesService/Stat", "FilesService/ListDir",
            "FilesService/MakeDir", "FilesService/Remove", "FilesService/Rename");

    /** The services whose every method the table must fuzz. */
    private static final List<ServiceDescriptor> SERVICES = List.of(SandboxServiceGrpc.getServiceDescriptor(),
            SnapshotServiceGrpc.getServiceDescriptor(), SystemServiceGrpc.getServiceDescriptor(),
            ProcessServiceGrpc.getServiceDescriptor(), FilesServiceGrpc.getServiceDescriptor());

    private static Map<String, Set<Status.Code>> guestCodes(String... rpcs) {
        Map<String, Set<Status.Code>> codes = new TreeMap<>();
        for (String rpc : rpcs) {
            codes.put(rpc, EnumSet.of(Status.Code.PERMISSION_DENIED));
        }
        return codes;
    }

    private final long seed = Long.getLong("arcbox.fuzz.seed", new SecureRandom().nextLong());
    private final int requests = Integer.getInteger("arcbox.fuzz.requests", 10_000);
    private DaemonProcess daemon;
    private Path ramDir;
    private String base;
    private String keep;
    private String golden;

    /**
     * One fuzzed RPC.
     *
     * @param name service/method, for the report
     * @param mutates whether an accepted call may change sandboxes or snapshots
     * @param streaming whether the call is a server stream read under a short deadline of ours
     *     (so DEADLINE_EXCEEDED is our own deadline, not the daemon's answer)
     * @param call sends one random request
     */
    record Rpc(String name, boolean mutates, boolean streaming, Consumer<FuzzInput> call) {}

    @BeforeAll
    void start() throws Exception {
        TestRun.assumeQemuHost();
        System.out.println("ApiFuzzTest: seed " + seed + " (-Darcbox.fuzz.seed=" + seed + "), " + requests + " requests");
        ramDir = Path.of("/dev/shm/abx-test-" + TestRun.id() + "-fuzz");
        daemon = new DaemonProcess("fuzz-" + TestRun.id(), DaemonProcess.netns(), "", ramDir, 3).start();
        base = "fz-base";
        keep = "fz-keep";
        sandboxes().create(CreateSandboxRequest.newBuilder().setId(base).setWait(true)
                .setLimits(ResourceLimits.newBuilder().setVcpus(1).setMemoryMib(128))
                .setNetwork(NetworkSpec.newBuilder().setMode("none")).build());
        golden = snapshots().checkpoint(CheckpointRequest.newBuilder().setSandboxId(base).setName("golden").build())
                .getSnapshotId();
        resetWorld();
    }

    @AfterAll
    void stop() throws Exception {
        if (daemon == null) {
            return;
        }
        try {
            for (var s : sandboxes().list(ListSandboxesRequest.getDefaultInstance()).getSandboxesList()) {
                sandboxes().remove(RemoveSandboxRequest.newBuilder().setId(s.getId()).setForce(true).build());
            }
            for (var s : snapshots().list(ListSnapshotsRequest.getDefaultInstance()).getSnapshotsList()) {
                snapshots().delete(DeleteSnapshotRequest.newBuilder().setSnapshotId(s.getId()).build());
            }
            assertThat(FaultInjectionTest.qemuProcessesOf(daemon.dataDir)).as("QEMU processes left").isEmpty();
        } finally {
            daemon.close();
            FileTree.delete(ramDir);
        }
    }

    private SandboxServiceGrpc.SandboxServiceBlockingStub sandboxes() {
        return SandboxServiceGrpc.newBlockingStub(daemon.channel()).withDeadlineAfter(2, TimeUnit.MINUTES);
    }

    private SnapshotServiceGrpc.SnapshotServiceBlockingStub snapshots() {
        return SnapshotServiceGrpc.newBlockingStub(daemon.channel()).withDeadlineAfter(2, TimeUnit.MINUTES);
    }

    /** Ids a request may name so that it gets past "not found" (the golden sandbox stays out of reach of destruction). */
    private List<String> known() {
        return List.of(base, keep, golden);
    }

    private List<String> notBase() {
        return List.of(keep, golden);
    }

    // ------------------------------------------------------------------------------------------
    // the table: one entry per RPC

    List<Rpc> rpcs() {
        return List.of(
                new Rpc("SandboxService/Create", true, false, in -> sandboxes().create(create(in))),
                new Rpc("SandboxService/Inspect", false, false,
                        in -> sandboxes().inspect(InspectSandboxRequest.newBuilder().setId(in.id()).build())),
                new Rpc("SandboxService/List", false, false, in -> sandboxes().list(ListSandboxesRequest.newBuilder()
                        .setState(in.chance(50) ? in.string() : "").putAllLabels(in.labels()).build())),
                new Rpc("SandboxService/Stop", true, false, in -> sandboxes().stop(StopSandboxRequest.newBuilder()
                        .setId(pick(in, notBase())).setTimeoutSeconds(in.int32()).build())),
                // never the stopped sandbox: starting it would cold-boot a VM with a random spec
                new Rpc("SandboxService/Start", true, false, in -> sandboxes().start(StartSandboxRequest.newBuilder()
                        .setId(notKeep(pick(in, List.of(base, golden)))).setWait(in.chance(50)).build())),
                new Rpc("SandboxService/Remove", true, false, in -> sandboxes().remove(RemoveSandboxRequest.newBuilder()
                        .setId(pick(in, notBase())).setForce(in.chance(50)).build())),
                new Rpc("SandboxService/UpdateSandbox", true, false, in -> {
                    var b = UpdateSandboxRequest.newBuilder().setId(in.id()).putAllSetLabels(in.labels())
                            .addAllRemoveLabels(in.strings(3));
                    if (in.chance(30)) {
                        b.setTtlSeconds(in.chance(50) ? 0 : in.int32());
                    }
                    sandboxes().updateSandbox(b.build());
                }),
                new Rpc("SandboxService/Run", false, true, in -> drain(SandboxServiceGrpc.newBlockingStub(daemon.channel())
                        .withDeadlineAfter(20, TimeUnit.SECONDS).run(RunRequest.newBuilder().setId(in.id())
                                .addAllCmd(in.chance(20) ? List.of("true") : in.strings(3)).putAllEnv(in.labels())
                                .setWorkingDir(in.chance(70) ? "" : in.string()).setUser(in.chance(70) ? "" : in.string())
                                .setTty(in.chance(10)).setTimeoutSeconds(in.chance(50) ? 5 : in.int32())
                                .setKillOnDisconnect(true).build()))),
                new Rpc("SandboxService/Events", false, true, in -> drain(SandboxServiceGrpc.newBlockingStub(daemon.channel())
                        .withDeadlineAfter(200, TimeUnit.MILLISECONDS).events(SandboxEventsRequest.newBuilder()
                                .setId(in.chance(50) ? "" : in.id()).setAction(in.chance(50) ? "" : in.string())
                                .setFromSeq(in.int64()).build()))),
                new Rpc("SandboxService/Pause", true, false,
                        in -> sandboxes().pause(PauseSandboxRequest.newBuilder().setId(in.id()).build())),
                new Rpc("SandboxService/Resume", true, false,
                        in -> sandboxes().resume(ResumeSandboxRequest.newBuilder().setId(in.id()).build())),
                new Rpc("SnapshotService/Checkpoint", true, false, in -> snapshots().checkpoint(CheckpointRequest.newBuilder()
                        // a valid checkpoint writes the guest's memory out: keep it rare
                        .setSandboxId(in.chance(3) ? base : pick(in, notBase())).setName(in.string())
                        .putAllLabels(in.labels()).build())),
                new Rpc("SnapshotService/Restore", true, false, in -> snapshots().restore(RestoreRequest.newBuilder()
                        .setId(in.id()).setSnapshotId(in.chance(60) ? golden : in.string()).putAllLabels(in.labels())
                        .setNetworkOverride(in.chance(50)).setTtlSeconds(in.int32()).setCount(in.int32()).build())),
                new Rpc("SnapshotService/List", false, false, in -> snapshots().list(ListSnapshotsRequest.newBuilder()
                        .setSandboxId(in.chance(50) ? "" : in.id()).putAllLabels(in.labels()).build())),
                new Rpc("SnapshotService/Inspect", false, false, in -> snapshots().inspect(
                        InspectSnapshotRequest.newBuilder().setSnapshotId(in.id()).build())),
                new Rpc("SnapshotService/Delete", true, false, in -> snapshots().delete(
                        DeleteSnapshotRequest.newBuilder().setSnapshotId(pick(in, List.of(base, keep))).build())),
                new Rpc("SystemService/Info", false, false, in -> SystemServiceGrpc.newBlockingStub(daemon.channel())
                        .withDeadlineAfter(1, TimeUnit.MINUTES).info(InfoRequest.getDefaultInstance())),
                new Rpc("SystemService/Health", false, false, in -> SystemServiceGrpc.newBlockingStub(daemon.channel())
                        .withDeadlineAfter(1, TimeUnit.MINUTES).health(HealthRequest.getDefaultInstance())),
                new Rpc("SandboxService/Logs", false, true, in -> drain(SandboxServiceGrpc.newBlockingStub(daemon.channel())
                        .withDeadlineAfter(300, TimeUnit.MILLISECONDS).logs(LogsRequest.newBuilder().setId(in.id())
                                .setFollow(in.chance(50)).setTailBytes(in.chance(50) ? 0 : in.int64()).build()))),
                new Rpc("SnapshotService/Prune", true, false, in -> {
                    var b = PruneSnapshotsRequest.newBuilder().setOlderThanSeconds(in.chance(50) ? 0 : in.int64())
                            .putAllLabels(in.labels()).setDryRun(in.chance(50));
                    if (!b.getDryRun()) {
                        b.putLabels("fz-prune", "x"); // the golden snapshot has no labels: never pruned
                    }
                    snapshots().prune(b.build());
                }),
                new Rpc("ProcessService/Exec", false, false, this::exec),
                new Rpc("ProcessService/ListExecutions", false, false, in -> processes().listExecutions(
                        ListExecutionsRequest.newBuilder().setSandboxId(guestId(in)).build())),
                // a wait on a running execution ends at our own deadline
                new Rpc("ProcessService/Wait", false, true, in -> ProcessServiceGrpc.newBlockingStub(daemon.channel())
                        .withDeadlineAfter(3, TimeUnit.SECONDS).wait(WaitExecutionRequest.newBuilder()
                                .setSandboxId(guestId(in)).setExecutionId(executionId(in)).build())),
                new Rpc("ProcessService/Signal", false, false, in -> processes().signal(SignalExecutionRequest.newBuilder()
                        .setSandboxId(guestId(in)).setExecutionId(executionId(in)).setSignal(in.int32()).build())),
                new Rpc("FilesService/WriteFile", false, false, this::writeFile),
                new Rpc("FilesService/ReadFile", false, true, in -> drain(FilesServiceGrpc.newBlockingStub(daemon.channel())
                        .withDeadlineAfter(5, TimeUnit.SECONDS).readFile(ReadFileRequest.newBuilder().setSandboxId(guestId(in))
                                .setPath(readPath(in)).setOffset(in.chance(70) ? 0 : in.int64())
                                .setLength(in.chance(50) ? 0 : in.int64()).build()))),
                new Rpc("FilesService/Stat", false, false, in -> files().stat(StatRequest.newBuilder()
                        .setSandboxId(guestId(in)).setPath(readPath(in)).build())),
                new Rpc("FilesService/ListDir", false, false, in -> files().listDir(ListDirRequest.newBuilder()
                        .setSandboxId(guestId(in)).setPath(readPath(in)).build())),
                new Rpc("FilesService/MakeDir", false, false, in -> files().makeDir(MakeDirRequest.newBuilder()
                        .setSandboxId(guestId(in)).setPath(writePath(in)).setMode(in.chance(50) ? 0 : in.int32())
                        .setParents(in.chance(50)).setOwner(in.chance(70) ? "" : in.string()).build())),
                new Rpc("FilesService/Remove", false, false, in -> files().remove(RemoveFileRequest.newBuilder()
                        .setSandboxId(guestId(in)).setPath(writePath(in)).setRecursive(in.chance(50)).build())),
                new Rpc("FilesService/Rename", false, false, in -> files().rename(RenameRequest.newBuilder()
                        .setSandboxId(guestId(in)).setFrom(writePath(in)).setTo(writePath(in)).setOverwrite(in.chance(50))
                        .build())));
    }

    private ProcessServiceGrpc.ProcessServiceBlockingStub processes() {
        return ProcessServiceGrpc.newBlockingStub(daemon.channel()).withDeadlineAfter(1, TimeUnit.MINUTES);
    }

    private FilesServiceGrpc.FilesServiceBlockingStub files() {
        return FilesServiceGrpc.newBlockingStub(daemon.channel()).withDeadlineAfter(1, TimeUnit.MINUTES);
    }

    /** For a call into a guest: mostly the running base sandbox, so most calls get past the id and reach the agent. */
    private String guestId(FuzzInput in) {
        return in.chance(60) ? base : in.id();
    }

    /** A command that exists in the guest and ends by itself. */
    private static List<String> command(FuzzInput in) {
        return switch (in.random().nextInt(4)) {
            case 0 -> List.of("true");
            case 1 -> List.of("echo", in.string());
            case 2 -> List.of("sh", "-c", "exit 3");
            default -> List.of("sleep", "1");
        };
    }

    /** Mostly the small ids the guest agent hands out (so some name a real execution), else any number. */
    private static int executionId(FuzzInput in) {
        return in.chance(60) ? 1 + in.random().nextInt(20) : in.int32();
    }

    private static final List<String> REAL_PATHS = List.of("/", "/etc", "/etc/passwd", "/tmp", "/tmp/fz", "/bin/sh",
            "/tmp/fz/a", "/tmp/fz/d");

    /** Any path, hostile ones included: read-only calls cannot harm the guest. */
    private static String readPath(FuzzInput in) {
        int dice = in.random().nextInt(100);
        return dice < 30 ? REAL_PATHS.get(in.random().nextInt(REAL_PATHS.size()))
                : dice < 55 ? "/tmp/fz/" + in.string() : in.string();
    }

    /**
     * A path for a call that changes the guest's files: inside /tmp/fz and without "..", so the
     * fuzzer never removes or overwrites what the base sandbox needs to keep answering; relative
     * ones stay (they must be refused).
     */
    private static String writePath(FuzzInput in) {
        if (in.chance(50)) { // a few names, so writes, renames and removes meet each other's files
            return "/tmp/fz/" + List.of("a", "b", "d", "d/e", "d/e/f").get(in.random().nextInt(5));
        }
        String path = in.string().replace("..", "__");
        if (path.startsWith("/")) {
            return "/tmp/fz" + path;
        }
        return in.chance(85) ? "/tmp/fz/" + path : path;
    }

    /** A bidirectional Exec: zero to three random messages (start, attach, stdin, EOF, resize, signal), then half-close. */
    private void exec(FuzzInput in) {
        List<ExecRequest> messages = new ArrayList<>();
        int n = in.chance(5) ? 0 : 1 + in.random().nextInt(3);
        for (int i = 0; i < n; i++) {
            messages.add(i == 0 && in.chance(90) ? firstExecMessage(in) : execMessage(in));
        }
        send(messages, ProcessServiceGrpc.newStub(daemon.channel()).withDeadlineAfter(30, TimeUnit.SECONDS)::exec);
    }

    private ExecRequest firstExecMessage(FuzzInput in) {
        if (in.chance(20)) {
            return ExecRequest.newBuilder().setAttach(ExecAttach.newBuilder().setSandboxId(guestId(in))
                    .setExecutionId(executionId(in)).setStdoutOffset(in.chance(70) ? 0 : in.int64())
                    .setStderrOffset(in.chance(70) ? 0 : in.int64())).build();
        }
        var start = ExecStart.newBuilder().setSandboxId(guestId(in))
                .addAllCmd(in.chance(40) ? command(in) : in.strings(3)).putAllEnv(in.labels())
                .setWorkingDir(in.chance(70) ? "" : in.string()).setUser(in.chance(70) ? "" : in.string())
                .setTty(in.chance(20)).setStdin(in.chance(30)).setTimeoutSeconds(in.chance(50) ? 5 : in.int32())
                .setKillOnDisconnect(in.chance(50));
        if (in.chance(20)) {
            start.setWindow(WindowSize.newBuilder().setRows(in.int32()).setCols(in.int32()));
        }
        return ExecRequest.newBuilder().setStart(start).build();
    }

    private ExecRequest execMessage(FuzzInput in) {
        var b = ExecRequest.newBuilder();
        switch (in.random().nextInt(6)) {
            case 0 -> b.setStdin(ByteString.copyFromUtf8(in.string()));
            case 1 -> b.setStdinEof(in.chance(90));
            case 2 -> b.setResize(WindowSize.newBuilder().setRows(in.int32()).setCols(in.int32()));
            case 3 -> b.setSignal(in.int32());
            case 4 -> b.setStart(ExecStart.newBuilder().setSandboxId(in.id()).addCmd("true"));
            default -> { } // a message that carries nothing
        }
        return b.build();
    }

    /** A client-streamed WriteFile: a header (mostly first), a few chunks (one sometimes over the 1 MiB limit), then half-close. */
    private void writeFile(FuzzInput in) {
        List<WriteFileRequest> messages = new ArrayList<>();
        if (in.chance(90)) {
            messages.add(WriteFileRequest.newBuilder().setHeader(WriteFileHeader.newBuilder().setSandboxId(guestId(in))
                    .setPath(writePath(in)).setMode(in.chance(50) ? 0 : in.int32())
                    .setOwner(in.chance(70) ? "" : in.string()).setMakeParents(in.chance(50))
                    .setExclusive(in.chance(30)).setAppend(in.chance(30))).build());
        }
        int chunks = in.random().nextInt(3);
        for (int i = 0; i < chunks; i++) {
            int size = in.chance(3) ? (1 << 20) + 1 : in.random().nextInt(4096);
            messages.add(WriteFileRequest.newBuilder().setData(ByteString.copyFrom(new byte[size])).build());
        }
        if (in.chance(5)) {
            messages.add(WriteFileRequest.newBuilder().setHeader(WriteFileHeader.newBuilder().setSandboxId(base)
                    .setPath("/tmp/fz/second-header")).build());
        }
        send(messages, FilesServiceGrpc.newStub(daemon.channel()).withDeadlineAfter(30, TimeUnit.SECONDS)::writeFile);
    }

    /**
     * Sends {@code messages} on a client-streaming call, half-closes, and waits for its end; a
     * status other than OK is thrown as the blocking stubs do.
     */
    private static <Q, R> void send(List<Q> messages, Function<StreamObserver<R>, StreamObserver<Q>> call) {
        CompletableFuture<Status> end = new CompletableFuture<>();
        StreamObserver<Q> requests = call.apply(ending(end));
        messages.forEach(requests::onNext);
        requests.onCompleted();
        Status status = end.join();
        if (!status.isOk()) {
            throw status.asRuntimeException();
        }
    }

    /** A response observer that completes {@code end} with the call's status. */
    private static <T> StreamObserver<T> ending(CompletableFuture<Status> end) {
        return new StreamObserver<>() {
            @Override
            public void onNext(T value) {
                // the answers' content is not under test here
            }

            @Override
            public void onError(Throwable t) {
                end.complete(Status.fromThrowable(t));
            }

            @Override
            public void onCompleted() {
                end.complete(Status.OK);
            }
        };
    }

    /** One of {@code ids}, or a random string; never the base sandbox or the golden snapshot (destructive RPCs leave them alone). */
    private String pick(FuzzInput in, List<String> ids) {
        String id = in.chance(60) ? ids.get(in.random().nextInt(ids.size())) : in.string();
        return id.equals(base) || id.equals(golden) ? "fz-protected" : id;
    }

    private String notKeep(String id) {
        return id.equals(keep) ? "fz-not-keep" : id;
    }

    private static void drain(Iterator<?> stream) {
        while (stream.hasNext()) {
            stream.next();
        }
    }

    /** A create request: a valid skeleton with random fields set to hostile values; never boots. */
    private static CreateSandboxRequest create(FuzzInput in) {
        var b = CreateSandboxRequest.newBuilder().setId(in.id()).setNoStart(true).setWait(in.chance(20));
        Runnable[] mutations = {
            () -> b.putAllLabels(in.labels()),
            () -> b.setKernel(in.string()),
            () -> b.setRootfs(in.string()),
            () -> b.setBootArgs(in.string()),
            () -> b.setLimits(ResourceLimits.newBuilder().setVcpus(in.int32()).setMemoryMib(in.int64())),
            () -> b.setImage(in.string()),
            () -> b.addAllCmd(in.strings(2)),
            () -> b.putAllEnv(in.labels()),
            () -> b.setWorkingDir(in.string()),
            () -> b.setUser(in.string()),
            () -> b.addMounts(Mount.newBuilder().setSource(in.string()).setTarget(in.string())),
            () -> b.setNetwork(NetworkSpec.newBuilder().setMode(in.string())),
            () -> b.setTtlSeconds(in.int32()),
            () -> b.setSshPublicKey(in.string()),
            () -> b.setInitrd(in.string()),
            () -> b.setSmt(in.chance(50)),
            () -> b.setTrackDirtyPages(in.chance(50)),
            () -> b.setHugePages(in.string()),
            () -> b.setCpuTemplate(in.string()),
            () -> b.setRootReadonly(in.chance(50)),
            () -> b.setRootIoEngine(in.string()),
            () -> b.setRootCacheType(in.string()),
            () -> b.setRootPartuuid(in.string()),
            () -> b.setRootRateLimit(rateLimit(in)),
            () -> b.addExtraDrives(DriveSpec.newBuilder().setDriveId(in.string()).setPath(in.string())
                    .setIoEngine(in.string()).setCacheType(in.string()).setRateLimit(rateLimit(in))),
            () -> b.setNetRxRateLimit(rateLimit(in)),
            () -> b.setBalloon(BalloonSpec.newBuilder().setAmountMib(in.int64()).setStatsPollingIntervalS(in.int64())),
            () -> b.setVsock(VsockSpec.newBuilder().setGuestCid(in.int64())),
            () -> b.setEntropyDevice(in.chance(50)),
            () -> b.setSerialOut(in.string()),
            () -> b.setMemoryHotplug(MemoryHotplugSpec.newBuilder().setTotalSizeMib(in.int64()).setSlotSizeMib(in.int64())),
            () -> b.setMmds(MmdsSpec.newBuilder().setVersion(in.string()).setInitialDataJson(in.string())
                    .addNetworkInterfaces(in.string())),
            () -> b.setDiskSize(in.int64()),
            () -> b.setEgress(EgressSpec.newBuilder().setDenyInternet(in.chance(50)).addAllAllowCidrs(in.strings(2))
                    .addAllDenyCidrs(in.strings(2))),
            () -> b.addPortForwards(PortForward.newBuilder().setHostAddress(in.string()).setHostPort(in.int32())
                    .setGuestPort(in.int32())),
            () -> b.setIdleTimeoutSeconds(in.int32()),
        };
        b.setNetwork(NetworkSpec.newBuilder().setMode("none"));
        int n = in.chance(15) ? 0 : 1 + in.random().nextInt(3);
        for (int i = 0; i < n; i++) {
            mutations[in.random().nextInt(mutations.length)].run();
        }
        return b.build();
    }

    private static RateLimit rateLimit(FuzzInput in) {
        return RateLimit.newBuilder().setBandwidth(TokenBucket.newBuilder().setSize(in.int64())
                .setRefillTimeMs(in.int64()).setOneTimeBurst(in.int64())).build();
    }

    // ------------------------------------------------------------------------------------------

    @Test
    void tenThousandRandomRequests_getOnlyDocumentedCodes_andRefusalsChangeNothing() throws Exception {
        List<Rpc> table = rpcs();
        FuzzInput in = new FuzzInput(new Random(seed), this::known);
        Map<String, Map<Status.Code, Integer>> seen = new TreeMap<>();
        List<String> bad = new ArrayList<>();
        String world = world();
        for (int i = 0; i < requests && bad.size() < 20; i++) {
            Rpc rpc = table.get(in.random().nextInt(table.size()));
            Status.Code code = Status.Code.OK;
            String message = "";
            try {
                rpc.call().accept(in);
            } catch (StatusRuntimeException e) {
                code = e.getStatus().getCode();
                message = e.getStatus().getDescription();
            }
            if (rpc.streaming() && code == Status.Code.DEADLINE_EXCEEDED) {
                code = Status.Code.OK; // our own short deadline on a stream that had nothing more to say
            }
            seen.computeIfAbsent(rpc.name(), k -> new TreeMap<>()).merge(code, 1, Integer::sum);
            if (!DOCUMENTED.contains(code) && !DOCUMENTED_FOR.getOrDefault(rpc.name(), Set.of()).contains(code)) {
                bad.add("request " + i + " " + rpc.name() + " → " + code + ": " + message);
            }
            if (code == Status.Code.OK && rpc.mutates()) {
                resetWorld();
                world = world();
            } else if (code != Status.Code.OK) {
                String after = world();
                if (!after.equals(world)) {
                    bad.add("request " + i + " " + rpc.name() + " was refused (" + code + ": " + message
                            + ") but changed state:\n  before " + world + "\n  after  " + after);
                    resetWorld();
                    after = world();
                }
                world = after;
            }
        }
        System.out.println("ApiFuzzTest: seed " + seed + ", codes per RPC: " + seen);
        assertThat(bad).as("seed " + seed + ": answers outside the documented codes, or refusals with effects").isEmpty();
        assertThat(seen.values().stream().mapToInt(m -> m.values().stream().mapToInt(Integer::intValue).sum()).sum())
                .isEqualTo(requests);
        assertThat(seen.keySet()).as("every RPC of the table was fuzzed").hasSize(table.size());
    }

    @Test
    void theTable_coversEveryMethodOfEveryService() {
        Set<String> served = new java.util.TreeSet<>();
        for (ServiceDescriptor service : SERVICES) {
            for (MethodDescriptor<?, ?> method : service.getMethods()) {
                served.add(method.getFullMethodName().substring(method.getFullMethodName().lastIndexOf('.') + 1));
            }
        }
        assertThat(rpcs().stream().map(Rpc::name).toList()).containsExactlyInAnyOrderElementsOf(served);
    }

    /** The observable state: every sandbox with its state and labels, every snapshot with its labels. */
    private String world() {
        StringBuilder b = new StringBuilder();
        for (var s : sandboxes().list(ListSandboxesRequest.getDefaultInstance()).getSandboxesList()) {
            b.append(s.getId()).append('=').append(s.getState()).append(new TreeMap<>(s.getLabelsMap())).append(' ');
        }
        for (var s : snapshots().list(ListSnapshotsRequest.getDefaultInstance()).getSnapshotsList()) {
            b.append(s.getId()).append(new TreeMap<>(s.getLabelsMap())).append(' ');
        }
        return b.toString();
    }

    /** Back to: the ready base sandbox, the stopped keep sandbox, the golden snapshot; nothing else. */
    private void resetWorld() {
        for (var s : sandboxes().list(ListSandboxesRequest.getDefaultInstance()).getSandboxesList()) {
            if (!s.getId().equals(base) && !s.getId().equals(keep)) {
                sandboxes().remove(RemoveSandboxRequest.newBuilder().setId(s.getId()).setForce(true).build());
            }
        }
        for (var s : snapshots().list(ListSnapshotsRequest.getDefaultInstance()).getSnapshotsList()) {
            if (!s.getId().equals(golden)) {
                snapshots().delete(DeleteSnapshotRequest.newBuilder().setSnapshotId(s.getId()).build());
            }
        }
        dev.arcbox.api.v1.SandboxInfo info;
        try {
            info = sandboxes().inspect(InspectSandboxRequest.newBuilder().setId(base).build());
        } catch (StatusRuntimeException e) {
            // an accepted update may have given it a TTL of a second, which ran out: bring it back
            snapshots().restore(RestoreRequest.newBuilder().setSnapshotId(golden).setId(base).build());
            info = sandboxes().inspect(InspectSandboxRequest.newBuilder().setId(base).build());
        }
        if (info.getState().equals("paused")) {
            sandboxes().resume(ResumeSandboxRequest.newBuilder().setId(base).build());
        }
        if (info.getTtlDeadline() != 0 || !info.getLabelsMap().isEmpty()) {
            sandboxes().updateSandbox(UpdateSandboxRequest.newBuilder().setId(base).setTtlSeconds(0)
                    .addAllRemoveLabels(info.getLabelsMap().keySet()).build());
        }
        try {
            var k = sandboxes().inspect(InspectSandboxRequest.newBuilder().setId(keep).build());
            if (k.getTtlDeadline() != 0 || !k.getLabelsMap().isEmpty()) {
                sandboxes().updateSandbox(UpdateSandboxRequest.newBuilder().setId(keep).setTtlSeconds(0)
                        .addAllRemoveLabels(k.getLabelsMap().keySet()).build());
            }
        } catch (StatusRuntimeException e) {
            sandboxes().create(CreateSandboxRequest.newBuilder().setId(keep).setNoStart(true)
                    .setNetwork(NetworkSpec.newBuilder().setMode("none")).build());
        }
    }

    /**
     * 100 creates and removes at once against small limits (3 sandboxes; a pool of 5 addresses):
     * each create succeeds or is refused with RESOURCE_EXHAUSTED, no address is given twice, and
     * once everything is removed nothing is left — no record, lease, directory or TAP.
     */
    @Test
    void hundredParallelCreatesAndRemoves_succeedOrAreExhausted_noDuplicateAddress_nothingLeaked() throws Exception {
        String ns = DaemonProcess.netns("p");
        try (DaemonProcess small = new DaemonProcess("admit-" + TestRun.id(), ns,
                "[network]\nbridge = \"arcbox8\"\ncidr = \"172.31.8.0/29\"\ngateway = \"172.31.8.1\"\n"
                        + "dns = [\"172.31.8.1\"]\n", ramDir, 4).start()) {
            var api = SandboxServiceGrpc.newBlockingStub(small.channel());
            Map<Status.Code, Integer> codes = new TreeMap<>();
            List<String> created = new ArrayList<>();
            try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
                List<Future<Status.Code>> calls = new ArrayList<>();
                for (int i = 0; i < 100; i++) {
                    String id = "par-" + i;
                    boolean tap = i % 2 == 0;
                    calls.add(pool.submit(() -> {
                        try {
                            api.withDeadlineAfter(2, TimeUnit.MINUTES).create(CreateSandboxRequest.newBuilder().setId(id)
                                    .setNoStart(true).setNetwork(NetworkSpec.newBuilder().setMode(tap ? "tap" : "none"))
                                    .build());
                            synchronized (created) {
                                created.add(id);
                            }
                            // remove half of them at once, so creates and removes interleave
                            if (id.hashCode() % 2 == 0) {
                                api.withDeadlineAfter(2, TimeUnit.MINUTES).remove(
                                        RemoveSandboxRequest.newBuilder().setId(id).build());
                            }
                            return Status.Code.OK;
                        } catch (StatusRuntimeException e) {
                            return e.getStatus().getCode();
                        }
                    }));
                }
                for (Future<Status.Code> f : calls) {
                    codes.merge(f.get(), 1, Integer::sum);
                }
            }
            System.out.println("ApiFuzzTest: 100 parallel creates: " + codes + ", created " + created.size());
            assertThat(codes.keySet()).as("codes of 100 parallel creates").isSubsetOf(Status.Code.OK,
                    Status.Code.RESOURCE_EXHAUSTED);
            assertThat(codes).containsKey(Status.Code.RESOURCE_EXHAUSTED);
            var left = api.withDeadlineAfter(1, TimeUnit.MINUTES).list(ListSandboxesRequest.getDefaultInstance())
                    .getSandboxesList();
            assertThat(left.size()).as("sandboxes within max_sandboxes").isLessThanOrEqualTo(4);
            Set<String> addresses = new HashSet<>();
            for (var s : left) {
                if (!s.getIpAddress().isEmpty()) {
                    assertThat(addresses.add(s.getIpAddress())).as("address %s given twice", s.getIpAddress()).isTrue();
                }
            }
            try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
                for (var s : left) {
                    pool.submit(() -> api.withDeadlineAfter(2, TimeUnit.MINUTES)
                            .remove(RemoveSandboxRequest.newBuilder().setId(s.getId()).build()));
                }
            }
            assertThat(api.withDeadlineAfter(1, TimeUnit.MINUTES).list(ListSandboxesRequest.getDefaultInstance())
                    .getSandboxesList()).isEmpty();
            Path dirs = small.dataDir.resolve("sandboxes");
            if (Files.isDirectory(dirs)) {
                try (var list = Files.list(dirs)) {
                    assertThat(list.toList()).as("sandbox directories left").isEmpty();
                }
            }
            org.sqlite.SQLiteConfig readOnly = new org.sqlite.SQLiteConfig();
            readOnly.setReadOnly(true);
            try (var db = java.sql.DriverManager.getConnection("jdbc:sqlite:" + small.dataDir.resolve("arcbox.db"),
                    readOnly.toProperties()); var rs = db.createStatement().executeQuery("SELECT count(*) FROM leases")) {
                assertThat(rs.getInt(1)).as("leases left").isZero();
            }
            String links = new String(new ProcessBuilder("ip", "-n", ns, "-o", "link", "show").start().getInputStream()
                    .readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            assertThat(links).as("TAPs left").doesNotContainPattern("abx[a-z0-9]{8}");
        }
    }
}
