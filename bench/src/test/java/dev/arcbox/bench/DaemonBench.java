package dev.arcbox.bench;

import dev.arcbox.api.v1.CreateSandboxRequest;
import dev.arcbox.api.v1.CreateSandboxResponse;
import dev.arcbox.api.v1.InspectSandboxRequest;
import dev.arcbox.api.v1.ListSandboxesRequest;
import dev.arcbox.api.v1.NetworkSpec;
import dev.arcbox.api.v1.RemoveSandboxRequest;
import dev.arcbox.api.v1.ResourceLimits;
import dev.arcbox.api.v1.RunOutput;
import dev.arcbox.api.v1.RunRequest;
import dev.arcbox.api.v1.SandboxInfo;
import dev.arcbox.api.v1.SandboxServiceGrpc;
import dev.arcbox.api.v1.SandboxSummary;
import dev.arcbox.core.driver.DiskPlan;
import dev.arcbox.core.driver.MachinePlan;
import dev.arcbox.core.driver.RunningVm;
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
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Daemon benchmarks: a real arcboxd (own process, own network namespace, own data dir) driven over
 * its gRPC Unix socket, beside the driver alone booting the same VM in the same run (run by
 * {@code make bench}, never by {@code make test}). Prints medians and percentiles with the load
 * average at start and end, and writes them to bench/target/daemon-bench.txt. Everything it
 * creates (sandboxes, VMs, the namespace, the data dir) is removed at the end, also on failure.
 */
@Tag("bench")
class DaemonBench {

    private static final int RUNS = Integer.getInteger("bench.runs", 5);
    private static final int STORED = Integer.getInteger("bench.stored", 1000);
    private static final int READY = 10;
    private static final Duration DEADLINE = Duration.ofSeconds(120);
    private static final String LIMITS = """
            max_sandboxes = 1100
            max_concurrent_boots = 4
            memory_headroom_mib = 64
            """;

    private final StringBuilder report = new StringBuilder();
    private final QemuDriver driver = new QemuDriver(QemuConfig.defaults().withRamDir(TestRun.ramDir()));
    private final GuestImage image = TestRun.image();

    @Test
    @Timeout(value = 20, unit = TimeUnit.MINUTES)
    void daemonFigures() throws Exception {
        TestRun.assumeQemuHost();
        String netns = "abx-b" + TestRun.id();
        Path dataDir = TestRun.baseDir().resolve("daemon-bench");
        line("arcbox daemon bench, %s, %d runs, accelerator %s, %d cpus", Instant.now(), RUNS,
                driver.capabilities().contains(dev.arcbox.core.driver.Capability.HARDWARE_ACCELERATION) ? "kvm" : "tcg",
                Runtime.getRuntime().availableProcessors());
        line("load at start: %s", Bench.uptime());
        BenchDaemon daemon = null;
        Bench.run("ip", "netns", "add", netns);
        Thread netnsHook = new Thread(() -> Bench.runQuietly("ip", "netns", "del", netns));
        Runtime.getRuntime().addShutdownHook(netnsHook);
        try {
            Bench.run("ip", "-n", netns, "link", "set", "lo", "up");
            daemon = new BenchDaemon(dataDir, netns, TestRun.ramDir(), LIMITS).start();
            line("arcboxd pid %d in netns %s, jvm %s, [limits] %s", daemon.pid(), netns,
                    String.join(" ", BenchDaemon.JVM_OPTIONS), LIMITS.strip().replace('\n', ','));
            measure(daemon);
        } finally {
            try {
                cleanUp(daemon, dataDir);
            } finally {
                Bench.runQuietly("ip", "netns", "del", netns);
                try {
                    Runtime.getRuntime().removeShutdownHook(netnsHook);
                } catch (IllegalStateException e) {
                    // the JVM is shutting down: the hook runs anyway, harmlessly
                }
                FileTree.delete(dataDir);
                line("load at end:   %s", Bench.uptime());
                Files.createDirectories(Path.of("target"));
                Files.writeString(Path.of("target/daemon-bench.txt"), report);
            }
        }
    }

