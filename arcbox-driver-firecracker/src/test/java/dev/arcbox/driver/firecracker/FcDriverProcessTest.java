package dev.arcbox.driver.firecracker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.arcbox.core.ArcboxException;
import dev.arcbox.core.config.JailerConfig;
import dev.arcbox.core.driver.Capability;
import dev.arcbox.core.driver.RestorePlan;
import dev.arcbox.core.driver.RunningVm;
import dev.arcbox.core.driver.SnapshotFiles;
import dev.arcbox.core.driver.SnapshotKind;
import dev.arcbox.core.driver.SnapshotManifest;
import dev.arcbox.core.driver.StopResult;
import dev.arcbox.core.driver.VmFeatures;
import dev.arcbox.core.driver.VmPlan;
import dev.arcbox.core.driver.VmmPlacement;
import dev.arcbox.core.spec.MemoryHotplugSpec;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;
import java.nio.channels.ReadableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole driver against a fake {@code firecracker} process ({@link FakeFirecrackerMain} in a
 * JVM of its own, serving the rule-enforcing API on {@code --api-sock}) and a fake jailer: boot,
 * agent over hybrid vsock, pause/resume, Full and Diff snapshots, restore and clones (per-clone
 * jails), metrics and log drains, stop, and the error paths of a start. The real binary's path is
 * the shared contract suite ({@link FcDriverContractTest}).
 */
@Timeout(180)
class FcDriverProcessTest {

    @TempDir
    Path tmp;

    private final List<RunningVm> vms = new ArrayList<>();

    @AfterEach
    void stopVms() {
        vms.forEach(vm -> vm.stop(Duration.ofSeconds(2)));
    }

    private <T extends RunningVm> T track(T vm) {
        vms.add(vm);
        return vm;
    }

    private FcDriver direct(long socketTimeout) throws IOException {
        return new FcDriver(FcTestFiles.config(FcTestFiles.fakeFirecracker(tmp), Optional.empty(), socketTimeout));
    }

    private FcDriver jailed() throws IOException {
        JailerConfig jailer = new JailerConfig(FcTestFiles.fakeJailer(tmp), 0, 0, Optional.of(tmp.resolve("jails")),
                Optional.empty(), false, Optional.of("2"), Optional.empty(), List.of("no-file=4096"));
        return new FcDriver(FcTestFiles.config(FcTestFiles.fakeFirecracker(tmp), Optional.of(jailer), 90));
    }

