package dev.arcbox.bench;

import dev.arcbox.core.agent.AgentClient;
import dev.arcbox.core.agent.ExecRequest;
import dev.arcbox.core.agent.ExecResult;
import dev.arcbox.core.agent.Execution;
import dev.arcbox.core.driver.DiskPlan;
import dev.arcbox.core.driver.MachinePlan;
import dev.arcbox.core.driver.RestorePlan;
import dev.arcbox.core.driver.RunningVm;
import dev.arcbox.core.driver.SnapshotFiles;
import dev.arcbox.core.driver.SnapshotKind;
import dev.arcbox.core.driver.VmPlan;
import dev.arcbox.core.fs.FileTree;
import dev.arcbox.core.image.GuestImage;
import dev.arcbox.core.image.ScratchDisk;
import dev.arcbox.core.testing.TestRun;
import dev.arcbox.driver.qemu.QemuConfig;
import dev.arcbox.driver.qemu.QemuDriver;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Driver benchmarks on real microVMs (run by {@code make bench}, never by {@code make test}).
 * Prints medians beside the raw figures measured with plain QEMU on this machine class
 * (shared/reference/environment.md), and writes them to bench/target/driver-bench.txt.
 */
@Tag("bench")
class DriverBench {

    private static final int RUNS = Integer.getInteger("bench.runs", 5);
    private static final Duration DEADLINE = Duration.ofSeconds(120);
    private final StringBuilder report = new StringBuilder();

    private final QemuDriver driver = new QemuDriver(QemuConfig.defaults().withRamDir(TestRun.ramDir()));
    private final GuestImage image = TestRun.image();

