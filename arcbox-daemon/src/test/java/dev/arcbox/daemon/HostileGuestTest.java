package dev.arcbox.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import dev.arcbox.api.v1.CheckpointRequest;
import dev.arcbox.api.v1.CreateSandboxRequest;
import dev.arcbox.api.v1.DeleteSnapshotRequest;
import dev.arcbox.api.v1.InspectSandboxRequest;
import dev.arcbox.api.v1.ListSandboxesRequest;
import dev.arcbox.api.v1.ListSnapshotsRequest;
import dev.arcbox.api.v1.NetworkSpec;
import dev.arcbox.api.v1.RemoveSandboxRequest;
import dev.arcbox.api.v1.ResourceLimits;
import dev.arcbox.api.v1.RestoreRequest;
import dev.arcbox.api.v1.RunOutput;
import dev.arcbox.api.v1.RunRequest;
import dev.arcbox.api.v1.SandboxServiceGrpc;
import dev.arcbox.api.v1.SnapshotServiceGrpc;
import dev.arcbox.core.fs.FileTree;
import dev.arcbox.core.testing.TestRun;
import io.grpc.Context;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A guest that floods: a process writing to stdout as fast as it can, once with a client that
 * never reads and once with one that reads everything, and a process that never ends. The daemon
 * keeps serving, a neighbour sandbox keeps answering Run, and the daemon's memory stays bounded
 * (RSS of the daemon's pid before and after is printed; the bound asserted is generous, on bytes
 * held, not on time).
 */
@Tag("vm")
@Timeout(value = 8, unit = TimeUnit.MINUTES)
class HostileGuestTest {

    /** Generous: per-execution output buffers and credit windows are a few MiB; this is far above. */
    private static final long RSS_GROWTH_BOUND_KIB = 256 * 1024;