    private static String echo(RunningVm vm, String text) throws IOException {
        try (ByteChannel ch = vm.openAgent(Duration.ofSeconds(20))) {
            ch.write(ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8)));
            ByteBuffer in = ByteBuffer.allocate(text.length());
            while (in.hasRemaining()) {
                if (ch.read(in) < 0) {
                    break;
                }
            }
            return new String(in.array(), 0, in.position(), StandardCharsets.UTF_8);
        }
    }

    /** The console from now until a line containing {@code needle} (bounded by the test's timeout). */
    private static String consoleUntil(FcVm vm, String needle) throws Exception {
        ReadableByteChannel console = vm.openConsole().orElseThrow();
        StringBuilder text = new StringBuilder();
        ByteBuffer buf = ByteBuffer.allocate(256);
        while (!text.toString().contains(needle)) {
            if (console.read(buf.clear()) < 0) {
                break;
            }
            text.append(new String(buf.array(), 0, buf.position(), StandardCharsets.UTF_8));
        }
        console.close();
        return text.toString();
    }

    private static JsonNode drives(FcVm vm) {
        return vm.api().getTree("/test");
    }

    @Test
    void direct_bootPauseSnapshotRestore_andStop() throws Exception {
        FcDriver driver = direct(90);
        assertThat(driver.capabilities()).contains(Capability.PAUSE, Capability.SNAPSHOT_FULL, Capability.SNAPSHOT_DIFF,
                Capability.BALLOON, Capability.MMDS, Capability.MEMORY_HOTPLUG).doesNotContain(Capability.FORK);
        VmPlan plan = FcTestFiles.plan(tmp, "d1", FcTestFiles.everyFeature());
        FcVm vm = track((FcVm) driver.boot(plan));
        assertThat(vm.state()).isEqualTo("Running");
        assertThat(vm.vmmVersion()).isEqualTo("1.16.0");
        // the serial console comes through openConsole (for the daemon's capped log), not into a file of the driver's
        assertThat(consoleUntil(vm, "fake guest: booted")).contains("fake guest: booted");
        assertThat(plan.consoleLog()).doesNotExist();
        assertThat(echo(vm, "ping")).isEqualTo("ping");
        assertThat(Path.of(drives(vm).path("abx_rw").asText())).isEqualTo(plan.disks().get(1).path().toRealPath());

        vm.pause();
        assertThat(vm.state()).isEqualTo("Paused");
        vm.resume();
        assertThat(vm.state()).isEqualTo("Running");

        vm.flushMetrics();
        Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> vm.vmmMetrics().getOrDefault("vmm.flushes", 0L) >= 2);
        assertThat(Files.readString(plan.runDir().resolve(FcLauncher.LOG_FILE))).contains("logger configured");
        vm.updateBalloon(32);
        vm.resizeHotplugMemory(256);
        assertThat(vm.balloonStatistics().has("actual_mib")).isTrue();

        Path full = Files.createDirectories(tmp.resolve("snap-full"));
        SnapshotFiles files = vm.snapshot(full, SnapshotKind.FULL, false);
        assertThat(vm.state()).isEqualTo("Running");
        assertThat(SnapshotManifest.read(full)).isEqualTo(files);
        assertThat(files.memory()).isPresent();
        assertThat(files.writableDisk().orElseThrow()).exists();
        Path diff = Files.createDirectories(tmp.resolve("snap-diff"));
        assertThat(vm.snapshot(diff, SnapshotKind.DIFF, true).kind()).isEqualTo(SnapshotKind.DIFF);
        assertThat(vm.state()).isEqualTo("Paused");
        vm.resume();
        assertThat(echo(vm, "after snapshot")).isEqualTo("after snapshot");

        VmPlan clonePlan = FcTestFiles.plan(tmp, "d2", FcTestFiles.everyFeature());
        FcVm clone = track((FcVm) driver.restore(new RestorePlan(clonePlan, files)));
        assertThat(clone.state()).isEqualTo("Running");
        assertThat(consoleUntil(clone, "fake guest: restored from a snapshot")).doesNotContain("fake guest: booted");
        assertThat(Path.of(drives(clone).path("abx_rw").asText())).isEqualTo(clonePlan.disks().get(1).path().toRealPath());
        assertThat(clone.api().getTree("/mmds").path("arcbox").path("sandbox").asText()).isEqualTo("every-field");
        assertThat(echo(clone, "clone")).isEqualTo("clone");

        VmPlan diffPlan = FcTestFiles.plan(tmp, "d3", VmFeatures.NONE);
        assertThatThrownBy(() -> driver.restore(new RestorePlan(diffPlan, SnapshotManifest.read(diff))))
                .isInstanceOf(ArcboxException.FailedPrecondition.class).hasMessageContaining("diff snapshot");

        FcVm again = (FcVm) driver.reattach(vm.record()).orElseThrow();
        assertThat(again.pid()).isEqualTo(vm.pid());
        assertThat(again.state()).isEqualTo("Running");
        assertThat(echo(again, "reattached")).isEqualTo("reattached");
        // both objects now drain the same fifos: flush until a line reaches the re-attached one
        Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> {
            again.flushMetrics();
            return !again.vmmMetrics().isEmpty();
        });

        StopResult stopped = vm.stop(Duration.ofSeconds(3));
        assertThat(stopped.how()).isIn(StopResult.How.TERMINATED, StopResult.How.KILLED);
        assertThat(plan.runDir()).doesNotExist();
        assertThat(vm.onExit()).isDone();
        assertThat(vm.stop(Duration.ofSeconds(1)).how()).isEqualTo(StopResult.How.ALREADY_EXITED);
    }

    @Test
    void jailed_clonesGetTheirOwnDisks_throughPerCloneJails() throws Exception {
        FcDriver driver = jailed();
        assertThat(driver.capabilities()).contains(Capability.FORK);
        VmPlan plan = FcTestFiles.plan(tmp, "j1", FcTestFiles.everyFeature());
        byte[] kernelBefore = Files.readAllBytes(plan.kernel());
        FcVm origin = track((FcVm) driver.boot(plan));
        FcJail jail = (FcJail) origin.layout();
        assertThat(jail.root()).isEqualTo(tmp.resolve("jails/firecracker/j1/root"));
        assertThat(Files.isSameFile(jail.hostPath("/drives/abx_rw"), plan.disks().get(1).path())).isTrue();
        assertThat(echo(origin, "jailed")).isEqualTo("jailed");

        Path snap = Files.createDirectories(tmp.resolve("snap"));
        SnapshotFiles files = origin.snapshot(snap, SnapshotKind.FULL, false);
        assertThat(jail.hostPath("/snapshot")).doesNotExist();

        List<FcVm> clones = new ArrayList<>();
        for (String id : List.of("j2", "j3")) {
            VmPlan clonePlan = FcTestFiles.plan(tmp, id, FcTestFiles.everyFeature());
            FcVm clone = track((FcVm) driver.restore(new RestorePlan(clonePlan, files)));
            clones.add(clone);
            Path resolved = Path.of(drives(clone).path("abx_rw").asText());
            assertThat(Files.isSameFile(resolved, clonePlan.disks().get(1).path()))
                    .as("clone %s's drive resolves to its own disk", id).isTrue();
            assertThat(Files.isSameFile(resolved, plan.disks().get(1).path())).isFalse();
            assertThat(echo(clone, id)).isEqualTo(id);
        }
        for (FcVm vm : List.of(origin, clones.get(0), clones.get(1))) {
            Path jailDir = ((FcJail) vm.layout()).jailDir();
            vm.stop(Duration.ofSeconds(2));
            assertThat(jailDir).doesNotExist();
        }
        assertThat(Files.readAllBytes(plan.kernel())).isEqualTo(kernelBefore);
        assertThat(SnapshotManifest.read(snap)).isEqualTo(files);
    }

    @Test
    void theVmmPlacement_wrapsTheCommand_andFirecrackerKeepsThePidItPlaced() throws Exception {
        Path placed = tmp.resolve("placed.pid");
        // what SandboxCgroups does with cgroup.procs, into a file: the shell writes its pid, then execs in place
        VmmPlacement recordPid = (vmId, command) -> {
            List<String> wrapped = new ArrayList<>(List.of("sh", "-c", "echo $$ > \"$0\" && exec \"$@\"",
                    placed.toString()));
            wrapped.addAll(command);
            return wrapped;
        };
        FcDriver driver = new FcDriver(FcTestFiles.config(FcTestFiles.fakeFirecracker(tmp), Optional.empty(), 90),
                FcDriver.API_TIMEOUT, recordPid);
        FcVm vm = track((FcVm) driver.boot(FcTestFiles.plan(tmp, "p1", VmFeatures.NONE)));
        assertThat(Long.parseLong(Files.readString(placed).strip())).isEqualTo(vm.pid());
        vm.stop(Duration.ofSeconds(3));
    }

    @Test
    void aProcessThatExitsEarly_givesItsStatusAndOutput() throws Exception {
        Path binary = FcTestFiles.script(tmp.resolve("firecracker"),
                "echo 'Error: cannot open /dev/kvm'; echo 'on standard error' >&2; exit 3");
        FcDriver driver = new FcDriver(FcTestFiles.config(binary, Optional.empty(), 30));
        VmPlan plan = FcTestFiles.plan(tmp, "e1", VmFeatures.NONE);
        assertThatThrownBy(() -> driver.boot(plan))
                .isInstanceOf(ArcboxException.HostFailure.class)
                .hasMessageContaining("firecracker exited with status 3")
                .hasMessageContaining("cannot open /dev/kvm")
                .hasMessageContaining("on standard error");
        assertThat(plan.runDir()).doesNotExist();
    }

    @Test
    void aSocketThatNeverAppears_isADeadlineError_andTheProcessIsKilled() throws Exception {
        Path pidFile = tmp.resolve("sleeper.pid");
        Path binary = FcTestFiles.script(tmp.resolve("firecracker"), "echo $$ > " + pidFile + "; exec sleep 120");
        FcDriver driver = new FcDriver(FcTestFiles.config(binary, Optional.empty(), 1));
        VmPlan plan = FcTestFiles.plan(tmp, "e2", VmFeatures.NONE);
        assertThatThrownBy(() -> driver.boot(plan))
                .isInstanceOf(ArcboxException.DeadlineExceeded.class)
                .hasMessageContaining("API socket")
                .hasMessageContaining("did not answer within PT1S");
        assertThat(plan.runDir()).doesNotExist();
        long pid = Long.parseLong(Files.readString(pidFile).strip());
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> ProcessHandle.of(pid).isEmpty()
                || !ProcessHandle.of(pid).get().isAlive());
    }

    @Test
    void aRefusedConfiguration_isAnErrorCarryingTheFaultMessage_andLeavesNothing() throws Exception {
        FcDriver driver = direct(90);
        VmFeatures bad = new VmFeatures(false, Optional.empty(), Optional.empty(), java.util.Map.of(), Optional.empty(),
                Optional.empty(), Optional.empty(), Optional.empty(), false, Optional.empty(),
                Optional.of(new MemoryHotplugSpec(100, OptionalLong.empty(), OptionalLong.empty())), Optional.empty(),
                Optional.empty());
        VmPlan plan = FcTestFiles.plan(tmp, "e3", bad);
        assertThatThrownBy(() -> driver.boot(plan))
                .isInstanceOf(ArcboxException.FailedPrecondition.class)
                .hasMessageContaining("PUT /hotplug/memory: firecracker answered 400: invalid memory hotplug sizes");
        assertThat(plan.runDir()).doesNotExist();
    }

    @Test
    void validate_refusesWhatFirecrackerCannotTake_namingTheField() throws Exception {
        FcDriver driver = direct(5);
        VmPlan good = FcTestFiles.plan(tmp, "v1", VmFeatures.NONE);
        VmPlan odd = new VmPlan(good.vmId(), good.runDir(), good.consoleLog(),
                new dev.arcbox.core.driver.MachinePlan(3, 256, false, "tcg"), good.kernel(), good.initrd(), "",
                good.disks(), good.nics(), null, good.assetHashes(), good.features());
        assertThatThrownBy(() -> driver.boot(odd)).isInstanceOf(ArcboxException.InvalidArgument.class)
                .hasMessageContaining("machine.vcpus: firecracker takes 1 or an even number, got 3")
                .hasMessageContaining("machine.accelerator");
        assertThat(good.runDir()).doesNotExist();
    }
}
