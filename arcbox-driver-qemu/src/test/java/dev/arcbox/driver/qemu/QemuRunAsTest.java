package dev.arcbox.driver.qemu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.arcbox.core.ArcboxException;
import dev.arcbox.core.agent.AgentClient;
import dev.arcbox.core.agent.ExecRequest;
import dev.arcbox.core.driver.DiskPlan;
import dev.arcbox.core.driver.RestorePlan;
import dev.arcbox.core.driver.RunningVm;
import dev.arcbox.core.driver.SnapshotFiles;
import dev.arcbox.core.driver.SnapshotKind;
import dev.arcbox.core.driver.VmPlan;
import dev.arcbox.core.fs.FileTree;
import dev.arcbox.core.testing.TestRun;
import dev.arcbox.driver.qemu.testing.GoldenVm;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * QEMU drops to the unprivileged {@code arcbox-vmm} user (made by {@code scripts/host-setup.sh})
 * with its seccomp filter on, and snapshot, restore and fork still work: the files and sockets it
 * opens after the drop are its own.
 */
@Timeout(600)
class QemuRunAsTest {

    private static final Duration DEADLINE = Duration.ofSeconds(90);

    private final List<RunningVm> vms = new ArrayList<>();
    private final List<Path> dirs = new ArrayList<>();

    @AfterEach
    void cleanUp() {
        vms.forEach(vm -> vm.stop(Duration.ofSeconds(5)));
        dirs.forEach(FileTree::delete);
    }

    private static VmmUser dedicatedUser() {
        return VmmUser.lookup(VmmUser.DEDICATED).orElseThrow(() -> new AssertionError(
                "no user " + VmmUser.DEDICATED + " on this host: run scripts/host-setup.sh"));
    }

