package dev.arcbox.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.arcbox.api.v1.CheckpointRequest;
import dev.arcbox.api.v1.CreateSandboxRequest;
import dev.arcbox.api.v1.ListSandboxesRequest;
import dev.arcbox.api.v1.ListSnapshotsRequest;
import dev.arcbox.api.v1.NetworkSpec;
import dev.arcbox.api.v1.RemoveSandboxRequest;
import dev.arcbox.api.v1.ResourceLimits;
import dev.arcbox.api.v1.RunOutput;
import dev.arcbox.api.v1.RunRequest;
import dev.arcbox.api.v1.SnapshotServiceGrpc;
import dev.arcbox.core.testing.TestRun;
import io.grpc.StatusRuntimeException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A checkpoint onto a full disk: the snapshot directory is a small tmpfs the test mounts (and
 * unmounts), too small for the guest's memory. The caller gets RESOURCE_EXHAUSTED saying so;
 * nothing is left on disk or in the catalog; the origin keeps running.
 */
@Tag("vm")
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class DiskFullTest {

    @Test
    void checkpointOntoAFullDisk_isResourceExhausted_leavesNoPartialSnapshot_andTheOriginRuns() throws Exception {
        TestRun.assumeQemuHost();
        DaemonProcess d = new DaemonProcess("diskfull-" + TestRun.vmId(), DaemonProcess.netns(), "");
        Path snapshots = Files.createDirectories(d.dataDir.resolve("snapshots"));
        DaemonProcess.run("mount", "-t", "tmpfs", "-o", "size=8m,mode=0700", "abx-test-full", snapshots.toString());
        try {
            d.start();
            String id = "full-" + TestRun.vmId();
            d.sandboxes().create(CreateSandboxRequest.newBuilder().setId(id).setWait(true)
                    .setLimits(ResourceLimits.newBuilder().setVcpus(1).setMemoryMib(128))
                    .setNetwork(NetworkSpec.newBuilder().setMode("none")).build());
            // touch guest memory so that it cannot fit in 8 MiB
            assertThat(run(d, id, "sh", "-c", "head -c 24000000 /dev/urandom > /root/fill && echo ok")).isEqualTo("ok\n");
            var api = SnapshotServiceGrpc.newBlockingStub(d.channel()).withDeadlineAfter(3, TimeUnit.MINUTES);
            assertThatThrownBy(() -> api.checkpoint(CheckpointRequest.newBuilder().setSandboxId(id).build()))
                    .isInstanceOf(StatusRuntimeException.class)
                    .hasMessageContaining("RESOURCE_EXHAUSTED").hasMessageContaining("no space left");
            assertThat(api.list(ListSnapshotsRequest.getDefaultInstance()).getSnapshotsList()).isEmpty();
            try (var left = Files.list(snapshots)) {
                assertThat(left.toList()).as("files left in the snapshot directory").isEmpty();
            }
            assertThat(run(d, id, "echo", "alive")).isEqualTo("alive\n");
            d.sandboxes().remove(RemoveSandboxRequest.newBuilder().setId(id).setForce(true).build());
        } finally {
            try {
                for (var s : d.sandboxes().list(ListSandboxesRequest.getDefaultInstance()).getSandboxesList()) {
                    d.sandboxes().remove(RemoveSandboxRequest.newBuilder().setId(s.getId()).setForce(true).build());
                }
            } catch (StatusRuntimeException e) {
                // the daemon is down; the failure that brought us here says why
            }
            d.close();
            DaemonProcess.run("umount", snapshots.toString());
        }
    }

    private static String run(DaemonProcess d, String id, String... cmd) {
        StringBuilder out = new StringBuilder();
        var it = d.sandboxes().run(RunRequest.newBuilder().setId(id).addAllCmd(java.util.List.of(cmd)).build());
        while (it.hasNext()) {
            RunOutput o = it.next();
            if (o.getStream().equals("stdout")) {
                out.append(o.getData().toString(StandardCharsets.UTF_8));
            }
        }
        return out.toString();
    }
}
