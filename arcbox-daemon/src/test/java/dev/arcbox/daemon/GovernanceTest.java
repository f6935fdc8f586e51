package dev.arcbox.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.arcbox.api.v1.CheckpointRequest;
import dev.arcbox.api.v1.CreateSandboxRequest;
import dev.arcbox.api.v1.InfoRequest;
import dev.arcbox.api.v1.InspectSandboxRequest;
import dev.arcbox.api.v1.ListSandboxesRequest;
import dev.arcbox.api.v1.ListSnapshotsRequest;
import dev.arcbox.api.v1.NetworkSpec;
import dev.arcbox.api.v1.PruneSnapshotsRequest;
import dev.arcbox.api.v1.PruneSnapshotsResponse;
import dev.arcbox.api.v1.RemoveSandboxRequest;
import dev.arcbox.api.v1.ResourceLimits;
import dev.arcbox.api.v1.RestoreRequest;
import dev.arcbox.api.v1.RunOutput;
import dev.arcbox.api.v1.RunRequest;
import dev.arcbox.api.v1.SandboxInfo;
import dev.arcbox.api.v1.SnapshotServiceGrpc;
import dev.arcbox.api.v1.SystemInfo;
import dev.arcbox.api.v1.SystemServiceGrpc;
import dev.arcbox.core.testing.TestRun;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * Resource governance on real VMs and this host's real (v1, hybrid) cgroups: one sandbox with a
 * small disk, its snapshots and a clone. Ordered: the last test restarts the daemon with a quota.
 */