    @Test
    void aFloodingOrEndlessGuestProcess_harmsNeitherTheDaemonNorItsNeighbour() throws Exception {
        TestRun.assumeQemuHost();
        Path ramDir = Path.of("/dev/shm/abx-test-" + TestRun.id() + "-hostile");
        try (DaemonProcess d = new DaemonProcess("hostile-" + TestRun.id(), DaemonProcess.netns(), "", ramDir).start()) {
            try {
                var snaps = SnapshotServiceGrpc.newBlockingStub(d.channel()).withDeadlineAfter(3, TimeUnit.MINUTES);
                d.sandboxes().create(CreateSandboxRequest.newBuilder().setId("flooder").setWait(true)
                        .setLimits(ResourceLimits.newBuilder().setVcpus(1).setMemoryMib(128))
                        .setNetwork(NetworkSpec.newBuilder().setMode("none")).build());
                String snap = snaps.checkpoint(CheckpointRequest.newBuilder().setSandboxId("flooder").build())
                        .getSnapshotId();
                snaps.restore(RestoreRequest.newBuilder().setSnapshotId(snap).setId("neighbour").build());
                assertThat(run(d, "neighbour", "echo", "hi")).isEqualTo("hi\n");
                long rssBefore = rssKiB(d.pid());

                // 1. a flood nobody reads: credit stops the guest; nothing piles up in the daemon
                Context.CancellableContext unread = Context.current().withCancellation();
                Iterator<RunOutput> stalled = unread.call(() -> SandboxServiceGrpc.newBlockingStub(d.channel())
                        .run(RunRequest.newBuilder().setId("flooder").setKillOnDisconnect(true)
                                .addAllCmd(List.of("sh", "-c", "yes 0123456789abcdef0123456789abcdef")).build()));
                assertThat(stalled.next().getStream()).isEqualTo("stdout");
                for (int i = 0; i < 5; i++) {
                    assertThat(run(d, "neighbour", "echo", "still " + i)).isEqualTo("still " + i + "\n");
                }
                long rssStalled = rssKiB(d.pid());
                unread.cancel(null);

                // 2. a flood read as fast as it comes, 64 MiB of it
                long bytes = 0;
                Iterator<RunOutput> flood = SandboxServiceGrpc.newBlockingStub(d.channel()).withDeadlineAfter(4, TimeUnit.MINUTES)
                        .run(RunRequest.newBuilder().setId("flooder").setKillOnDisconnect(true)
                                .addAllCmd(List.of("sh", "-c", "head -c 67108864 /dev/zero")).build());
                while (flood.hasNext()) {
                    bytes += flood.next().getData().size();
                }
                assertThat(bytes).isEqualTo(64L << 20);
                long rssFlooded = rssKiB(d.pid());

                // 3. a process that never ends, its client gone: the sandbox and the daemon carry on
                Context.CancellableContext endless = Context.current().withCancellation();
                Iterator<RunOutput> forever = endless.call(() -> SandboxServiceGrpc.newBlockingStub(d.channel())
                        .run(RunRequest.newBuilder().setId("flooder")
                                .addAllCmd(List.of("sh", "-c", "echo up; exec sleep 100000")).build()));
                assertThat(forever.next().getData().toStringUtf8()).isEqualTo("up\n");
                endless.cancel(null);
                assertThat(run(d, "flooder", "echo", "flooder fine")).isEqualTo("flooder fine\n");
                assertThat(run(d, "neighbour", "echo", "neighbour fine")).isEqualTo("neighbour fine\n");
                assertThat(d.sandboxes().inspect(InspectSandboxRequest.newBuilder().setId("neighbour").build()).getState())
                        .isEqualTo("ready");
                long rssAfter = rssKiB(d.pid());
                System.out.printf("HostileGuestTest: daemon RSS KiB before %d, flood unread %d, after 64 MiB read %d,"
                        + " at end %d%n", rssBefore, rssStalled, rssFlooded, rssAfter);
                assertThat(Math.max(rssStalled, Math.max(rssFlooded, rssAfter)) - rssBefore)
                        .as("daemon RSS growth (KiB) under floods").isLessThan(RSS_GROWTH_BOUND_KIB);
                d.sandboxes().remove(RemoveSandboxRequest.newBuilder().setId("neighbour").setForce(true).build());
                d.sandboxes().remove(RemoveSandboxRequest.newBuilder().setId("flooder").setForce(true).build());
                snaps.delete(DeleteSnapshotRequest.newBuilder().setSnapshotId(snap).build());
            } finally {
                try {
                    for (var s : d.sandboxes().list(ListSandboxesRequest.getDefaultInstance()).getSandboxesList()) {
                        d.sandboxes().remove(RemoveSandboxRequest.newBuilder().setId(s.getId()).setForce(true).build());
                    }
                    var snaps = SnapshotServiceGrpc.newBlockingStub(d.channel()).withDeadlineAfter(1, TimeUnit.MINUTES);
                    for (var s : snaps.list(ListSnapshotsRequest.getDefaultInstance()).getSnapshotsList()) {
                        snaps.delete(DeleteSnapshotRequest.newBuilder().setSnapshotId(s.getId()).build());
                    }
                } catch (StatusRuntimeException e) {
                    // the daemon is down; the failure that brought us here says why
                }
            }
        } finally {
            FileTree.delete(ramDir);
        }
    }

