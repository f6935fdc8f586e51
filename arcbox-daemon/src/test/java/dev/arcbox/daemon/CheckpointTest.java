package dev.arcbox.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.arcbox.api.v1.CheckpointRequest;
import dev.arcbox.api.v1.CheckpointResponse;
import dev.arcbox.api.v1.CreateSandboxRequest;
import dev.arcbox.api.v1.DeleteSnapshotRequest;
import dev.arcbox.api.v1.InspectSandboxRequest;
import dev.arcbox.api.v1.InspectSnapshotRequest;
import dev.arcbox.api.v1.ListSandboxesRequest;
import dev.arcbox.api.v1.ListSnapshotsRequest;
import dev.arcbox.api.v1.NetworkSpec;
import dev.arcbox.api.v1.PauseSandboxRequest;
import dev.arcbox.api.v1.RemoveSandboxRequest;
import dev.arcbox.api.v1.ResourceLimits;
import dev.arcbox.api.v1.RestoreRequest;
import dev.arcbox.api.v1.RestoreResponse;
import dev.arcbox.api.v1.ResumeSandboxRequest;
import dev.arcbox.api.v1.RunOutput;
import dev.arcbox.api.v1.RunRequest;
import dev.arcbox.api.v1.SnapshotInfo;
import dev.arcbox.api.v1.SnapshotServiceGrpc;
import dev.arcbox.api.v1.StopSandboxRequest;
import dev.arcbox.core.testing.TestRun;
import io.grpc.StatusRuntimeException;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/** Checkpoints through the API, on real VMs: one origin sandbox, snapshotted once, restored and forked. */
@Tag("vm")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class CheckpointTest {

    private DaemonProcess daemon;
    private String origin;
    private String snapshot;

    @BeforeAll
    void originWithAStateToKeep() throws Exception {
        TestRun.assumeQemuHost();
        daemon = new DaemonProcess("ckpt-" + TestRun.id(), DaemonProcess.netns(), "").start();
        origin = "origin-" + TestRun.vmId();
        daemon.sandboxes().create(CreateSandboxRequest.newBuilder().setId(origin).setWait(true)
                .setLimits(ResourceLimits.newBuilder().setVcpus(1).setMemoryMib(256))
                .setNetwork(NetworkSpec.newBuilder().setMode("none")).build());
        assertThat(run(origin, "sh", "-c", "echo before > /root/file; (exec sleep 777 </dev/null >/dev/null 2>&1 &); sync"))
                .isEmpty();
        CheckpointResponse snap = snapshots().checkpoint(CheckpointRequest.newBuilder().setSandboxId(origin)
                .setName("golden").putLabels("suite", "ckpt").build());
        snapshot = snap.getSnapshotId();
        assertThat(snap.getSizeBytes()).isPositive();
        run(origin, "sh", "-c", "echo after > /root/file; echo after > /root/later");
    }

    @AfterAll
    void cleanUp() {
        if (daemon != null) {
            daemon.removeAllSandboxes();
            daemon.deleteAllSnapshots();
            daemon.close();
        }
    }

    private SnapshotServiceGrpc.SnapshotServiceBlockingStub snapshots() {
        return SnapshotServiceGrpc.newBlockingStub(daemon.channel()).withDeadlineAfter(3, TimeUnit.MINUTES);
    }

    private String run(String id, String... cmd) {
        StringBuilder out = new StringBuilder();
        Iterator<RunOutput> it = daemon.sandboxes().run(RunRequest.newBuilder().setId(id).addAllCmd(List.of(cmd)).build());
        RunOutput last = null;
        while (it.hasNext()) {
            last = it.next();
            if (last.getStream().equals("stdout")) {
                out.append(last.getData().toString(StandardCharsets.UTF_8));
            }
        }
        assertThat(last.getExitCode()).as("exit of %s in %s", List.of(cmd), id).isZero();
        return out.toString();
    }

    @Test
    void restore_hasTheFileAndTheProcessFromBefore_notWhatCameAfter() {
        RestoreResponse r = snapshots().restore(RestoreRequest.newBuilder().setSnapshotId(snapshot)
                .setId("clone-" + TestRun.vmId()).build());
        assertThat(r.getIdsList()).containsExactly(r.getId());
        assertThat(run(r.getId(), "cat", "/root/file")).isEqualTo("before\n");
        assertThat(run(r.getId(), "sh", "-c", "test -e /root/later && echo yes || echo no")).isEqualTo("no\n");
        assertThat(run(r.getId(), "sh", "-c", "ps -o args | grep -c '^sleep 777$'")).isEqualTo("1\n");
        assertThat(daemon.sandboxes().inspect(InspectSandboxRequest.newBuilder().setId(r.getId()).build()).getState())
                .isEqualTo("ready");
        daemon.sandboxes().remove(RemoveSandboxRequest.newBuilder().setId(r.getId()).setForce(true).build());
    }

    @Test
    void forkOfThree_allReady_distinctRandomness_andTheSnapshotCannotBeDeletedUnderThem() {
        RestoreResponse r = snapshots().restore(RestoreRequest.newBuilder().setSnapshotId(snapshot)
                .setId("fork-" + TestRun.vmId()).setCount(3).build());
        assertThat(r.getIdsList()).hasSize(3).doesNotHaveDuplicates();
        Set<String> random = new HashSet<>();
        for (String id : r.getIdsList()) {
            random.add(run(id, "sh", "-c", "head -c 16 /dev/urandom | od -An -tx1"));
        }
        assertThat(random).hasSize(3);
        SnapshotInfo info = snapshots().inspect(InspectSnapshotRequest.newBuilder().setSnapshotId(snapshot).build());
        assertThat(info.getUsedByList()).containsExactlyInAnyOrderElementsOf(r.getIdsList());
        assertThatThrownBy(() -> snapshots().delete(DeleteSnapshotRequest.newBuilder().setSnapshotId(snapshot).build()))
                .isInstanceOf(StatusRuntimeException.class)
                .hasMessageContaining("FAILED_PRECONDITION").hasMessageContaining(r.getIds(0));
        for (String id : r.getIdsList()) {
            daemon.sandboxes().remove(RemoveSandboxRequest.newBuilder().setId(id).setForce(true).build());
        }
        assertThat(snapshots().inspect(InspectSnapshotRequest.newBuilder().setSnapshotId(snapshot).build())
                .getUsedByList()).isEmpty();
    }

    @Test
    void pause_refusesRun_resumeRestoresIt_andAPausedSandboxStops() {
        var api = daemon.sandboxes();
        RestoreResponse r = snapshots().restore(RestoreRequest.newBuilder().setSnapshotId(snapshot)
                .setId("pause-" + TestRun.vmId()).build());
        String id = r.getId();
        assertThat(api.pause(PauseSandboxRequest.newBuilder().setId(id).build()).getState()).isEqualTo("paused");
        assertThatThrownBy(() -> run(id, "true")).isInstanceOf(StatusRuntimeException.class)
                .hasMessageContaining("FAILED_PRECONDITION").hasMessageContaining("paused");
        assertThat(api.resume(ResumeSandboxRequest.newBuilder().setId(id).build()).getState()).isEqualTo("ready");
        assertThat(run(id, "echo", "back")).isEqualTo("back\n");
        api.pause(PauseSandboxRequest.newBuilder().setId(id).build());
        assertThat(api.stop(StopSandboxRequest.newBuilder().setId(id).setTimeoutSeconds(5).build()).getState())
                .isEqualTo("stopped");
        api.remove(RemoveSandboxRequest.newBuilder().setId(id).build());
    }

    @Test
    void hundredPauseResumeCycles_keepAWorkloadCorrect() {
        var api = daemon.sandboxes();
        RestoreResponse r = snapshots().restore(RestoreRequest.newBuilder().setSnapshotId(snapshot)
                .setId("cycles-" + TestRun.vmId()).build());
        String id = r.getId();
        // a workload that counts while it is being paused and resumed under it
        var counting = daemon.sandboxes().run(RunRequest.newBuilder().setId(id)
                .addAllCmd(List.of("sh", "-c", "i=0; while [ $i -lt 3000 ]; do i=$((i+1)); done; echo $i")).build());
        // the Run must have started before the first pause, or it is refused as paused
        org.awaitility.Awaitility.await("workload running").atMost(java.time.Duration.ofSeconds(60)).until(() ->
                api.inspect(InspectSandboxRequest.newBuilder().setId(id).build()).getState().equals("running"));
        for (int i = 0; i < 100; i++) {
            api.pause(PauseSandboxRequest.newBuilder().setId(id).build());
            api.resume(ResumeSandboxRequest.newBuilder().setId(id).build());
        }
        StringBuilder out = new StringBuilder();
        RunOutput last = null;
        while (counting.hasNext()) {
            last = counting.next();
            if (last.getStream().equals("stdout")) {
                out.append(last.getData().toString(StandardCharsets.UTF_8));
            }
        }
        assertThat(last.getExitCode()).isZero();
        assertThat(out.toString()).isEqualTo("3000\n");
        assertThat(run(id, "cat", "/root/file")).isEqualTo("before\n");
        api.remove(RemoveSandboxRequest.newBuilder().setId(id).setForce(true).build());
    }

    /**
     * SIGKILL at the end of the capture step (VM paused, snapshot staged, not published): after a
     * restart there is no snapshot and no staging left, and the origin runs again.
     */
    @Test
    void crashMidCheckpoint_leavesNoSnapshot_andTheOriginRunsAgain() throws Exception {
        DaemonProcess d = new DaemonProcess("ckcrash-" + TestRun.vmId(), DaemonProcess.netns(), "")
                .jvmArg("-D" + Arcboxd.CRASH_AT + "=checkpoint.capture.after");
        try {
            d.start();
            String id = "victim-" + TestRun.vmId();
            d.sandboxes().create(CreateSandboxRequest.newBuilder().setId(id).setWait(true)
                    .setNetwork(NetworkSpec.newBuilder().setMode("none")).build());
            var snaps = SnapshotServiceGrpc.newBlockingStub(d.channel()).withDeadlineAfter(2, TimeUnit.MINUTES);
            assertThatThrownBy(() -> snaps.checkpoint(CheckpointRequest.newBuilder().setSandboxId(id).setStop(true).build()))
                    .isInstanceOf(StatusRuntimeException.class).hasMessageContaining("UNAVAILABLE");
            assertThat(d.awaitExit(java.time.Duration.ofSeconds(60))).isEqualTo(137);
            d.clearJvmArgs().start();
            var after = SnapshotServiceGrpc.newBlockingStub(d.channel()).withDeadlineAfter(2, TimeUnit.MINUTES);
            assertThat(after.list(ListSnapshotsRequest.getDefaultInstance()).getSnapshotsList()).isEmpty();
            try (var left = java.nio.file.Files.list(d.dataDir.resolve("snapshots"))) {
                assertThat(left.toList()).isEmpty();
            }
            StringBuilder out = new StringBuilder();
            var it = d.sandboxes().run(RunRequest.newBuilder().setId(id).addCmd("echo").addCmd("alive").build());
            while (it.hasNext()) {
                RunOutput o = it.next();
                if (o.getStream().equals("stdout")) {
                    out.append(o.getData().toString(StandardCharsets.UTF_8));
                }
            }
            assertThat(out.toString()).isEqualTo("alive\n");
            d.sandboxes().remove(RemoveSandboxRequest.newBuilder().setId(id).setForce(true).build());
        } finally {
            // sandboxes outlive a daemon by design: take them down before it goes
            try {
                for (var s : d.sandboxes().list(ListSandboxesRequest.getDefaultInstance()).getSandboxesList()) {
                    d.sandboxes().remove(RemoveSandboxRequest.newBuilder().setId(s.getId()).setForce(true).build());
                }
            } catch (StatusRuntimeException e) {
                // the daemon is down; the failure that brought us here says why
            }
            d.close();
        }
    }

    @Test
    void snapshots_areListedByOrigin_andSurviveADaemonRestart() throws Exception {
        assertThat(snapshots().list(ListSnapshotsRequest.newBuilder().setSandboxId(origin).build()).getSnapshotsList())
                .extracting(s -> s.getId()).contains(snapshot);
        daemon.kill();
        daemon.start();
        SnapshotInfo info = snapshots().inspect(InspectSnapshotRequest.newBuilder().setSnapshotId(snapshot).build());
        assertThat(info.getName()).isEqualTo("golden");
        assertThat(info.getMemoryFormat()).isEqualTo("raw_file");
        assertThat(info.getAssetHashesMap()).containsKeys("kernel", "initrd", "rootfs");
        assertThat(run(origin, "cat", "/root/file")).isEqualTo("after\n");
    }
}