    private void measure(BenchDaemon daemon) throws Exception {
        Thread.sleep(5000);
        long idleRss = daemon.rssKiB();
        line("daemon VmRSS idle, 5 s after Health answered       %8.1f MiB", idleRss / 1024.0);
        createBesideDriver(daemon);
        runRoundTrip(daemon);
        line("daemon VmRSS warm, no sandboxes                     %8.1f MiB", daemon.rssKiB() / 1024.0);
        tenReady(daemon, idleRss);
        storedSandboxes(daemon);
    }

    /** create -> ready through the API, beside the driver alone booting the same VM, alternating. */
    private void createBesideDriver(BenchDaemon daemon) throws IOException {
        List<Double> viaApi = new ArrayList<>();
        List<Double> daemonBoot = new ArrayList<>();
        List<Double> viaDriver = new ArrayList<>();
        List<Double> removal = new ArrayList<>();
        apiBoot(daemon);
        driverBoot();
        for (int i = 0; i < RUNS; i++) {
            if (i % 2 == 1) {
                viaDriver.add(driverBoot());
            }
            double[] api = apiBoot(daemon);
            viaApi.add(api[0]);
            daemonBoot.add(api[1]);
            removal.add(api[2]);
            if (i % 2 == 0) {
                viaDriver.add(driverBoot());
            }
        }
        line("(one untimed warm-up of each first; then API and driver alternate, each first in turn)");
        line("create(wait) -> ready via API, 1 vCPU 256 MiB      median %8.1f ms  (min %.1f, max %.1f)",
                median(viaApi), Collections.min(viaApi), Collections.max(viaApi));
        line("  of which the daemon's boot_millis                median %8.1f ms", median(daemonBoot));
        line("driver alone: spawn -> agent HELLO, same VM         median %8.1f ms  (min %.1f, max %.1f)"
                + "  (raw QEMU+C init to agent echo: 2180-3170 ms)",
                median(viaDriver), Collections.min(viaDriver), Collections.max(viaDriver));
        line("  ratio API / driver (medians)                             %8.2f",
                median(viaApi) / median(viaDriver));
        line("remove of a ready sandbox (VM stop + files)        median %8.1f ms", median(removal));
    }

    /** Run `true` in one ready sandbox: 20 warm-up calls, then 100 timed. */
    private void runRoundTrip(BenchDaemon daemon) {
        String runner = "br" + TestRun.vmId();
        daemon.sandboxes().create(sandbox(runner, 256).build());
        List<Double> rtt = timed(20, 100, () -> runTrue(daemon.sandboxes(), runner));
        line("Run `true` round trip via API (100 after 20 warm)  p50 %7.2f ms  p99 %7.2f ms"
                + "  (raw: none measured; DriverBench has the driver-level exec)",
                percentile(rtt, 50), percentile(rtt, 99));
        daemon.sandboxes().remove(RemoveSandboxRequest.newBuilder().setId(runner).build());
    }

