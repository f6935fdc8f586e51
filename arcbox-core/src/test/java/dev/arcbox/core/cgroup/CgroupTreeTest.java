package dev.arcbox.core.cgroup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.arcbox.core.ArcboxException;
import dev.arcbox.core.spec.HostLimits;
import dev.arcbox.core.spec.SandboxSpec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Cgroup detection and the v2 tree's logic against a temp directory tree standing in for
 * {@code /sys/fs/cgroup} (the real v1 tree is exercised by the daemon's governance test).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class CgroupTreeTest {

    private static final long SELF = 4242;
    private static final String TAG = "arcboxd-0badcafe";
    private final FakeCgroupFs fs = new FakeCgroupFs();

    @TempDir
    Path root;

    private CgroupSetup unified(String selfCgroup) {
        return CgroupSetup.detect(fs, "cgroup2 " + root + " cgroup2 rw,nosuid 0 0\n", selfCgroup, SELF, TAG);
    }

    @Test
    void v2_delegatedGroup_daemonMovesIntoItsLeaf_controllersEnabledDownToTheSandboxParent() {
        fs.group(root, "cpuset cpu io memory pids");
        Path service = root.resolve("system.slice/arcboxd.service");
        fs.group(service, "cpu io memory pids", SELF);

        CgroupSetup setup = unified("0::/system.slice/arcboxd.service\n");

        assertThat(setup.mode()).isEqualTo("v2");
        assertThat(setup.note()).isEmpty();
        assertThat(fs.read(service.resolve("daemon/cgroup.procs"))).isEqualTo("4242");
        assertThat(fs.read(service.resolve("daemon/cpu.weight"))).isEqualTo("200");
        assertThat(fs.read(service.resolve("daemon/memory.min"))).isEqualTo(Long.toString(256L << 20));
        assertThat(fs.read(service.resolve("cgroup.subtree_control"))).isEqualTo("+cpu +memory +io");
        assertThat(fs.read(service.resolve(TAG + "/cgroup.subtree_control"))).isEqualTo("+cpu +memory +io");
    }

    @Test
    void v2_startedInTheDaemonLeafAlready_staysThere() {
        fs.group(root, "cpu io memory");
        Path service = root.resolve("arcboxd.service");
        fs.group(service, "cpu memory");
        fs.group(service.resolve("daemon"), "", SELF);

        CgroupSetup setup = unified("0::/arcboxd.service/daemon\n");

        assertThat(setup.mode()).isEqualTo("v2");
        assertThat(setup.note()).contains("io controller not delegated");
        assertThat(fs.read(service.resolve("cgroup.subtree_control"))).isEqualTo("+cpu +memory");
    }

    @Test
    void v2_groupSharedWithOtherProcesses_isNotUsed_andTheNoteSaysWhy() {
        fs.group(root, "cpu io memory");
        fs.group(root.resolve("user.slice/session-1.scope"), "cpu io memory", 1, SELF, 77);

        CgroupSetup setup = unified("0::/user.slice/session-1.scope\n");

        assertThat(setup.mode()).isEqualTo("none");
        assertThat(setup.tree()).isEmpty();
        assertThat(setup.note()).contains("/user.slice/session-1.scope holds 2 other processes").contains("Delegate=yes");
    }

    @Test
    void v2_controllersNotDelegated_isNotUsed() {
        fs.group(root, "cpu io memory");
        fs.group(root.resolve("svc"), "pids", SELF);

        CgroupSetup setup = unified("0::/svc\n");

        assertThat(setup.mode()).isEqualTo("none");
        assertThat(setup.note()).contains("controllers cpu and memory are not delegated to /svc (it has: pids)");
    }

    @Test
    void hybridHost_withoutControllersInTheCgroup2Mount_usesV1_andSaysSo() throws IOException {
        Path unified = Files.createDirectories(root.resolve("unified"));
        Files.writeString(unified.resolve("cgroup.controllers"), "hugetlb\n");
        Path cpu = Files.createDirectories(root.resolve("cpu"));
        Path memory = Files.createDirectories(root.resolve("memory/job"));
        String mounts = "cgroup " + cpu + " cgroup rw,cpu 0 0\ncgroup " + root.resolve("memory")
                + " cgroup rw,memory 0 0\ncgroup2 " + unified + " cgroup2 rw 0 0\n";

        CgroupSetup setup = CgroupSetup.detect(new CgroupFs(), mounts, "4:memory:/job\n1:cpu:/\n0::/\n", SELF, TAG);

        assertThat(setup.mode()).isEqualTo("v1");
        assertThat(setup.note()).contains("has no cpu and memory controllers (it has: hugetlb; hybrid host)")
                .contains("no io weights");
        assertThat(Files.readString(cpu.resolve(TAG + "/daemon/cgroup.procs"))).isEqualTo("4242");
        assertThat(Files.readString(cpu.resolve(TAG + "/daemon/cpu.shares"))).isEqualTo("2048");
        assertThat(Files.readString(cpu.resolve(TAG + "/cpu.shares")))
                .isEqualTo(Long.toString(1024L * Runtime.getRuntime().availableProcessors()));
        CgroupTree tree = setup.tree().orElseThrow();
        tree.create("u1", new CgroupLimits(200, 150, 100, 352L << 20));
        assertThat(Files.readString(cpu.resolve(TAG + "/arcbox-u1/cpu.shares"))).isEqualTo("2048");
        assertThat(Files.readString(cpu.resolve(TAG + "/arcbox-u1/cpu.cfs_quota_us"))).isEqualTo("150000");
        assertThat(Files.readString(memory.resolve(TAG + "/arcbox-u1/memory.limit_in_bytes")))
                .isEqualTo(Long.toString(352L << 20));
        assertThat(tree.pathOf("u1")).isEqualTo("cpu:/" + TAG + "/arcbox-u1 memory:/job/" + TAG + "/arcbox-u1");
    }

    @Test
    void noCgroupFileSystem_none_withTheReason() {
        CgroupSetup setup = CgroupSetup.detect(fs, "proc /proc proc rw 0 0\n", "0::/\n", SELF, TAG);
        assertThat(setup.mode()).isEqualTo("none");
        assertThat(setup.note()).contains("no cgroup2 file system is mounted").contains("no cgroup v1 hierarchies");
    }

    @Test
    void v2_sandboxGroup_limitsWritten_placementWrapsTheCommand_removedOnlyWhenEmpty() {
        SandboxCgroups cgroups = delegatedV2();
        Path group = root.resolve("svc/" + TAG + "/arcbox-u1");
        SandboxSpec spec = SandboxSpec.builder("a").vcpus(1).memoryMib(256).hostLimits(new HostLimits(
                OptionalInt.of(300), OptionalInt.of(150), OptionalInt.of(50), OptionalLong.empty())).build();

        assertThat(cgroups.dirsOf("u1")).containsExactly(group);
        cgroups.prepare("u1", spec);

        assertThat(fs.read(group.resolve("cpu.weight"))).isEqualTo("300");
        assertThat(fs.read(group.resolve("cpu.max"))).isEqualTo("150000 100000");
        assertThat(fs.read(group.resolve("memory.max"))).isEqualTo(Long.toString((256L + 96) << 20));
        assertThat(fs.read(group.resolve("memory.swap.max"))).isEqualTo("0");
        assertThat(fs.read(group.resolve("io.weight"))).isEqualTo("default 50");
        assertThat(cgroups.pathOf("u1")).isEqualTo("/svc/" + TAG + "/arcbox-u1");
        assertThat(cgroups.wrap("u1", List.of("qemu", "-M", "microvm"))).containsExactly("sh", "-c",
                SandboxCgroups.JOIN, "arcbox-cgroup", group.resolve("cgroup.procs").toString(), "--", "qemu", "-M", "microvm");

        fs.write(group.resolve("cgroup.procs"), "1234\n");
        assertThatThrownBy(() -> cgroups.setupTree().remove("u1")).isInstanceOf(ArcboxException.HostFailure.class)
                .hasMessageContaining("busy");
        fs.write(group.resolve("cgroup.procs"), "");
        cgroups.remove("u1");
        assertThat(group).doesNotExist();
    }

    @Test
    void derivedLimits_followVcpusAndMemory() {
        SandboxCgroups cgroups = new SandboxCgroups(CgroupSetup.none("test"), 96);
        CgroupLimits l = cgroups.limitsFor(SandboxSpec.builder("a").vcpus(2).memoryMib(512).build());
        assertThat(l).isEqualTo(new CgroupLimits(200, 200, 100, (512L + 96) << 20));
        assertThat(l.quotaUs()).isEqualTo(200_000);
        assertThat(cgroups.wrap("u", List.of("qemu"))).containsExactly("qemu");
    }

    @Test
    void sweep_removesGroupsOfUnknownSandboxes_andEmptyOnesWithoutVm_keepsTheRest() {
        SandboxCgroups cgroups = delegatedV2();
        SandboxSpec spec = SandboxSpec.builder("a").vcpus(1).memoryMib(128).build();
        for (String uid : List.of("orphan", "stopped", "running", "booting")) {
            cgroups.prepare(uid, spec);
        }
        fs.write(root.resolve("svc/" + TAG + "/arcbox-running/cgroup.procs"), "99999999\n");

        cgroups.sweep(Set.of("stopped", "running", "booting"), Set.of("running", "booting"));

        assertThat(cgroups.setupTree().uids()).containsExactly("booting", "running");
    }

    @Test
    void joinScript_putsTheProcessInEveryGroup_beforeItExecsTheCommand_underItsOwnPid() throws Exception {
        Path a = Files.createFile(root.resolve("a.procs"));
        Path b = Files.createFile(root.resolve("b.procs"));
        List<String> command = new ArrayList<>(List.of("sh", "-c", SandboxCgroups.JOIN, "arcbox-cgroup",
                a.toString(), b.toString(), "--", "sh", "-c", "cat \"$0\"; echo $$", a.toString()));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();

        String pid = Long.toString(p.pid());
        assertThat(out.lines().toList()).containsExactly(pid, pid);
        assertThat(Files.readString(b).strip()).isEqualTo(pid);
    }

    @Test
    void joinScript_failsWithoutExecutingTheCommand_whenTheGroupCannotBeJoined() throws Exception {
        Process p = new ProcessBuilder("sh", "-c", SandboxCgroups.JOIN, "arcbox-cgroup",
                root.resolve("missing/cgroup.procs").toString(), "--", "sh", "-c", "echo ran").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isEqualTo(125);
        assertThat(out).doesNotContain("ran");
    }

    private SandboxCgroups delegatedV2() {
        fs.group(root, "cpu io memory");
        fs.group(root.resolve("svc"), "cpu io memory", SELF);
        return new SandboxCgroups(unified("0::/svc\n"), 96);
    }
}
