package dev.arcbox.bench;

import dev.arcbox.api.v1.CreateSandboxRequest;
import dev.arcbox.api.v1.InfoRequest;
import dev.arcbox.api.v1.InspectSandboxRequest;
import dev.arcbox.api.v1.ListSandboxesRequest;
import dev.arcbox.api.v1.NetworkSpec;
import dev.arcbox.api.v1.RemoveSandboxRequest;
import dev.arcbox.api.v1.ResourceLimits;
import dev.arcbox.api.v1.RunOutput;
import dev.arcbox.api.v1.RunRequest;
import dev.arcbox.api.v1.SandboxInfo;
import dev.arcbox.api.v1.SandboxServiceGrpc;
import dev.arcbox.api.v1.SystemServiceGrpc;
import dev.arcbox.core.fs.FileTree;
import dev.arcbox.core.testing.TestRun;
import java.io.IOException;
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
 * A noisy neighbour: a guest spinning all its vCPUs ({@code while :; do :; done} per vCPU) beside
 * a neighbour whose exec round trip ({@code Run true}) is timed, idle and with the spinner, with
 * cgroups on (the host's, v1 here) and off. Prints p50/p99 and the ratio spinning/idle, and the
 * neighbour VMM's memory beyond its guest's (for {@code limits.vmm_overhead_mib}); writes them to
 * bench/target/neighbour-bench.txt. Never asserts on time.
 */
@Tag("bench")
class NeighbourBench {

    private static final int SAMPLES = Integer.getInteger("bench.samples", 40);
    private static final int SPINNER_VCPUS = Integer.getInteger("bench.spinner.vcpus", 2);
    private final StringBuilder report = new StringBuilder();

    @Test
    @Timeout(value = 20, unit = TimeUnit.MINUTES)
    void neighbourUnderASpinningGuest() throws Exception {
        TestRun.assumeQemuHost();
        line("arcbox neighbour bench, %s, %d samples per phase, spinner %d vcpus, neighbour 1 vcpu, %d host cpus",
                Instant.now(), SAMPLES, SPINNER_VCPUS, Runtime.getRuntime().availableProcessors());
        line("load at start: %s", Bench.uptime());
        String netns = "abx-n" + TestRun.id();
        Bench.run("ip", "netns", "add", netns);
        try {
            Bench.run("ip", "-n", netns, "link", "set", "lo", "up");
            for (String cgroups : List.of("auto", "off")) {
                measure(netns, cgroups);
            }
        } finally {
            Bench.runQuietly("ip", "netns", "del", netns);
            line("load at end:   %s", Bench.uptime());
            Files.createDirectories(Path.of("target"));
            Files.writeString(Path.of("target/neighbour-bench.txt"), report);
        }
    }

    private void measure(String netns, String cgroups) throws Exception {
        Path dataDir = TestRun.baseDir().resolve("neighbour-" + cgroups);
        BenchDaemon daemon = new BenchDaemon(dataDir, netns, TestRun.ramDir(),
                "max_sandboxes = 4\nmemory_headroom_mib = 64\ncgroups = \"" + cgroups + "\"\n").hostMounts();
        try {
            daemon.start();
            var info = SystemServiceGrpc.newBlockingStub(daemon.channel()).withDeadlineAfter(30, TimeUnit.SECONDS)
                    .info(InfoRequest.getDefaultInstance());
            line("cgroups = %s: mode %s%s", cgroups, info.getCgroupMode(),
                    info.getCgroupNote().isEmpty() ? "" : " (" + info.getCgroupNote() + ")");
            SandboxServiceGrpc.SandboxServiceBlockingStub api = daemon.sandboxes();
            String neighbour = "nb-" + TestRun.vmId();
            String spinner = "spin-" + TestRun.vmId();
            api.create(sandbox(neighbour, 1));
            api.create(sandbox(spinner, SPINNER_VCPUS));
            SandboxInfo n = api.inspect(InspectSandboxRequest.newBuilder().setId(neighbour).build());
            line("  neighbour cgroup: %s", n.getCgroup().isEmpty() ? "-" : n.getCgroup());
            List<Double> idle = roundTrips(api, neighbour);
            memory(n);
            run(api, spinner, "for i in $(seq " + SPINNER_VCPUS + "); do (while :; do :; done) </dev/null >/dev/null 2>&1 & done");
            Thread.sleep(3000);
            List<Double> busy = roundTrips(api, neighbour);
            line("  exec round trip idle:     p50 %7.1f ms  p99 %7.1f ms", pct(idle, 50), pct(idle, 99));
            line("  exec round trip spinning: p50 %7.1f ms  p99 %7.1f ms", pct(busy, 50), pct(busy, 99));
            line("  ratio spinning/idle:      p50 %7.2f x   p99 %7.2f x", pct(busy, 50) / pct(idle, 50),
                    pct(busy, 99) / pct(idle, 99));
        } finally {
            try {
                if (daemon.alive()) {
                    for (var s : daemon.sandboxes().list(ListSandboxesRequest.getDefaultInstance()).getSandboxesList()) {
                        daemon.sandboxes().remove(RemoveSandboxRequest.newBuilder().setId(s.getId()).setForce(true).build());
                    }
                }
            } finally {
                daemon.close();
                FileTree.delete(dataDir);
            }
        }
    }

    /** QEMU's memory beyond the guest's: RSS minus the guest RAM it touched (shared memory). */
    private void memory(SandboxInfo n) throws IOException {
        long anon = 0;
        long file = 0;
        long shmem = 0;
        for (String l : Files.readAllLines(Path.of("/proc/" + n.getVmmPid() + "/status"))) {
            long kib = l.matches("^Rss\\w+:.*") ? Long.parseLong(l.replaceAll("[^0-9]", "")) : 0;
            if (l.startsWith("RssAnon:")) {
                anon = kib;
            } else if (l.startsWith("RssFile:")) {
                file = kib;
            } else if (l.startsWith("RssShmem:")) {
                shmem = kib;
            }
        }
        line("  neighbour vmm (256 MiB guest): RssAnon %.1f MiB, RssFile %.1f MiB, RssShmem (guest RAM touched) %.1f MiB"
                + " -> overhead %.1f MiB", anon / 1024.0, file / 1024.0, shmem / 1024.0, (anon + file) / 1024.0);
        for (String part : n.getCgroup().split(" ")) {
            if (part.startsWith("memory:")) {
                Path dir = Path.of("/sys/fs/cgroup/memory").resolve(part.substring("memory:/".length()));
                line("  neighbour memory cgroup: usage %.1f MiB, max usage %.1f MiB, limit %.1f MiB",
                        mib(dir.resolve("memory.usage_in_bytes")), mib(dir.resolve("memory.max_usage_in_bytes")),
                        mib(dir.resolve("memory.limit_in_bytes")));
            }
        }
    }

    private static double mib(Path file) throws IOException {
        return Long.parseLong(Files.readString(file).strip()) / 1048576.0;
    }

    private static List<Double> roundTrips(SandboxServiceGrpc.SandboxServiceBlockingStub api, String id) {
        for (int i = 0; i < 3; i++) {
            run(api, id, "true");
        }
        List<Double> ms = new ArrayList<>();
        for (int i = 0; i < SAMPLES; i++) {
            long t0 = System.nanoTime();
            run(api, id, "true");
            ms.add((System.nanoTime() - t0) / 1e6);
        }
        return ms;
    }

    private static void run(SandboxServiceGrpc.SandboxServiceBlockingStub api, String id, String script) {
        Iterator<RunOutput> it = api.run(RunRequest.newBuilder().setId(id).addCmd("sh").addCmd("-c").addCmd(script).build());
        RunOutput last = null;
        while (it.hasNext()) {
            last = it.next();
        }
        if (last == null || !last.getDone() || last.getExitCode() != 0) {
            throw new IllegalStateException("Run in " + id + " ended with " + last);
        }
    }

    private static CreateSandboxRequest sandbox(String id, int vcpus) {
        return CreateSandboxRequest.newBuilder().setId(id).setWait(true)
                .setLimits(ResourceLimits.newBuilder().setVcpus(vcpus).setMemoryMib(256))
                .setNetwork(NetworkSpec.newBuilder().setMode("none")).build();
    }

    private static double pct(List<Double> xs, int p) {
        List<Double> s = new ArrayList<>(xs);
        Collections.sort(s);
        return s.get(Math.min(s.size() - 1, (int) Math.ceil(p / 100.0 * s.size()) - 1));
    }

    private void line(String format, Object... args) {
        String text = String.format(Locale.ROOT, format, args);
        System.out.println(text);
        report.append(text).append('\n');
    }
}
