package dev.arcbox.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.util.JsonFormat;
import dev.arcbox.api.v1.InfoRequest;
import dev.arcbox.api.v1.SystemInfo;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SystemCommandsTest {

    @TempDir
    Path dir;
    private FakeDaemon daemon;
    private Cli cli;

    @BeforeEach
    void start() throws Exception {
        daemon = FakeDaemon.start(dir.resolve("arcbox.sock"));
        cli = Cli.at(daemon.socket);
        daemon.systemInfo = SystemInfo.newBuilder().setVersion("0.1.0").setDriver("qemu").setAccelerator("kvm")
                .addCapabilities("snapshots").addCapabilities("hardware-acceleration")
                .setSandboxes(3).setMaxSandboxes(50).putSandboxesByState("running", 2).putSandboxesByState("stopped", 1)
                .setHostMemoryMib(24000).setHostMemoryAvailableMib(20000).setDataDir("/var/lib/arcbox")
                .setStartedAt(Cli.NOW.getEpochSecond() - 7200).setDaemonRssKib(90000)
                .setSnapshots(4).setSnapshotBytes(12_900_000)
                .setSnapshotQuotaBytes(1L << 30).setDiskBytes(3L << 20).setDataDirFreeBytes(5L << 30)
                .setCgroupMode("v1").setCgroupNote("cgroup v1: hybrid host")
                .putDrivers("qemu", "available (kvm)").putDrivers("firecracker", "kvm_pvm is loaded")
                .build();
    }

    @AfterEach
    void stop() throws Exception {
        daemon.close();
    }

    @Test
    void info_printsKeyValueLines() {
        Cli.Result r = cli.run("system", "info");

        assertThat(r.exit()).isZero();
        assertThat(daemon.requests).containsExactly(InfoRequest.getDefaultInstance());
        assertThat(r.out()).isEqualTo("""
                version:        0.1.0
                driver:         qemu
                accelerator:    kvm
                drivers:        firecracker=kvm_pvm is loaded,qemu=available (kvm)
                capabilities:   snapshots,hardware-acceleration
                sandboxes:      3 of at most 50
                by state:       running=2,stopped=1
                snapshots:      4 (12.3 MiB)
                snapshot quota: 1.0 GiB
                disks:          3.0 MiB allocated
                console logs:   0 B
                data dir free:  5.0 GiB
                cgroups:        v1 (cgroup v1: hybrid host)
                host memory:    24000 MiB (20000 MiB available)
                kernel:         -
                rootfs:         -
                data dir:       /var/lib/arcbox
                started:        2026-11-27T10:00:00Z (2h ago)
                daemon rss:     90000 KiB
                metrics:        -
                """);
    }

    @Test
    void info_json_roundTrips() throws Exception {
        Cli.Result r = cli.run("system", "info", "-o", "json");

        assertThat(r.out()).contains("\"max_sandboxes\": 50").contains("\"snapshots\": 4")
                .contains("\"snapshot_bytes\": \"12900000\"");
        SystemInfo.Builder parsed = SystemInfo.newBuilder();
        JsonFormat.parser().merge(r.out(), parsed);
        assertThat(parsed.build()).isEqualTo(daemon.systemInfo);
    }

    @Test
    void info_withoutSnapshots_saysSo() {
        daemon.systemInfo = SystemInfo.newBuilder().setVersion("0.1.0").build();

        Cli.Result r = cli.run("system", "info");

        assertThat(r.out().lines()).contains("snapshots:      0 (0 B)", "snapshot quota: -", "cgroups:        -");
    }

    @Test
    void completion_printsABashScript() {
        Cli.Result r = cli.run("completion");

        assertThat(r.exit()).isZero();
        assertThat(r.out()).startsWith("#!/usr/bin/env bash").contains("complete -F _complete_arcbox")
                .contains("--kill-on-disconnect").contains("snapshot").contains("--count");
    }
}