    /** The daemon's RSS with 10 ready sandboxes, created at once. */
    private void tenReady(BenchDaemon daemon, long idleRss) throws Exception {
        List<String> ready = new ArrayList<>();
        for (int i = 0; i < READY; i++) {
            ready.add("bt" + TestRun.vmId());
        }
        long t0 = System.nanoTime();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<CreateSandboxResponse>> all = new ArrayList<>();
            for (String id : ready) {
                all.add(pool.submit(() -> daemon.sandboxes().create(sandbox(id, 128).build())));
            }
            for (Future<CreateSandboxResponse> f : all) {
                if (!f.get().getState().equals("ready")) {
                    throw new IllegalStateException(f.get().getId() + " is " + f.get().getState());
                }
            }
        }
        double allReady = (System.nanoTime() - t0) / 1e6;
        Thread.sleep(2000);
        long tenRss = daemon.rssKiB();
        line("%d x create(wait) at once, 128 MiB, 4 boots max -> all ready %8.1f ms", READY, allReady);
        line("daemon VmRSS with %d ready sandboxes               %8.1f MiB  (+%.1f MiB over idle)", READY,
                tenRss / 1024.0, (tenRss - idleRss) / 1024.0);
        for (String id : ready) {
            daemon.sandboxes().remove(RemoveSandboxRequest.newBuilder().setId(id).build());
        }
    }

    /** Inspect and List latency with 1,000 stored (no_start) sandboxes, and what creating them took. */
    private void storedSandboxes(BenchDaemon daemon) throws IOException {
        List<String> stored = new ArrayList<>();
        List<Double> createStored = new ArrayList<>();
        long c0 = System.nanoTime();
        for (int i = 0; i < STORED; i++) {
            String id = "bs" + TestRun.vmId();
            long s = System.nanoTime();
            daemon.sandboxes().create(sandbox(id, 128).setWait(false).setNoStart(true).build());
            createStored.add((System.nanoTime() - s) / 1e6);
            stored.add(id);
        }
        double storedMs = (System.nanoTime() - c0) / 1e6;
        line("create %d no_start sandboxes, one client in turn  %8.1f s total; per call: first 100 median %.1f ms, last 100 median %.1f ms",
                STORED, storedMs / 1000, median(createStored.subList(0, Math.min(100, STORED))),
                median(createStored.subList(Math.max(0, STORED - 100), STORED)));
        Random random = new Random(42);
        List<Double> inspect = timed(20, 200, () -> inspect(daemon.sandboxes(), stored.get(random.nextInt(STORED))));
        line("Inspect with %d stored (200 after 20 warm)        p50 %7.2f ms  p99 %7.2f ms", STORED,
                percentile(inspect, 50), percentile(inspect, 99));
        List<Double> list = timed(5, 200, () -> {
            int n = list(daemon.sandboxes()).size();
            if (n != STORED) {
                throw new IllegalStateException("List returned " + n + " sandboxes, expected " + STORED);
            }
        });
        line("List (all %d) (200 after 5 warm)                 p50 %7.2f ms  p99 %7.2f ms", STORED,
                percentile(list, 50), percentile(list, 99));
        line("daemon VmRSS with %d stored sandboxes            %8.1f MiB", STORED, daemon.rssKiB() / 1024.0);
        long d0 = System.nanoTime();
        for (String id : stored) {
            daemon.sandboxes().remove(RemoveSandboxRequest.newBuilder().setId(id).build());
        }
        line("remove the %d stored sandboxes in turn            %8.1f s total", STORED, (System.nanoTime() - d0) / 1e9);
    }

    /** One create(wait) to ready through the API, then remove: {wall ms, daemon boot_millis, remove ms}. */
    private static double[] apiBoot(BenchDaemon daemon) {
        String id = "bc" + TestRun.vmId();
        long t0 = System.nanoTime();
        CreateSandboxResponse created = daemon.sandboxes().create(sandbox(id, 256).build());
        double wall = (System.nanoTime() - t0) / 1e6;
        SandboxInfo info = inspect(daemon.sandboxes(), id);
        if (!created.getState().equals("ready")) {
            throw new IllegalStateException(id + " is " + created.getState() + ": " + info.getError());
        }
        long r0 = System.nanoTime();
        daemon.sandboxes().remove(RemoveSandboxRequest.newBuilder().setId(id).build());
        return new double[] {wall, info.getBootMillis(), (System.nanoTime() - r0) / 1e6};
    }

    /** Runs {@code call} {@code warm} times untimed, then {@code n} times; returns each of those in ms. */
    private static List<Double> timed(int warm, int n, Runnable call) {
        for (int k = 0; k < warm; k++) {
            call.run();
        }
        List<Double> ms = new ArrayList<>();
        for (int k = 0; k < n; k++) {
            long s = System.nanoTime();
            call.run();
            ms.add((System.nanoTime() - s) / 1e6);
        }
        return ms;
    }

    private static CreateSandboxRequest.Builder sandbox(String id, int memoryMib) {
        return CreateSandboxRequest.newBuilder().setId(id).setWait(true)
                .setLimits(ResourceLimits.newBuilder().setVcpus(1).setMemoryMib(memoryMib))
                .setNetwork(NetworkSpec.newBuilder().setMode("none"));
    }

    private static SandboxInfo inspect(SandboxServiceGrpc.SandboxServiceBlockingStub api, String id) {
        return api.inspect(InspectSandboxRequest.newBuilder().setId(id).build());
    }

    private static List<SandboxSummary> list(SandboxServiceGrpc.SandboxServiceBlockingStub api) {
        return api.list(ListSandboxesRequest.getDefaultInstance()).getSandboxesList();
    }

    private static void runTrue(SandboxServiceGrpc.SandboxServiceBlockingStub api, String id) {
        Iterator<RunOutput> it = api.run(RunRequest.newBuilder().setId(id).addCmd("true").build());
        RunOutput last = null;
        while (it.hasNext()) {
            last = it.next();
        }
        if (last == null || !last.getDone() || last.getExitCode() != 0) {
            throw new IllegalStateException("Run `true` in " + id + " ended with " + last);
        }
    }

    /** The same VM the daemon boots (1 vCPU, 256 MiB, 2 GiB sparse disk), by the driver alone. */
    private double driverBoot() throws IOException {
        String vmId = TestRun.vmId();
        Path dir = Files.createDirectories(TestRun.baseDir().resolve(vmId));
        try {
            Path disk = dir.resolve("rw.img");
            ScratchDisk.create(disk, 2048L << 20);
            VmPlan plan = new VmPlan(vmId, dir.resolve("run"), dir.resolve("console.log"), MachinePlan.of(1, 256),
                    image.kernel(), image.initrd(), "", List.of(DiskPlan.root(image.rootfs()), DiskPlan.writable(disk)),
                    List.of(), VmPlan.DEFAULT_AGENT_PORT, image.hashes());
            long t0 = System.nanoTime();
            RunningVm vm = driver.boot(plan);
            try {
                vm.agent(DEADLINE);
                return (System.nanoTime() - t0) / 1e6;
            } finally {
                vm.stop(Duration.ofSeconds(10));
            }
        } finally {
            FileTree.delete(dir);
        }
    }

    /**
     * Removes every sandbox through the API, stops the daemon (by its pid), then kills any VMM
     * the daemon started that is still alive (found by the run-unique data dir in its command
     * line, killed by its pid).
     */
    private void cleanUp(BenchDaemon daemon, Path dataDir) {
        if (daemon == null) {
            return;
        }
        try {
            if (daemon.alive()) {
                for (SandboxSummary s : list(daemon.sandboxes())) {
                    try {
                        daemon.sandboxes().remove(RemoveSandboxRequest.newBuilder().setId(s.getId()).setForce(true).build());
                    } catch (RuntimeException e) {
                        System.err.println("bench cleanup: removing " + s.getId() + ": " + e.getMessage());
                    }
                }
            }
        } catch (RuntimeException e) {
            System.err.println("bench cleanup: listing sandboxes: " + e.getMessage() + "\n" + daemon.log());
        } finally {
            daemon.close();
        }
        String marker = dataDir.toString() + "/";
        ProcessHandle.allProcesses()
                .filter(p -> p.info().commandLine().map(c -> c.contains(marker)).orElse(false))
                .filter(p -> p.info().command().map(c -> c.contains("qemu")).orElse(false))
                .forEach(p -> {
                    System.err.println("bench cleanup: killing leftover vmm pid " + p.pid());
                    p.destroyForcibly();
                });
    }

    private void line(String format, Object... args) {
        String text = String.format(Locale.ROOT, format, args);
        System.out.println(text);
        report.append(text).append('\n');
    }




    private static double median(List<Double> xs) {
        return percentile(xs, 50);
    }

    private static double percentile(List<Double> xs, int p) {
        List<Double> s = new ArrayList<>(xs);
        Collections.sort(s);
        return s.get(Math.min(s.size() - 1, (int) Math.ceil(p / 100.0 * s.size()) - 1));
    }
}
