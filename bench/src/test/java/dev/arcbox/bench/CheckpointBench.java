package dev.arcbox.bench;

import dev.arcbox.api.v1.CheckpointRequest;
import dev.arcbox.api.v1.CheckpointResponse;
import dev.arcbox.api.v1.CreateSandboxRequest;
import dev.arcbox.api.v1.DeleteSnapshotRequest;
import dev.arcbox.api.v1.InspectSandboxRequest;
import dev.arcbox.api.v1.ListSandboxesRequest;
import dev.arcbox.api.v1.NetworkSpec;
import dev.arcbox.api.v1.RemoveSandboxRequest;
import dev.arcbox.api.v1.ResourceLimits;
import dev.arcbox.api.v1.RestoreRequest;
import dev.arcbox.api.v1.RestoreResponse;
import dev.arcbox.api.v1.SnapshotServiceGrpc;
import dev.arcbox.core.driver.DiskPlan;
import dev.arcbox.core.driver.MachinePlan;
import dev.arcbox.core.driver.RestorePlan;
import dev.arcbox.core.driver.RunningVm;
import dev.arcbox.core.driver.SnapshotFiles;
import dev.arcbox.core.driver.SnapshotManifest;
import dev.arcbox.core.driver.VmPlan;
import dev.arcbox.core.fs.FileTree;
import dev.arcbox.core.image.GuestImage;
import dev.arcbox.core.image.ScratchDisk;
import dev.arcbox.core.testing.TestRun;
import dev.arcbox.driver.qemu.QemuConfig;
import dev.arcbox.driver.qemu.QemuDriver;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Checkpoints through the API beside the driver alone, in one run: cold create → ready, restore
 * → ready, fork of 10 → all ready, PSS per fork against a cold sandbox. Run by {@code make bench}.
 */
@Tag("bench")
class CheckpointBench {

    private static final int RUNS = Integer.getInteger("bench.runs", 5);
    private static final String LIMITS = """
            max_sandboxes = 32
            max_concurrent_boots = 4
            memory_headroom_mib = 64
            """;
    private final StringBuilder report = new StringBuilder();
    private final QemuDriver driver = new QemuDriver(QemuConfig.defaults().withRamDir(TestRun.ramDir()));
    private final GuestImage image = TestRun.image();

    @Test
    @Timeout(value = 20, unit = TimeUnit.MINUTES)
    void checkpointFigures() throws Exception {
        TestRun.assumeQemuHost();
        String netns = "abx-c" + TestRun.id();
        Path dataDir = TestRun.baseDir().resolve("checkpoint-bench");
        line("arcbox checkpoint bench, %s, %d runs, tcg, load %s", Instant.now(), RUNS, Bench.uptime());
        Bench.run("ip", "netns", "add", netns);
        BenchDaemon daemon = null;
        try {
            Bench.run("ip", "-n", netns, "link", "set", "lo", "up");
            daemon = new BenchDaemon(dataDir, netns, TestRun.ramDir(), LIMITS).start();
            measure(daemon);
        } finally {
            if (daemon != null) {
                removeAll(daemon);
                daemon.close();
            }
            Bench.runQuietly("ip", "netns", "del", netns);
            FileTree.delete(dataDir);
            line("load at end: %s", Bench.uptime());
            Files.createDirectories(Path.of("target"));
            Files.writeString(Path.of("target/checkpoint-bench.txt"), report);
        }
    }