    /**
     * The agent itself turned hostile (its test mode, {@code arcbox.test_hostile=1}; see
     * docs/agent-protocol.md §8): garbage where a frame belongs, a frame length of 4 GiB, a frame cut
     * off mid-header, and an agent that never answers again. Only that sandbox's channel is reset
     * (the next Run reconnects and works) or, for the silent one, only that sandbox stops answering;
     * the neighbour answers throughout and the daemon's memory stays bounded.
     */
    @Test
    void aHostileAgent_resetsOnlyItsOwnChannel() throws Exception {
        TestRun.assumeQemuHost();
        Path ramDir = Path.of("/dev/shm/abx-test-" + TestRun.id() + "-agent");
        try (DaemonProcess d = new DaemonProcess("hagent-" + TestRun.id(), DaemonProcess.netns(), "", ramDir).start()) {
            try {
                for (String id : List.of("hostile", "calm")) {
                    d.sandboxes().create(CreateSandboxRequest.newBuilder().setId(id).setWait(true)
                            .setBootArgs(id.equals("hostile") ? "arcbox.test_hostile=1" : "")
                            .setLimits(ResourceLimits.newBuilder().setVcpus(1).setMemoryMib(128))
                            .setNetwork(NetworkSpec.newBuilder().setMode("none")).build());
                }
                assertThat(run(d, "hostile", "echo", "hi")).isEqualTo("hi\n");
                long rssBefore = rssKiB(d.pid());
                for (String act : List.of("garbage", "oversize", "midframe")) {
                    StatusRuntimeException refused = org.assertj.core.api.Assertions.catchThrowableOfType(
                            StatusRuntimeException.class, () -> run(d, "hostile", "@hostile:" + act));
                    assertThat(refused).as("Run of hostile act %s", act).isNotNull();
                    System.out.printf("HostileGuestTest: hostile %s -> %s%n", act, refused.getStatus());
                    assertThat(run(d, "calm", "echo", "calm " + act)).isEqualTo("calm " + act + "\n");
                    org.awaitility.Awaitility.await("the hostile sandbox's channel reset after " + act)
                            .atMost(java.time.Duration.ofMinutes(2)).pollInterval(java.time.Duration.ofSeconds(1))
                            .ignoreExceptions()
                            .until(() -> run(d, "hostile", "echo", "back").equals("back\n"));
                }
                StatusRuntimeException silent = org.assertj.core.api.Assertions.catchThrowableOfType(
                        StatusRuntimeException.class, () -> run(d, "hostile", "@hostile:silent"));
                assertThat(silent).as("Run against an agent that never answers").isNotNull();
                System.out.printf("HostileGuestTest: hostile silent -> %s%n", silent.getStatus());
                assertThat(run(d, "calm", "echo", "calm after silence")).isEqualTo("calm after silence\n");
                long rssAfter = rssKiB(d.pid());
                System.out.printf("HostileGuestTest: daemon RSS KiB before hostile acts %d, after %d%n", rssBefore, rssAfter);
                assertThat(rssAfter - rssBefore).as("daemon RSS growth (KiB) under a hostile agent")
                        .isLessThan(RSS_GROWTH_BOUND_KIB);
                d.sandboxes().remove(RemoveSandboxRequest.newBuilder().setId("hostile").setForce(true).build());
                assertThat(run(d, "calm", "echo", "calm at the end")).isEqualTo("calm at the end\n");
            } finally {
                try {
                    for (var s : d.sandboxes().list(ListSandboxesRequest.getDefaultInstance()).getSandboxesList()) {
                        d.sandboxes().remove(RemoveSandboxRequest.newBuilder().setId(s.getId()).setForce(true).build());
                    }
                } catch (StatusRuntimeException e) {
                    // the daemon is down; the failure that brought us here says why
                }
            }
        } finally {
            FileTree.delete(ramDir);
        }
    }

    private static String run(DaemonProcess d, String id, String... cmd) {
        StringBuilder out = new StringBuilder();
        var it = SandboxServiceGrpc.newBlockingStub(d.channel()).withDeadlineAfter(1, TimeUnit.MINUTES)
                .run(RunRequest.newBuilder().setId(id).addAllCmd(List.of(cmd)).build());
        while (it.hasNext()) {
            RunOutput o = it.next();
            if (o.getStream().equals("stdout")) {
                out.append(o.getData().toString(StandardCharsets.UTF_8));
            }
        }
        return out.toString();
    }

    static long rssKiB(long pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new IOException("no VmRSS for pid " + pid);
    }
}