@Tag("vm")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class GovernanceTest {

    private static final Path CGROUPS = Path.of("/sys/fs/cgroup");
    private static final long DISK = 64L << 20;
    private DaemonProcess daemon;
    private String origin;
    private List<Path> originGroups;

    @BeforeAll
    void oneSandboxWithASmallDisk() throws Exception {
        TestRun.assumeQemuHost();
        daemon = new DaemonProcess("gov-" + TestRun.id(), DaemonProcess.netns(), "").hostMounts().start();
        origin = "gov-" + TestRun.vmId();
        daemon.sandboxes().create(CreateSandboxRequest.newBuilder().setId(origin).setWait(true).setDiskSize(DISK)
                .setLimits(ResourceLimits.newBuilder().setVcpus(1).setMemoryMib(256))
                .setNetwork(NetworkSpec.newBuilder().setMode("none")).build());
        originGroups = groups(inspect(origin).getCgroup());
    }

    @AfterAll
    void cleanUp() throws IOException {
        if (daemon == null) {
            return;
        }
        daemon.removeAllSandboxes();
        daemon.deleteAllSnapshots();
        daemon.close();
        if (originGroups != null) {
            for (Path group : originGroups) {
                assertThat(group).as("sandbox cgroup after remove").doesNotExist();
                assertThat(group.getParent()).as("the daemon's cgroup parent after it stopped").doesNotExist();
            }
        }
    }

    @Test
    @Order(1)
    void theVmmRunsInItsOwnCgroup_withLimitsFromVcpusAndMemory() throws IOException {
        SandboxInfo info = inspect(origin);
        assertThat(info.getCgroup()).contains("arcbox-" + info.getUid());
        assertThat(originGroups).hasSize(2);
        for (Path group : originGroups) {
            assertThat(Files.readAllLines(group.resolve("cgroup.procs"))).contains(Long.toString(info.getVmmPid()));
        }
        Path cpu = originGroups.stream().filter(p -> p.startsWith(CGROUPS.resolve("cpu"))).findFirst().orElseThrow();
        Path memory = originGroups.stream().filter(p -> p.startsWith(CGROUPS.resolve("memory"))).findFirst().orElseThrow();
        assertThat(read(cpu.resolve("cpu.shares"))).isEqualTo("1024");
        assertThat(read(cpu.resolve("cpu.cfs_quota_us"))).isEqualTo("100000");
        assertThat(read(cpu.resolve("cpu.cfs_period_us"))).isEqualTo("100000");
        assertThat(read(memory.resolve("memory.limit_in_bytes"))).isEqualTo(Long.toString((256L + 128) << 20));
        assertThat(read(cpu.resolveSibling("daemon").resolve("cgroup.procs"))).isEqualTo(Long.toString(daemon.pid()));

        SystemInfo sys = system();
        assertThat(sys.getCgroupMode()).isEqualTo("v1");
        assertThat(sys.getCgroupNote()).contains("hybrid host");
        assertThat(sys.getDiskBytes()).isPositive();
        assertThat(sys.getDataDirFreeBytes()).isPositive();
        assertThat(sys.getSnapshotQuotaBytes()).isZero();
    }

    @Test
    @Order(2)
    void badHostLimits_refusedNamingTheField_nothingRecorded() {
        record Case(String field, UnaryOperator<ResourceLimits.Builder> set) {}
        for (Case c : List.of(
                new Case("limits.cpu_weight", l -> l.setCpuWeight(0)),
                new Case("limits.cpu_weight", l -> l.setCpuWeight(10_001)),
                new Case("limits.cpu_max_percent", l -> l.setCpuMaxPercent(0)),
                new Case("limits.io_weight", l -> l.setIoWeight(20_000)),
                new Case("limits.memory_max_mib", l -> l.setMemoryMaxMib(100)))) {
            String id = "bad-" + TestRun.vmId();
            assertThatThrownBy(() -> daemon.sandboxes().create(CreateSandboxRequest.newBuilder().setId(id)
                    .setLimits(c.set().apply(ResourceLimits.newBuilder().setVcpus(1).setMemoryMib(256)))
                    .setNetwork(NetworkSpec.newBuilder().setMode("none")).build()))
                    .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
                        assertThat(e.getStatus().getDescription()).contains(c.field());
                    });
            assertThat(daemon.sandboxes().list(ListSandboxesRequest.getDefaultInstance()).getSandboxesList())
                    .extracting(s -> s.getId()).doesNotContain(id);
        }
    }

    @Test
    @Order(3)
    void theWritableDiskCannotGrowPastItsSize() throws IOException {
        String fill = run(origin, "sh", "-c", "dd if=/dev/zero of=/root/fill bs=1M count=96 2>&1; echo rc=$?; sync");
        assertThat(fill).contains("No space left on device").doesNotContain("rc=0");
        SandboxInfo info = inspect(origin);
        Path disk = daemon.dataDir.resolve("sandboxes").resolve(info.getUid()).resolve("disk.img");
        assertThat(Files.size(disk)).isEqualTo(DISK);
        assertThat(info.getDiskSize()).isEqualTo(DISK);
        assertThat(info.getDiskBytes()).isPositive().isLessThanOrEqualTo(DISK);
        run(origin, "sh", "-c", "rm -f /root/fill; sync");
    }

    @Test
    @Order(4)
    void prune_byLabelAndAge_dryRun_skipsWhatLiveClonesUse_andClonesGetCgroupsRemovedWithThem() throws IOException {
        String used = checkpoint("keep", "no");
        String unused = checkpoint("keep", "yes");
        String clone = snapshots().restore(RestoreRequest.newBuilder().setSnapshotId(used)
                .setId("clone-" + TestRun.vmId()).build()).getId();
        SandboxInfo cloneInfo = inspect(clone);
        List<Path> cloneGroups = groups(cloneInfo.getCgroup());
        for (Path group : cloneGroups) {
            assertThat(Files.readAllLines(group.resolve("cgroup.procs"))).contains(Long.toString(cloneInfo.getVmmPid()));
        }

        assertThat(prune(PruneSnapshotsRequest.newBuilder().putLabels("keep", "no")))
                .satisfies(p -> assertThat(p.getDeletedList()).isEmpty())
                .satisfies(p -> assertThat(p.getSkippedList()).containsExactly(used));
        PruneSnapshotsResponse dry = prune(PruneSnapshotsRequest.newBuilder().putLabels("keep", "yes").setDryRun(true));
        assertThat(dry.getDeletedList()).containsExactly(unused);
        assertThat(dry.getFreedBytes()).isPositive();
        assertThat(snapshotIds()).contains(used, unused);
        assertThat(prune(PruneSnapshotsRequest.newBuilder().setOlderThanSeconds(86_400)).getDeletedList()).isEmpty();
        assertThat(prune(PruneSnapshotsRequest.newBuilder().putLabels("keep", "yes")).getDeletedList())
                .containsExactly(unused);
        assertThat(snapshotIds()).containsExactly(used);
        assertThat(daemon.dataDir.resolve("snapshots").resolve(unused)).doesNotExist();

        daemon.sandboxes().remove(RemoveSandboxRequest.newBuilder().setId(clone).setForce(true).build());
        cloneGroups.forEach(g -> assertThat(g).as("clone cgroup after remove").doesNotExist());
        assertThat(prune(PruneSnapshotsRequest.newBuilder().putLabels("keep", "no")).getDeletedList()).containsExactly(used);
        assertThat(snapshotIds()).isEmpty();
    }

    @Test
    @Order(5)
    void restartWithAQuota_sweepsAnOrphanCgroup_keepsTheLiveOne_andRefusesACheckpointPastTheQuota() throws Exception {
        assertThat(daemon.terminate(java.time.Duration.ofSeconds(30))).isTrue();
        List<Path> orphans = new ArrayList<>();
        for (Path group : originGroups) {
            Path orphan = group.resolveSibling("arcbox-zzorphan" + TestRun.vmId());
            Files.createDirectories(group.getParent());
            Files.createDirectory(orphan);
            orphans.add(orphan);
        }
        Files.writeString(daemon.config, "snapshot_quota_bytes = 104857600\n", java.nio.file.StandardOpenOption.APPEND);
        daemon.start();

        orphans.forEach(o -> assertThat(o).as("orphan cgroup after restart").doesNotExist());
        SandboxInfo info = inspect(origin);
        assertThat(info.getState()).isEqualTo("ready");
        assertThat(groups(info.getCgroup())).isEqualTo(originGroups);
        assertThat(system().getSnapshotQuotaBytes()).isEqualTo(104_857_600);

        assertThatThrownBy(() -> snapshots().checkpoint(CheckpointRequest.newBuilder().setSandboxId(origin).build()))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
                    assertThat(e.getStatus().getDescription()).contains("limits.snapshot_quota_bytes")
                            .contains("snapshots use 0 of 104857600 bytes");
                });
        Path dir = daemon.dataDir.resolve("snapshots");
        if (Files.isDirectory(dir)) {
            try (var entries = Files.list(dir)) {
                assertThat(entries.toList()).as("files left by a refused checkpoint").isEmpty();
            }
        }
        assertThat(snapshotIds()).isEmpty();
    }

    // ------------------------------------------------------------------------------------------

    /** The v1 group directories of Inspect's cgroup ({@code ctrl:/path ctrl:/path}). */
    private static List<Path> groups(String cgroup) {
        List<Path> dirs = new ArrayList<>();
        for (String part : cgroup.split(" ")) {
            String[] f = part.split(":", 2);
            dirs.add(CGROUPS.resolve(f[0]).resolve(f[1].substring(1)));
        }
        return dirs;
    }

    private static String read(Path file) throws IOException {
        return Files.readString(file).strip();
    }

    private String checkpoint(String key, String value) {
        return snapshots().checkpoint(CheckpointRequest.newBuilder().setSandboxId(origin).putLabels(key, value).build())
                .getSnapshotId();
    }

    private PruneSnapshotsResponse prune(PruneSnapshotsRequest.Builder request) {
        return snapshots().prune(request.build());
    }

    private List<String> snapshotIds() {
        return snapshots().list(ListSnapshotsRequest.getDefaultInstance()).getSnapshotsList().stream()
                .map(s -> s.getId()).toList();
    }

    private SandboxInfo inspect(String id) {
        return daemon.sandboxes().inspect(InspectSandboxRequest.newBuilder().setId(id).build());
    }

    private SystemInfo system() {
        return SystemServiceGrpc.newBlockingStub(daemon.channel()).withDeadlineAfter(30, TimeUnit.SECONDS)
                .info(InfoRequest.getDefaultInstance());
    }

    private SnapshotServiceGrpc.SnapshotServiceBlockingStub snapshots() {
        return SnapshotServiceGrpc.newBlockingStub(daemon.channel()).withDeadlineAfter(3, TimeUnit.MINUTES);
    }

    private String run(String id, String... cmd) {
        StringBuilder out = new StringBuilder();
        Iterator<RunOutput> it = daemon.sandboxes().run(RunRequest.newBuilder().setId(id).addAllCmd(List.of(cmd)).build());
        while (it.hasNext()) {
            RunOutput o = it.next();
            out.append(o.getData().toStringUtf8());
        }
        return out.toString();
    }
}
