package dev.arcbox.core.driver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.arcbox.core.ArcboxException;
import dev.arcbox.core.agent.AgentClient;
import dev.arcbox.core.agent.ExecRequest;
import dev.arcbox.core.agent.ExecResult;
import dev.arcbox.core.agent.Execution;
import dev.arcbox.core.fs.FileTree;
import dev.arcbox.core.image.GuestImage;
import dev.arcbox.core.image.ScratchDisk;
import dev.arcbox.core.testing.TestRun;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * Snapshot, restore and fork as every driver with {@link Capability#SNAPSHOT_FULL} and
 * {@link Capability#FORK} must do them, on real VMs. One origin VM is cold-booted and
 * snapshotted for the class; every test restores from that snapshot.
 */
@Tag("vm")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 3, unit = java.util.concurrent.TimeUnit.MINUTES)
public abstract class SnapshotContract {

    protected static final Duration DEADLINE = Duration.ofSeconds(90);

    private VmDriver driver;
    private GuestImage image;
    private RunningVm origin;
    private SnapshotFiles snapshot;
    private int originExecId;
    private final List<RunningVm> clones = new ArrayList<>();

    protected abstract VmDriver createDriver();

    /** Skips the suite, naming what is missing, unless this host can run the driver (default: QEMU). */
    protected void assumeHost() {
        TestRun.assumeQemuHost();
    }

    /** The kernel the suite boots (default: the guest image's). */
    protected Path kernel() {
        return image.kernel();
    }

    /** Where a snapshot of a clone keeps memory (QEMU: in the stream, its RAM being private). */
    protected MemoryFormat cloneSnapshotFormat() {
        return MemoryFormat.IN_STREAM;
    }

    @BeforeAll
    void bootAndSnapshot() throws IOException {
        assumeHost();
        driver = createDriver();
        assertThat(driver.capabilities()).contains(Capability.SNAPSHOT_FULL, Capability.FORK);
        image = TestRun.image();
        origin = driver.boot(plan(TestRun.vmId(), null));
        AgentClient agent = origin.agent(DEADLINE);
        sh(agent, "echo on-disk > /root/disk-marker; echo in-ram > /tmp/ram-marker; sync");
        // a process running at snapshot time: its execution must be alive in every clone
        Execution sleeper = agent.exec(ExecRequest.of("sh", "-c", "echo started; sleep 600"), DEADLINE);
        assertThat(new String(sleeper.stdout().readNBytes(8), StandardCharsets.UTF_8)).isEqualTo("started\n");
        originExecId = sleeper.id();
        Path dir = Files.createDirectories(TestRun.baseDir().resolve("snap-" + TestRun.vmId()));
        snapshot = origin.snapshot(dir, SnapshotKind.FULL, false);
        sh(agent, "echo later > /root/after-marker");
    }

    @AfterEach
    void stopClones() {
        clones.forEach(c -> c.stop(Duration.ofSeconds(5)));
        clones.clear();
    }

    @AfterAll
    void cleanUp() {
        if (origin != null) {
            origin.stop(Duration.ofSeconds(5));
        }
        if (snapshot != null) {
            FileTree.delete(snapshot.dir());
        }
    }

    private VmPlan plan(String vmId, Path diskSource) throws IOException {
        Path dir = Files.createDirectories(TestRun.baseDir().resolve(vmId));
        Path disk = dir.resolve("rw.img");
        if (diskSource == null) {
            ScratchDisk.create(disk, 256L << 20);
        } else {
            FileTree.sparseCopy(diskSource, disk);
        }
        return new VmPlan(vmId, dir.resolve("run"), dir.resolve("console.log"), MachinePlan.of(1, 256),
                kernel(), image.initrd(), "", List.of(DiskPlan.root(image.rootfs()), DiskPlan.writable(disk)),
                List.of(), VmPlan.DEFAULT_AGENT_PORT, image.hashes());
    }

    /** Restores a clone with its own copy of the snapshot's disk, and resyncs it. */
    private AgentClient fork(SnapshotFiles from) throws IOException {
        VmPlan plan = plan(TestRun.vmId(), from.writableDisk().orElseThrow());
        RunningVm clone = driver.restore(new RestorePlan(plan, from));
        clones.add(clone);
        AgentClient agent = clone.agent(DEADLINE);
        byte[] entropy = new byte[32];
        new SecureRandom().nextBytes(entropy);
        agent.resync(Instant.now(), entropy, DEADLINE);
        return agent;
    }

    private static ExecResult exec(AgentClient agent, String script) {
        return agent.exec(ExecRequest.of("sh", "-c", script), DEADLINE).collect(DEADLINE, 1 << 16);
    }

    private static String sh(AgentClient agent, String script) {
        ExecResult result = exec(agent, script);
        assertThat(result.status().exitCode()).as("exit of %s: %s", script,
                new String(result.stderr(), StandardCharsets.UTF_8)).isZero();
        return new String(result.stdout(), StandardCharsets.UTF_8);
    }

    @Test
    void restore_hasWhatWasWrittenBefore_notWhatCameAfter() throws IOException {
        AgentClient clone = fork(snapshot);
        assertThat(sh(clone, "cat /root/disk-marker /tmp/ram-marker")).isEqualTo("on-disk\nin-ram\n");
        assertThat(exec(clone, "test -e /root/after-marker").status().exitCode()).isEqualTo(1);
        assertThat(clone.hello().execIds()).contains(originExecId);
        assertThat(sh(clone, "ps -o args | grep -q '^sleep 600' && echo alive")).isEqualTo("alive\n");
    }

    @Test
    void threeForks_diverge_drawDistinctRandomness_andLeaveTheSnapshotUnchanged() throws IOException {
        Map<Path, String> before = digests(snapshot);
        List<AgentClient> forks = List.of(fork(snapshot), fork(snapshot), fork(snapshot));
        Set<String> random = new HashSet<>();
        for (int i = 0; i < forks.size(); i++) {
            sh(forks.get(i), "echo fork-" + i + " > /root/who");
            random.add(sh(forks.get(i), "head -c 16 /dev/urandom | od -An -tx1").strip());
        }
        for (int i = 0; i < forks.size(); i++) {
            assertThat(sh(forks.get(i), "cat /root/who")).isEqualTo("fork-" + i + "\n");
        }
        assertThat(random).hasSize(3);
        stopClones();
        assertThat(digests(snapshot)).isEqualTo(before);
    }

    @Test
    void snapshotOfAClone_keepsItsPrivateMemory_andRestores() throws IOException {
        AgentClient clone = fork(snapshot);
        sh(clone, "echo second-generation > /tmp/ram-marker; sync");
        Path dir = Files.createDirectories(TestRun.baseDir().resolve("snap-" + TestRun.vmId()));
        try {
            SnapshotFiles second = clones.getFirst().snapshot(dir, SnapshotKind.FULL, false);
            assertThat(second.memoryFormat()).isEqualTo(cloneSnapshotFormat());
            assertThat(SnapshotManifest.read(dir)).isEqualTo(second);
            AgentClient grandchild = fork(second);
            assertThat(sh(grandchild, "cat /tmp/ram-marker /root/disk-marker")).isEqualTo("second-generation\non-disk\n");
        } finally {
            stopClones();
            FileTree.delete(dir);
        }
    }

    @Test
    void restore_ontoAnotherKernel_isRefusedNamingIt() throws IOException {
        VmPlan good = plan(TestRun.vmId(), snapshot.writableDisk().orElseThrow());
        Map<String, String> hashes = new HashMap<>(good.assetHashes());
        hashes.put("kernel", "0000000000000000");
        VmPlan other = new VmPlan(good.vmId(), good.runDir(), good.consoleLog(), good.machine(), good.kernel(),
                good.initrd(), good.kernelArgs(), good.disks(), good.nics(), good.agentPort(), hashes);
        assertThatThrownBy(() -> driver.restore(new RestorePlan(other, snapshot)))
                .isInstanceOf(ArcboxException.FailedPrecondition.class)
                .hasMessageContaining("kernel hash mismatch");
        assertThat(good.runDir()).doesNotExist();
    }

    private static Map<Path, String> digests(SnapshotFiles files) throws IOException {
        Map<Path, String> out = new HashMap<>();
        try (var list = Files.list(files.dir())) {
            for (Path p : list.toList()) {
                out.put(p.getFileName(), sha256(p));
            }
        }
        return out;
    }

    private static String sha256(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 20];
            int n;
            while ((n = in.read(buf)) > 0) {
                md.update(buf, 0, n);
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
