package dev.arcbox.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.arcbox.api.v1.CreateSandboxRequest;
import dev.arcbox.api.v1.InspectSandboxRequest;
import dev.arcbox.api.v1.ListSandboxesRequest;
import dev.arcbox.api.v1.NetworkSpec;
import dev.arcbox.api.v1.RemoveSandboxRequest;
import dev.arcbox.api.v1.ResourceLimits;
import dev.arcbox.api.v1.RunOutput;
import dev.arcbox.api.v1.RunRequest;
import dev.arcbox.api.v1.SandboxEvent;
import dev.arcbox.api.v1.SandboxEventsRequest;
import dev.arcbox.api.v1.SandboxInfo;
import dev.arcbox.api.v1.SandboxServiceGrpc;
import dev.arcbox.api.v1.StartSandboxRequest;
import dev.arcbox.api.v1.StopSandboxRequest;
import dev.arcbox.api.v1.UpdateSandboxRequest;
import dev.arcbox.core.proc.ProcessIdentity;
import dev.arcbox.core.testing.TestRun;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/** arcboxd for real: its own process, real socket, real VMs, real SQLite. */
@Tag("vm")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class ArcboxdTest {

    private String netns;
    private DaemonProcess daemon;

    @BeforeAll
    void startDaemon() throws Exception {
        TestRun.assumeQemuHost();
        netns = DaemonProcess.netns();
        daemon = new DaemonProcess("daemon-" + TestRun.id(), netns, "").start();
    }

    @AfterAll
    void stopDaemon() throws Exception {
        if (daemon != null) {
            daemon.removeAllSandboxes();
            daemon.close();
            if (Files.exists(daemon.dataDir.resolve("sandboxes"))) {
                try (var left = Files.list(daemon.dataDir.resolve("sandboxes"))) {
                    assertThat(left.toList()).as("sandbox directories left behind").isEmpty();
                }
            }
        }
    }

    private static CreateSandboxRequest.Builder sandbox(String id) {
        return CreateSandboxRequest.newBuilder().setId(id).setWait(true)
                .setLimits(ResourceLimits.newBuilder().setVcpus(1).setMemoryMib(256))
                .setNetwork(NetworkSpec.newBuilder().setMode("none"));
    }

    private static String unique(String name) {
        return name + "-" + TestRun.vmId();
    }

    /** Runs a command; returns stdout, asserting the exit code. */
    private static String run(SandboxServiceGrpc.SandboxServiceBlockingStub api, String id, int expectedExit,
            String... cmd) {
        StringBuilder out = new StringBuilder();
        RunOutput last = null;
        Iterator<RunOutput> it = api.run(RunRequest.newBuilder().setId(id).addAllCmd(List.of(cmd)).build());
        while (it.hasNext()) {
            RunOutput o = it.next();
            if (o.getStream().equals("stdout")) {
                out.append(o.getData().toString(StandardCharsets.UTF_8));
            }
            last = o;
        }
        assertThat(last).isNotNull();
        assertThat(last.getDone()).isTrue();
        assertThat(last.getExitCode()).as("exit code of %s", List.of(cmd)).isEqualTo(expectedExit);
        return out.toString();
    }

    /** A process that exists and is not a zombie (a VM re-parented to init may linger as one). */
    private static boolean alive(long pid) {
        return ProcessIdentity.of(pid).map(ProcessIdentity::isAlive).orElse(false);
    }

    private static Status.Code code(Runnable call) {
        try {
            call.run();
        } catch (StatusRuntimeException e) {
            return e.getStatus().getCode();
        }
        return Status.Code.OK;
    }

    @Test
    void lifecycle_createRunStopStartRunRemove() {
        var api = daemon.sandboxes();
        String id = unique("life");
        assertThat(api.create(sandbox(id).putLabels("suite", "daemon").build()).getState()).isEqualTo("ready");
        assertThat(run(api, id, 0, "sh", "-c", "echo hello; echo persisted > /root/file")).isEqualTo("hello\n");
        assertThat(run(api, id, 3, "sh", "-c", "exit 3")).isEmpty();
        SandboxInfo stopped = api.stop(StopSandboxRequest.newBuilder().setId(id).build());
        assertThat(stopped.getState()).isEqualTo("stopped");
        assertThat(stopped.getVmmPid()).isZero();
        assertThat(code(() -> run(api, id, 0, "true"))).isEqualTo(Status.Code.FAILED_PRECONDITION);
        assertThat(api.start(StartSandboxRequest.newBuilder().setId(id).setWait(true).build()).getState())
                .isEqualTo("ready");
        assertThat(run(api, id, 0, "cat", "/root/file")).isEqualTo("persisted\n");
        SandboxInfo info = api.inspect(InspectSandboxRequest.newBuilder().setId(id).build());
        assertThat(info.getLabelsMap()).containsEntry("suite", "daemon");
        assertThat(info.getUid()).hasSize(8);
        assertThat(info.getBootMillis()).isPositive();
        long pid = info.getVmmPid();
        api.remove(RemoveSandboxRequest.newBuilder().setId(id).build());
        assertThat(alive(pid)).isFalse();
        assertThat(daemon.dataDir.resolve("sandboxes").resolve(info.getUid())).doesNotExist();
        assertThat(code(() -> api.inspect(InspectSandboxRequest.newBuilder().setId(id).build())))
                .isEqualTo(Status.Code.NOT_FOUND);
    }

    @Test
    void fiveSandboxesAtOnce_allReady_eachRuns() throws Exception {
        var api = daemon.sandboxes();
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            ids.add(unique("five" + i));
        }
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<String>> states = new ArrayList<>();
            for (String id : ids) {
                states.add(pool.submit(() -> api.create(sandbox(id).build()).getState()));
            }
            for (Future<String> f : states) {
                assertThat(f.get()).isEqualTo("ready");
            }
        }
        for (String id : ids) {
            assertThat(run(api, id, 0, "hostname")).isEqualTo(VmPlannerNames.hostname(id) + "\n");
        }
        for (String id : ids) {
            api.remove(RemoveSandboxRequest.newBuilder().setId(id).build());
        }
    }

    @Test
    void events_inOrder_andResumableFromASequenceNumber() {
        var api = daemon.sandboxes();
        String id = unique("events");
        api.create(sandbox(id).setNoStart(true).setWait(false).build());
        api.start(StartSandboxRequest.newBuilder().setId(id).setWait(true).build());
        api.updateSandbox(UpdateSandboxRequest.newBuilder().setId(id).putSetLabels("k", "v").build());
        api.remove(RemoveSandboxRequest.newBuilder().setId(id).setForce(true).build());

        List<SandboxEvent> all = events(id, 1, 5);
        assertThat(all).extracting(SandboxEvent::getAction)
                .containsExactly("created", "starting", "ready", "updated", "removed");
        assertThat(all).extracting(SandboxEvent::getSeq).isSorted().doesNotHaveDuplicates();
        List<SandboxEvent> tail = events(id, all.get(2).getSeq(), 3);
        assertThat(tail).extracting(SandboxEvent::getAction).containsExactly("ready", "updated", "removed");
    }

    private List<SandboxEvent> events(String id, long from, int count) {
        List<SandboxEvent> out = new ArrayList<>();
        Iterator<SandboxEvent> it = SandboxServiceGrpc.newBlockingStub(daemon.channel())
                .withDeadlineAfter(30, TimeUnit.SECONDS)
                .events(SandboxEventsRequest.newBuilder().setId(id).setFromSeq(from).build());
        while (out.size() < count && it.hasNext()) {
            out.add(it.next());
        }
        return out;
    }

    @Test
    void badInput_getsItsCode_andNothingIsStored() throws IOException {
        var api = daemon.sandboxes();
        int before = api.list(ListSandboxesRequest.getDefaultInstance()).getSandboxesCount();
        assertThat(code(() -> api.inspect(InspectSandboxRequest.newBuilder().setId("no-such").build())))
                .isEqualTo(Status.Code.NOT_FOUND);
        assertThat(code(() -> api.create(sandbox("a/b").build()))).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(code(() -> api.create(sandbox("x".repeat(65)).build()))).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThatThrownBy(() -> api.create(sandbox(unique("mem")).setLimits(ResourceLimits.newBuilder()
                .setVcpus(99).setMemoryMib(1)).build()))
                .isInstanceOf(StatusRuntimeException.class)
                .hasMessageContaining("INVALID_ARGUMENT").hasMessageContaining("vcpus").hasMessageContaining("memory_mib");
        assertThatThrownBy(() -> api.create(sandbox(unique("shadow")).setRootfs("/etc/shadow").build()))
                .isInstanceOf(StatusRuntimeException.class)
                .hasMessageContaining("INVALID_ARGUMENT").hasMessageContaining("rootfs");
        assertThat(code(() -> api.create(sandbox(unique("labels")).putLabels("k", "v".repeat(300)).build())))
                .isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(code(() -> api.create(sandbox(unique("tap")).setNetwork(NetworkSpec.newBuilder().setMode("warp"))
                .build()))).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(api.list(ListSandboxesRequest.getDefaultInstance()).getSandboxesCount()).isEqualTo(before);

        String id = unique("dup");
        api.create(sandbox(id).setNoStart(true).setWait(false).build());
        assertThat(code(() -> api.create(sandbox(id).build()))).isEqualTo(Status.Code.ALREADY_EXISTS);
        assertThat(code(() -> api.stop(StopSandboxRequest.newBuilder().setId(id).build())))
                .isEqualTo(Status.Code.FAILED_PRECONDITION);
        assertThat(code(() -> api.run(RunRequest.newBuilder().setId(id).addCmd("true").build()).hasNext()))
                .isEqualTo(Status.Code.FAILED_PRECONDITION);
        api.remove(RemoveSandboxRequest.newBuilder().setId(id).build());
    }

    @Test
    void vmmKilledFromOutside_sandboxFailsWithAReason() {
        var api = daemon.sandboxes();
        String id = unique("killed");
        api.create(sandbox(id).build());
        long pid = api.inspect(InspectSandboxRequest.newBuilder().setId(id).build()).getVmmPid();
        ProcessHandle.of(pid).orElseThrow().destroyForcibly();
        Awaitility.await("sandbox " + id + " failed").atMost(Duration.ofSeconds(30))
                .until(() -> api.inspect(InspectSandboxRequest.newBuilder().setId(id).build()).getState(),
                        "failed"::equals);
        assertThat(api.inspect(InspectSandboxRequest.newBuilder().setId(id).build()).getError())
                .contains("vmm exited unexpectedly");
        api.remove(RemoveSandboxRequest.newBuilder().setId(id).build());
    }

    @Test
    void daemonKilled_restart_sandboxStillListedAndRunsCommands() throws Exception {
        DaemonProcess second = new DaemonProcess("crash-" + TestRun.vmId(), netns, "").start();
        try {
            String id = unique("survivor");
            second.sandboxes().create(sandbox(id).build());
            long vmm = second.sandboxes().inspect(InspectSandboxRequest.newBuilder().setId(id).build()).getVmmPid();
            second.kill();
            assertThat(alive(vmm)).as("the VM outlives the daemon").isTrue();
            second.start();
            SandboxInfo info = second.sandboxes().inspect(InspectSandboxRequest.newBuilder().setId(id).build());
            assertThat(info.getState()).isEqualTo("ready");
            assertThat(info.getVmmPid()).isEqualTo(vmm);
            assertThat(run(second.sandboxes(), id, 0, "echo", "still here")).isEqualTo("still here\n");

            // a graceful SIGTERM leaves the VM running too
            assertThat(second.terminate(Duration.ofSeconds(20))).isTrue();
            assertThat(alive(vmm)).isTrue();
            second.start();
            second.sandboxes().remove(RemoveSandboxRequest.newBuilder().setId(id).setForce(true).build());
            assertThat(alive(vmm)).isFalse();
        } finally {
            removeAll(second);
            second.close();
        }
    }

    /**
     * The daemon dies at a crash point of the boot operation; a restart reconciles: a VM spawned
     * but not yet recorded is found by its pid file and replaced (no orphan), a recorded one is
     * re-attached; either way the sandbox ends ready with exactly one VMM.
     */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"boot.spawned.before", "boot.spawned.after"})
    void crashDuringBoot_restartReconciles_withoutOrphans(String crashPoint) throws Exception {
        DaemonProcess d = new DaemonProcess("cp-" + TestRun.vmId(), netns, "")
                .jvmArg("-D" + Arcboxd.CRASH_AT + "=" + crashPoint);
        try {
            d.start();
            String id = unique("crash");
            try {
                d.sandboxes().create(sandbox(id).setWait(false).build());
            } catch (StatusRuntimeException e) {
                assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
            }
            assertThat(d.awaitExit(Duration.ofSeconds(60))).isEqualTo(137);
            d.clearJvmArgs().start();
            Awaitility.await(id + " ready after restart").atMost(Duration.ofSeconds(90))
                    .until(() -> d.sandboxes().inspect(InspectSandboxRequest.newBuilder().setId(id).build()).getState(),
                            "ready"::equals);
            SandboxInfo info = d.sandboxes().inspect(InspectSandboxRequest.newBuilder().setId(id).build());
            assertThat(run(d.sandboxes(), id, 0, "echo", "recovered")).isEqualTo("recovered\n");
            assertThat(vmmsNamed("arcbox-" + info.getUid())).containsExactly(info.getVmmPid());
            d.sandboxes().remove(RemoveSandboxRequest.newBuilder().setId(id).setForce(true).build());
            assertThat(vmmsNamed("arcbox-" + info.getUid())).isEmpty();
        } finally {
            removeAll(d);
            d.close();
        }
    }

    private static void removeAll(DaemonProcess d) {
        try {
            for (var s : d.sandboxes().list(ListSandboxesRequest.getDefaultInstance()).getSandboxesList()) {
                d.sandboxes().remove(RemoveSandboxRequest.newBuilder().setId(s.getId()).setForce(true).build());
            }
        } catch (StatusRuntimeException e) {
            // the daemon is down: the test has failed already and says why
        }
    }

    /** Live processes whose command line names {@code name} as QEMU's -name. */
    private static List<Long> vmmsNamed(String name) {
        return ProcessHandle.allProcesses()
                .filter(p -> p.info().arguments().map(a -> List.of(a).contains(name)).orElse(false))
                .filter(p -> alive(p.pid()))
                .map(ProcessHandle::pid).toList();
    }

    @Test
    void socket_isOnlyForRootAndItsGroup() throws IOException {
        assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(daemon.socket)))
                .isEqualTo("rw-rw----");
    }

    @Test
    void ttl_expiryRemoves_andUpdateRearms() {
        var api = daemon.sandboxes();
        String kept = unique("ttl-kept");
        String gone = unique("ttl-gone");
        api.create(sandbox(kept).setNoStart(true).setWait(false).setTtlSeconds(2).build());
        long first = api.inspect(InspectSandboxRequest.newBuilder().setId(kept).build()).getTtlDeadline();
        SandboxInfo rearmed = api.updateSandbox(UpdateSandboxRequest.newBuilder().setId(kept).setTtlSeconds(3600).build());
        assertThat(rearmed.getTtlDeadline()).isGreaterThan(first + 3000);
        api.create(sandbox(gone).setNoStart(true).setWait(false).setTtlSeconds(1).build());
        Awaitility.await(gone + " expired").atMost(Duration.ofSeconds(30))
                .until(() -> code(() -> api.inspect(InspectSandboxRequest.newBuilder().setId(gone).build()))
                        == Status.Code.NOT_FOUND);
        assertThat(api.inspect(InspectSandboxRequest.newBuilder().setId(kept).build()).getState()).isEqualTo("stopped");
        api.remove(RemoveSandboxRequest.newBuilder().setId(kept).build());
    }

    @Test
    void runClientGoesAway_processKeepsRunning_unlessAskedToKillIt() throws Exception {
        var api = daemon.sandboxes();
        String id = unique("detach");
        api.create(sandbox(id).build());
        for (boolean kill : new boolean[] {false, true}) {
            // the sleep's duration tells the two runs apart (busybox sleep takes no other words)
            String marker = kill ? "602" : "601";
            io.grpc.Context.CancellableContext call = io.grpc.Context.current().withCancellation();
            Iterator<RunOutput> out = call.call(() -> SandboxServiceGrpc.newBlockingStub(daemon.channel())
                    .run(RunRequest.newBuilder().setId(id).setKillOnDisconnect(kill)
                            .addAllCmd(List.of("sh", "-c", "echo started; exec sleep " + marker)).build()));
            assertThat(out.next().getData().toStringUtf8()).isEqualTo("started\n");
            String script = "ps -o args | grep -q '^sleep " + marker + "$' && echo running || echo gone";
            Awaitility.await(marker + " started").atMost(Duration.ofSeconds(30))
                    .until(() -> run(daemon.sandboxes(), id, 0, "sh", "-c", script), "running\n"::equals);
            call.cancel(null);
            String expected = kill ? "gone\n" : "running\n";
            Awaitility.await(marker).atMost(Duration.ofSeconds(30))
                    .until(() -> run(daemon.sandboxes(), id, 0, "sh", "-c", script), expected::equals);
        }
        api.remove(RemoveSandboxRequest.newBuilder().setId(id).setForce(true).build());
    }

    /** A host reboot (simulated: the VM gone and another boot id) stops what was running; start brings it back. */
    @Test
    void afterAHostRestart_runningSandboxesAreStopped_andStartAgain() throws Exception {
        DaemonProcess d = new DaemonProcess("reboot-" + TestRun.vmId(), netns, "").start();
        try {
            String id = unique("reboot");
            d.sandboxes().create(sandbox(id).build());
            long vmm = d.sandboxes().inspect(InspectSandboxRequest.newBuilder().setId(id).build()).getVmmPid();
            d.kill();
            ProcessHandle.of(vmm).orElseThrow().destroyForcibly();
            Files.writeString(d.dataDir.resolve("boot_id"), "00000000-0000-0000-0000-000000000000\n");
            d.start();
            SandboxInfo info = d.sandboxes().inspect(InspectSandboxRequest.newBuilder().setId(id).build());
            assertThat(info.getState()).isEqualTo("stopped");
            assertThat(info.getError()).isEqualTo("host restarted");
            d.sandboxes().start(StartSandboxRequest.newBuilder().setId(id).setWait(true).build());
            assertThat(run(d.sandboxes(), id, 0, "echo", "back")).isEqualTo("back\n");
        } finally {
            removeAll(d);
            d.close();
        }
    }

    @Test
    void secondDaemonOnTheSameDataDir_refusesToStart() throws Exception {
        DaemonProcess twin = new DaemonProcess(daemon.dataDir.getFileName().toString(), netns, "");
        assertThat(twin.startExpectingExit()).isEqualTo(2);
        assertThat(twin.log()).contains("in use by another arcboxd");
    }

    @Test
    void plainTcpWithoutTls_refusesToStart_sayingWhy() throws Exception {
        DaemonProcess tcp = new DaemonProcess("tcp-" + TestRun.vmId(), netns, "");
        Files.writeString(tcp.config, Files.readString(tcp.config)
                .replace("[grpc]\n", "[grpc]\ntcp_addr = \"127.0.0.1:7443\"\n"));
        assertThat(tcp.startExpectingExit()).isEqualTo(2);
        assertThat(tcp.log()).contains("tcp_addr").containsIgnoringCase("tls");
    }
}