    private void measure(BenchDaemon daemon) throws Exception {
        var api = daemon.sandboxes();
        var snapshots = SnapshotServiceGrpc.newBlockingStub(daemon.channel()).withDeadlineAfter(10, TimeUnit.MINUTES);
        List<Double> cold = new ArrayList<>();
        List<Long> coldPss = new ArrayList<>();
        for (int i = 0; i < RUNS; i++) {
            String id = "cold-" + i;
            long t0 = System.nanoTime();
            api.create(sandbox(id).build());
            cold.add((System.nanoTime() - t0) / 1e6);
            coldPss.add(Bench.pssKiB(api.inspect(InspectSandboxRequest.newBuilder().setId(id).build()).getVmmPid()));
            if (i < RUNS - 1) {
                api.remove(RemoveSandboxRequest.newBuilder().setId(id).setForce(true).build());
            }
        }
        // the same create in mode tap: the difference is the network set-up (lease, TAP, rules)
        List<Double> tap = new ArrayList<>();
        for (int i = 0; i < RUNS; i++) {
            String id = "tap-" + i;
            long n0 = System.nanoTime();
            api.create(sandbox(id).setNetwork(NetworkSpec.newBuilder().setMode("tap")).build());
            tap.add((System.nanoTime() - n0) / 1e6);
            api.remove(RemoveSandboxRequest.newBuilder().setId(id).setForce(true).build());
        }
        line("create -> ready, mode tap vs none              median %8.1f ms vs %8.1f ms: network set-up %.1f ms = %.1f %% of create",
                median(tap), median(cold), median(tap) - median(cold), 100 * (median(tap) - median(cold)) / median(tap));
        long t0 = System.nanoTime();
        CheckpointResponse snap = snapshots.checkpoint(CheckpointRequest.newBuilder().setSandboxId("cold-" + (RUNS - 1)).build());
        line("checkpoint via API                              %8.1f ms  (%.1f MiB on disk)",
                (System.nanoTime() - t0) / 1e6, snap.getSizeBytes() / 1048576.0);
        List<Double> restore = new ArrayList<>();
        for (int i = 0; i < RUNS; i++) {
            long r0 = System.nanoTime();
            RestoreResponse r = snapshots.restore(RestoreRequest.newBuilder().setSnapshotId(snap.getSnapshotId())
                    .setId("restored-" + i).build());
            restore.add((System.nanoTime() - r0) / 1e6);
            api.remove(RemoveSandboxRequest.newBuilder().setId(r.getId()).setForce(true).build());
        }
        long f0 = System.nanoTime();
        RestoreResponse fork = snapshots.restore(RestoreRequest.newBuilder().setSnapshotId(snap.getSnapshotId())
                .setId("fork").setCount(10).build());
        double forkMs = (System.nanoTime() - f0) / 1e6;
        List<Long> forkPss = new ArrayList<>();
        for (String id : fork.getIdsList()) {
            forkPss.add(Bench.pssKiB(api.inspect(InspectSandboxRequest.newBuilder().setId(id).build()).getVmmPid()));
        }
        List<Double> driverCold = new ArrayList<>();
        List<Double> driverRestore = new ArrayList<>();
        driverFigures(Path.of(snap.getSnapshotDir()), driverCold, driverRestore);

        line("cold create -> ready via API                    median %8.1f ms   driver alone: %8.1f ms",
                median(cold), median(driverCold));
        line("restore -> ready via API (clock, entropy)       median %8.1f ms   driver alone: %8.1f ms",
                median(restore), median(driverRestore));
        line("  restore / cold create (API)                          %7.1f %%   (target <= 10 %%)",
                100 * median(restore) / median(cold));
        line("fork of 10 -> all ready via API                        %8.1f ms  (%.1f ms per clone)", forkMs, forkMs / 10);
        line("PSS per fork                                    median %8.1f MiB  cold sandbox: %.1f MiB  = %.0f %%  (target <= 50 %%)",
                medianLong(forkPss) / 1024.0, medianLong(coldPss) / 1024.0, 100.0 * medianLong(forkPss) / medianLong(coldPss));
        for (String id : fork.getIdsList()) {
            api.remove(RemoveSandboxRequest.newBuilder().setId(id).setForce(true).build());
        }
        api.remove(RemoveSandboxRequest.newBuilder().setId("cold-" + (RUNS - 1)).setForce(true).build());
        snapshots.delete(DeleteSnapshotRequest.newBuilder().setSnapshotId(snap.getSnapshotId()).build());
    }

    /** The same two operations with the driver alone, in this run: cold boot to HELLO, restore to resync. */
    private void driverFigures(Path snapshotDir, List<Double> cold, List<Double> restore) throws IOException {
        SnapshotFiles files = SnapshotManifest.read(snapshotDir);
        for (int i = 0; i < RUNS; i++) {
            VmPlan plan = plan(TestRun.vmId(), null);
            long t0 = System.nanoTime();
            RunningVm vm = driver.boot(plan);
            try {
                vm.agent(Duration.ofSeconds(120));
                cold.add((System.nanoTime() - t0) / 1e6);
            } finally {
                vm.stop(Duration.ZERO);
                FileTree.delete(plan.runDir().getParent());
            }
            VmPlan clonePlan = plan(TestRun.vmId(), files.writableDisk().orElseThrow());
            long r0 = System.nanoTime();
            RunningVm clone = driver.restore(new RestorePlan(clonePlan, files));
            try {
                byte[] entropy = new byte[64];
                new SecureRandom().nextBytes(entropy);
                clone.agent(Duration.ofSeconds(60)).resync(Instant.now(), entropy, Duration.ofSeconds(60));
                restore.add((System.nanoTime() - r0) / 1e6);
            } finally {
                clone.stop(Duration.ZERO);
                FileTree.delete(clonePlan.runDir().getParent());
            }
        }
    }

    private VmPlan plan(String vmId, Path diskSource) throws IOException {
        Path dir = Files.createDirectories(TestRun.baseDir().resolve(vmId));
        Path disk = dir.resolve("rw.img");
        if (diskSource == null) {
            ScratchDisk.create(disk, 2L << 30);
        } else {
            FileTree.sparseCopy(diskSource, disk);
        }
        return new VmPlan(vmId, dir.resolve("run"), dir.resolve("console.log"), MachinePlan.of(1, 256),
                image.kernel(), image.initrd(), "", List.of(DiskPlan.root(image.rootfs()), DiskPlan.writable(disk)),
                List.of(), VmPlan.DEFAULT_AGENT_PORT, image.hashes());
    }

    private static CreateSandboxRequest.Builder sandbox(String id) {
        return CreateSandboxRequest.newBuilder().setId(id).setWait(true)
                .setLimits(ResourceLimits.newBuilder().setVcpus(1).setMemoryMib(256))
                .setNetwork(NetworkSpec.newBuilder().setMode("none"));
    }

    private static void removeAll(BenchDaemon daemon) {
        try {
            for (var s : daemon.sandboxes().list(ListSandboxesRequest.getDefaultInstance()).getSandboxesList()) {
                daemon.sandboxes().remove(RemoveSandboxRequest.newBuilder().setId(s.getId()).setForce(true).build());
            }
        } catch (RuntimeException e) {
            System.err.println("bench cleanup: " + e.getMessage());
        }
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

    private static long medianLong(List<Long> xs) {
        List<Long> s = new ArrayList<>(xs);
        Collections.sort(s);
        return s.get(s.size() / 2);
    }
}