    @Test
    @Timeout(value = 30, unit = java.util.concurrent.TimeUnit.MINUTES)
    void driverFigures() throws Exception {
        TestRun.assumeQemuHost();
        line("arcbox driver bench, %s, %d runs, accelerator %s", Instant.now(), RUNS,
                driver.capabilities().contains(dev.arcbox.core.driver.Capability.HARDWARE_ACCELERATION) ? "kvm" : "tcg");

        List<Double> boot = new ArrayList<>();
        List<Double> rtt = new ArrayList<>();
        List<Double> ping = new ArrayList<>();
        List<Double> throughput = new ArrayList<>();
        List<Long> coldPss = new ArrayList<>();
        for (int i = 0; i < RUNS; i++) {
            VmPlan plan = plan(TestRun.vmId(), null);
            long t0 = System.nanoTime();
            RunningVm vm = driver.boot(plan);
            try {
                AgentClient agent = vm.agent(DEADLINE);
                boot.add((System.nanoTime() - t0) / 1e6);
                for (int k = 0; k < 20; k++) {
                    run(agent, "true");
                }
                for (int k = 0; k < 100; k++) {
                    long s = System.nanoTime();
                    run(agent, "true");
                    rtt.add((System.nanoTime() - s) / 1e6);
                }
                for (int k = 0; k < 200; k++) {
                    ping.add(agent.ping(DEADLINE).toNanos() / 1e6);
                }
                throughput.add(stdoutMiBps(agent, 64));
                coldPss.add(pssKiB(vm.pid()));
            } finally {
                vm.stop(Duration.ofSeconds(10));
                FileTree.delete(plan.runDir().getParent());
            }
        }
        line("spawn -> HELLO (cold boot)     median %8.1f ms   (raw QEMU+C init to agent echo: 2180-3170 ms)", median(boot));
        line("agent PING round trip          p50 %6.3f ms  p99 %6.3f ms  (raw virtio-serial 64 B echo: 0.076 ms)",
                percentile(ping, 50), percentile(ping, 99));
        line("exec `true` round trip         p50 %6.2f ms  p99 %6.2f ms  (fork+exec in the guest; raw: none measured)",
                percentile(rtt, 50), percentile(rtt, 99));
        line("stdout throughput (64 MiB)     median %8.1f MiB/s  (raw virtio-serial echo 8 MiB: 59-61 MiB/s)", median(throughput));
        line("PSS of a cold-booted VM        median %8.1f MiB  (raw: ~135 MiB at 128 MiB guest)", medianLong(coldPss) / 1024.0);

        // snapshot once, then restores and a fork of 10
        VmPlan originPlan = plan(TestRun.vmId(), null);
        RunningVm origin = driver.boot(originPlan);
        Path snapDir = Files.createDirectories(TestRun.baseDir().resolve("bench-snap"));
        SnapshotFiles snapshot;
        try {
            origin.agent(DEADLINE);
            long s = System.nanoTime();
            snapshot = origin.snapshot(snapDir, SnapshotKind.FULL, true);
            line("snapshot (pause, device state, RAM + disk copy)    %8.1f ms", (System.nanoTime() - s) / 1e6);
        } finally {
            origin.stop(Duration.ZERO);
            FileTree.delete(originPlan.runDir().getParent());
        }
        List<Double> restore = new ArrayList<>();
        for (int i = 0; i < RUNS; i++) {
            VmPlan plan = plan(TestRun.vmId(), snapshot.writableDisk().orElseThrow());
            long t0 = System.nanoTime();
            RunningVm clone = driver.restore(new RestorePlan(plan, snapshot));
            try {
                resync(clone.agent(DEADLINE));
                restore.add((System.nanoTime() - t0) / 1e6);
            } finally {
                clone.stop(Duration.ZERO);
                FileTree.delete(plan.runDir().getParent());
            }
        }
        line("restore -> HELLO after resync  median %8.1f ms   (raw: running 50 ms, shell 142 ms)  = %.1f%% of cold boot",
                median(restore), 100 * median(restore) / median(boot));

        List<RunningVm> forks = Collections.synchronizedList(new ArrayList<>());
        List<VmPlan> plans = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            plans.add(plan(TestRun.vmId(), snapshot.writableDisk().orElseThrow()));
        }
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            long t0 = System.nanoTime();
            List<Future<?>> all = new ArrayList<>();
            for (VmPlan plan : plans) {
                all.add(pool.submit(() -> {
                    RunningVm clone = driver.restore(new RestorePlan(plan, snapshot));
                    forks.add(clone);
                    resync(clone.agent(DEADLINE));
                    return null;
                }));
            }
            for (Future<?> f : all) {
                f.get();
            }
            double forkMs = (System.nanoTime() - t0) / 1e6;
            List<Long> pss = new ArrayList<>();
            for (RunningVm clone : forks) {
                pss.add(pssKiB(clone.pid()));
            }
            line("fork of 10 -> all ready        %8.1f ms   (%.1f ms per clone)", forkMs, forkMs / 10);
            line("PSS per fork                   median %8.1f MiB = %.0f%% of a cold VM  (raw forks: ~49 MiB)",
                    medianLong(pss) / 1024.0, 100.0 * medianLong(pss) / medianLong(coldPss));
        } finally {
            forks.forEach(f -> f.stop(Duration.ZERO));
            plans.forEach(p -> FileTree.delete(p.runDir().getParent()));
            FileTree.delete(snapDir);
        }
        Files.createDirectories(Path.of("target"));
        Files.writeString(Path.of("target/driver-bench.txt"), report);
    }

    private void line(String format, Object... args) {
        String text = String.format(Locale.ROOT, format, args);
        System.out.println(text);
        report.append(text).append('\n');
    }

    private VmPlan plan(String vmId, Path diskSource) throws IOException {
        Path dir = Files.createDirectories(TestRun.baseDir().resolve(vmId));
        Path disk = dir.resolve("rw.img");
        if (diskSource == null) {
            ScratchDisk.create(disk, 512L << 20);
        } else {
            FileTree.sparseCopy(diskSource, disk);
        }
        return new VmPlan(vmId, dir.resolve("run"), dir.resolve("console.log"), MachinePlan.of(1, 128),
                image.kernel(), image.initrd(), "", List.of(DiskPlan.root(image.rootfs()), DiskPlan.writable(disk)),
                List.of(), VmPlan.DEFAULT_AGENT_PORT, image.hashes());
    }

    private static void resync(AgentClient agent) {
        byte[] entropy = new byte[32];
        new SecureRandom().nextBytes(entropy);
        agent.resync(Instant.now(), entropy, DEADLINE);
    }

    private static void run(AgentClient agent, String... argv) {
        ExecResult r = agent.exec(ExecRequest.of(argv), DEADLINE).collect(DEADLINE, 4096);
        if (r.status().exitCode() == null || r.status().exitCode() != 0) {
            throw new IllegalStateException("bench command failed: " + List.of(argv));
        }
    }

    private static double stdoutMiBps(AgentClient agent, int mib) throws IOException {
        Execution exec = agent.exec(new ExecRequest(List.of("dd", "if=/dev/zero", "bs=65536", "count=" + (mib * 16)),
                java.util.Map.of(), null, null, false, 1 << 20), DEADLINE);
        long t0 = System.nanoTime();
        InputStream out = exec.stdout();
        byte[] buf = new byte[1 << 16];
        long total = 0;
        int n;
        while ((n = out.read(buf)) > 0) {
            total += n;
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        exec.exit().join();
        if (total != (long) mib << 20) {
            throw new IllegalStateException("expected " + mib + " MiB, got " + total + " bytes");
        }
        return mib / secs;
    }

    private static long pssKiB(long pid) throws IOException {
        for (String l : Files.readAllLines(Path.of("/proc/" + pid + "/smaps_rollup"))) {
            if (l.startsWith("Pss:")) {
                return Long.parseLong(l.replaceAll("[^0-9]", ""));
            }
        }
        return -1;
    }

    private static double median(List<Double> xs) {
        return percentile(xs, 50);
    }

    private static double percentile(List<Double> xs, int p) {
        List<Double> s = new ArrayList<>(xs);
        Collections.sort(s);
        return s.get(Math.min(s.size() - 1, (int) Math.ceil(p / 100.0 * s.size()) - 1));
    }

    private static long medianLong(List<Long> xs) {
        List<Long> s = new ArrayList<>(xs);
        Collections.sort(s);
        return s.get(s.size() / 2);
    }
}