    /** The {@code Uid:}, {@code Gid:}, {@code CapEff:} and {@code Seccomp:} lines of a process. */
    private static Map<String, String> status(long pid) throws IOException {
        Map<String, String> out = new TreeMap<>();
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
            String[] kv = line.split(":\\s*", 2);
            if (List.of("Uid", "Gid", "CapEff", "Seccomp").contains(kv[0])) {
                out.put(kv[0], kv[1].strip().replaceAll("\\s+", " "));
            }
        }
        return out;
    }

    private static void assertUnprivileged(RunningVm vm, VmPlan plan, VmmUser user) throws IOException {
        int u = user.uid();
        int g = user.gid();
        assertThat(status(vm.pid())).containsEntry("Uid", u + " " + u + " " + u + " " + u)
                .containsEntry("Gid", g + " " + g + " " + g + " " + g)
                .containsEntry("CapEff", "0000000000000000")
                .containsEntry("Seccomp", "2");
        // the run dir is root's; QEMU may only search it (it is lent to QEMU during a restore only)
        assertThat(Files.getAttribute(plan.runDir(), "unix:uid")).isEqualTo(0);
        assertThat(Files.getAttribute(plan.runDir(), "unix:gid")).isEqualTo(g);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(plan.runDir()))).isEqualTo("rwx--x---");
        Path disk = plan.disks().stream().filter(d -> !d.readOnly()).findFirst().orElseThrow().path();
        assertThat(Files.getAttribute(disk, "unix:uid")).isEqualTo(u);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(disk))).isEqualTo("rw-------");
    }

    private static String sh(AgentClient agent, String script) {
        var result = agent.exec(ExecRequest.of("sh", "-c", script), DEADLINE).collect(DEADLINE, 1 << 16);
        assertThat(result.status().exitCode()).as("exit of %s", script).isZero();
        return new String(result.stdout(), StandardCharsets.UTF_8);
    }

    private VmPlan clonePlan(VmPlan template, SnapshotFiles from) throws IOException {
        String vmId = TestRun.vmId();
        Path dir = Files.createDirectories(TestRun.baseDir().resolve(vmId));
        dirs.add(dir);
        Path disk = dir.resolve("rw.img");
        FileTree.sparseCopy(from.writableDisk().orElseThrow(), disk);
        return new VmPlan(vmId, dir.resolve("run"), dir.resolve("console.log"), template.machine(),
                template.kernel(), template.initrd(), template.kernelArgs(),
                List.of(template.disks().get(0), DiskPlan.writable(disk)), List.of(), template.agentPort(),
                template.assetHashes());
    }

    private RunningVm restore(QemuDriver driver, VmPlan template, SnapshotFiles from) throws IOException {
        RunningVm vm = driver.restore(new RestorePlan(clonePlan(template, from), from));
        vms.add(vm);
        return vm;
    }

    @Test
    void pauseSnapshotAndThreeForks_runAsTheDedicatedUser_underSeccomp() throws IOException {
        VmmUser user = dedicatedUser();
        QemuDriver driver = new QemuDriver(QemuConfig.defaults().withRamDir(TestRun.ramDir()));
        assertThat(driver.runAs()).contains(user);
        GoldenVm.Fork fork = GoldenVm.fork();
        SnapshotFiles snapshot;
        try {
            assertUnprivileged(fork.vm(), fork.plan(), user);
            sh(fork.agent(), "echo from-fork > /root/marker; sync");
            fork.vm().pause();
            fork.vm().resume();
            assertThat(sh(fork.agent(), "cat /root/marker")).isEqualTo("from-fork\n");
            Path dir = Files.createDirectories(TestRun.baseDir().resolve("snap-" + TestRun.vmId()));
            dirs.add(dir);
            // a snapshot of a clone: RAM in the stream, written through the socket QEMU connects to
            snapshot = fork.vm().snapshot(dir, SnapshotKind.FULL, true);
        } finally {
            GoldenVm.release(fork);
        }
        List<AgentClient> agents = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            RunningVm clone = restore(driver, fork.plan(), snapshot);
            assertUnprivileged(clone, clone.record().plan(), user);
            agents.add(clone.agent(DEADLINE));
        }
        for (int i = 0; i < agents.size(); i++) {
            sh(agents.get(i), "echo " + i + " > /root/own");
        }
        for (int i = 0; i < agents.size(); i++) {
            assertThat(sh(agents.get(i), "cat /root/marker /root/own")).isEqualTo("from-fork\n" + i + "\n");
        }
    }

    @Test
    void userRoot_keepsQemuRoot_withTheStricterFilter_andRestoresTheSameSnapshots() throws IOException {
        QemuDriver driver = new QemuDriver(QemuConfig.defaults().withRamDir(TestRun.ramDir()).withUser("root"));
        assertThat(driver.runAs()).isEmpty();
        assertThat(driver.runAsDescription()).contains("root");
        GoldenVm.Fork fork = GoldenVm.fork();
        SnapshotFiles snapshot;
        try {
            Path dir = Files.createDirectories(TestRun.baseDir().resolve("snap-" + TestRun.vmId()));
            dirs.add(dir);
            snapshot = fork.vm().snapshot(dir, SnapshotKind.FULL, true);
        } finally {
            GoldenVm.release(fork);
        }
        RunningVm vm = restore(driver, fork.plan(), snapshot);
        assertThat(status(vm.pid())).containsEntry("Uid", "0 0 0 0").containsEntry("Seccomp", "2");
        String cmdline = Files.readString(Path.of("/proc", Long.toString(vm.pid()), "cmdline")).replace('\0', ' ');
        assertThat(cmdline).contains(" " + QemuArgs.SECCOMP + " ").doesNotContain("-runas");
        assertThat(sh(vm.agent(DEADLINE), "echo up")).isEqualTo("up\n");
    }

    @Test
    void resolve_root_auto_andUnknownNames() {
        assertThat(VmmUser.resolve("root")).isEmpty();
        assertThat(VmmUser.resolve("auto")).contains(dedicatedUser());
        assertThat(VmmUser.resolve(null)).contains(dedicatedUser());
        assertThatThrownBy(() -> VmmUser.resolve("abx-no-such-user"))
                .isInstanceOf(ArcboxException.InvalidArgument.class).hasMessageContaining("qemu.user");
        assertThatThrownBy(() -> VmmUser.resolve("bad name;"))
                .isInstanceOf(ArcboxException.InvalidArgument.class).hasMessageStartingWith("qemu.user: ");
    }

    @Test
    void aRunDirTheUserCannotReach_isRefused_notWidened() throws IOException {
        Path closed = Files.createDirectories(TestRun.baseDir().resolve("closed-" + TestRun.vmId()));
        dirs.add(closed);
        Files.setPosixFilePermissions(closed, PosixFilePermissions.fromString("rwx------"));
        assertThatThrownBy(() -> dedicatedUser().checkCanReach(closed))
                .isInstanceOf(ArcboxException.FailedPrecondition.class).hasMessageContaining(closed.toString());
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(closed))).isEqualTo("rwx------");
    }
}
