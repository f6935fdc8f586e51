package dev.arcbox.bench;

import dev.arcbox.api.v1.CheckpointRequest;
import dev.arcbox.api.v1.CreateSandboxRequest;
import dev.arcbox.api.v1.DeleteSnapshotRequest;
import dev.arcbox.api.v1.InspectSandboxRequest;
import dev.arcbox.api.v1.ListSandboxesRequest;
import dev.arcbox.api.v1.NetworkSpec;
import dev.arcbox.api.v1.RemoveSandboxRequest;
import dev.arcbox.api.v1.ResourceLimits;
import dev.arcbox.api.v1.RestoreRequest;
import dev.arcbox.api.v1.SandboxEvent;
import dev.arcbox.api.v1.SandboxEventsRequest;
import dev.arcbox.api.v1.SandboxServiceGrpc;
import dev.arcbox.api.v1.SnapshotServiceGrpc;
import dev.arcbox.core.fs.FileTree;
import dev.arcbox.core.proc.PidFd;
import dev.arcbox.core.proc.ProcessIdentity;
import dev.arcbox.core.testing.TestRun;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * How long arcboxd takes to notice a VMM killed from outside: from SIGKILL of the recorded QEMU
 * pid to the sandbox's {@code failed} event reaching a client subscribed to Events, and to Inspect
 * showing {@code failed}. Sandboxes are restored from one snapshot (no cold boot per run). Run by
 * {@code make bench}; prints median and max, writes bench/target/vmm-kill-bench.txt.
 */
@Tag("bench")
class VmmKillBench {

    private static final int RUNS = Integer.getInteger("bench.runs", 10);
    private static final String LIMITS = """
            max_sandboxes = 8
            max_concurrent_boots = 2
            memory_headroom_mib = 64
            """;
    private final StringBuilder report = new StringBuilder();

    @Test
    @Timeout(value = 15, unit = TimeUnit.MINUTES)
    void vmmKillDetectionLatency() throws Exception {
        TestRun.assumeQemuHost();
        String netns = "abx-k" + TestRun.id();
        Path dataDir = TestRun.baseDir().resolve("vmm-kill-bench");
        line("arcbox vmm-kill detection bench, %s, %d runs, load %s", Instant.now(), RUNS, Bench.uptime());
        Bench.run("ip", "netns", "add", netns);
        BenchDaemon daemon = null;
        try {
            Bench.run("ip", "-n", netns, "link", "set", "lo", "up");
            daemon = new BenchDaemon(dataDir, netns, TestRun.ramDir(), LIMITS).start();
            measure(daemon);
        } finally {
            if (daemon != null) {
                try {
                    for (var s : daemon.sandboxes().list(ListSandboxesRequest.getDefaultInstance()).getSandboxesList()) {
                        daemon.sandboxes().remove(RemoveSandboxRequest.newBuilder().setId(s.getId()).setForce(true).build());
                    }
                } catch (RuntimeException e) {
                    System.err.println("bench cleanup: " + e.getMessage());
                }
                daemon.close();
            }
            Bench.runQuietly("ip", "netns", "del", netns);
            FileTree.delete(dataDir);
            line("load at end: %s", Bench.uptime());
            Files.createDirectories(Path.of("target"));
            Files.writeString(Path.of("target/vmm-kill-bench.txt"), report);
        }
    }

    private void measure(BenchDaemon daemon) {
        var api = daemon.sandboxes();
        var snapshots = SnapshotServiceGrpc.newBlockingStub(daemon.channel()).withDeadlineAfter(5, TimeUnit.MINUTES);
        api.create(CreateSandboxRequest.newBuilder().setId("origin").setWait(true)
                .setLimits(ResourceLimits.newBuilder().setVcpus(1).setMemoryMib(128))
                .setNetwork(NetworkSpec.newBuilder().setMode("none")).build());
        String snap = snapshots.checkpoint(CheckpointRequest.newBuilder().setSandboxId("origin").build()).getSnapshotId();
        api.remove(RemoveSandboxRequest.newBuilder().setId("origin").setForce(true).build());
        List<Double> toEvent = new ArrayList<>();
        List<Double> toInspect = new ArrayList<>();
        for (int i = 0; i < RUNS; i++) {
            String id = "victim-" + i;
            snapshots.restore(RestoreRequest.newBuilder().setSnapshotId(snap).setId(id).build());
            long pid = api.inspect(InspectSandboxRequest.newBuilder().setId(id).build()).getVmmPid();
            Iterator<SandboxEvent> events = SandboxServiceGrpc.newBlockingStub(daemon.channel())
                    .withDeadlineAfter(2, TimeUnit.MINUTES)
                    .events(SandboxEventsRequest.newBuilder().setId(id).setAction("failed").setFromSeq(1).build());
            PidFd vmm = PidFd.open(ProcessIdentity.of(pid).orElseThrow());
            long t0 = System.nanoTime();
            vmm.signal(9);
            events.next();
            toEvent.add((System.nanoTime() - t0) / 1e6);
            while (!api.inspect(InspectSandboxRequest.newBuilder().setId(id).build()).getState().equals("failed")) {
                Thread.onSpinWait();
            }
            toInspect.add((System.nanoTime() - t0) / 1e6);
            vmm.close();
            api.remove(RemoveSandboxRequest.newBuilder().setId(id).setForce(true).build());
        }
        snapshots.delete(DeleteSnapshotRequest.newBuilder().setSnapshotId(snap).build());
        line("SIGKILL of the VMM -> 'failed' event at a client  median %8.1f ms  max %8.1f ms", median(toEvent),
                Collections.max(toEvent));
        line("SIGKILL of the VMM -> Inspect shows failed        median %8.1f ms  max %8.1f ms", median(toInspect),
                Collections.max(toInspect));
    }

    private void line(String format, Object... args) {
        String text = String.format(Locale.ROOT, format, args);
        System.out.println(text);
        report.append(text).append('\n');
    }

    private static double median(List<Double> xs) {
        List<Double> s = new ArrayList<>(xs);
        Collections.sort(s);
        return s.get(s.size() / 2);
    }
}
