package dev.arcbox.driver.firecracker;

import dev.arcbox.core.ArcboxException;
import dev.arcbox.core.driver.MemoryFormat;
import dev.arcbox.core.driver.NicPlan;
import dev.arcbox.core.driver.RestorePlan;
import dev.arcbox.core.driver.SnapshotFiles;
import dev.arcbox.core.driver.SnapshotKind;
import dev.arcbox.core.driver.SnapshotManifest;
import dev.arcbox.core.driver.VmPlan;
import dev.arcbox.core.fs.FileTree;
import dev.arcbox.driver.firecracker.api.MemoryBackend;
import dev.arcbox.driver.firecracker.api.NetworkOverride;
import dev.arcbox.driver.firecracker.api.SnapshotCreateParams;
import dev.arcbox.driver.firecracker.api.SnapshotLoadParams;
import dev.arcbox.driver.firecracker.api.VmState;
import dev.arcbox.driver.firecracker.api.VsockOverride;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Snapshot and restore for Firecracker ({@code docs/snapshotting/*.md}). A snapshot is the
 * VM state file, the guest memory file and a sparse copy of the writable disk taken while the
 * guest is paused (Firecracker leaves disks to its caller). A restore starts a fresh process,
 * stages the new VM's own disks under the same Firecracker paths the snapshot recorded (relative
 * to its run directory, or inside its own jail), loads with the new VM's TAP devices
 * ({@code network_overrides}) and vsock socket ({@code vsock_override}), puts the MMDS data again
 * (a snapshot does not keep it) and resumes. The memory file is mapped privately
 * ({@code File} backend), so clones share its pages and never change it.
 */
final class FcSnapshots {

    static final String VM_STATE = "vmstate";
    static final String MEMORY = "memory";
    static final String DISK = "disk";
    private static final String JAIL_SNAPSHOT_DIR = "snapshot";

    private final FcDriver driver;

    FcSnapshots(FcDriver driver) {
        this.driver = driver;
    }

    SnapshotFiles take(FcVm vm, Path dir, SnapshotKind kind, boolean leaveStopped) {
        VmPlan plan = vm.plan();
        boolean wasRunning = "Running".equals(vm.state());
        if (wasRunning) {
            vm.pause();
        }
        try {
            FcLayout layout = vm.layout();
            Path vmState = dir.resolve(VM_STATE);
            Path memory = dir.resolve(MEMORY);
            String fcState;
            String fcMemory;
            if (layout instanceof FcJail jail) {
                Path inJail = jail.hostPath("/" + JAIL_SNAPSHOT_DIR);
                FileTree.delete(inJail);
                Files.createDirectories(inJail);
                jail.own(inJail);
                fcState = "/" + JAIL_SNAPSHOT_DIR + "/" + VM_STATE;
                fcMemory = "/" + JAIL_SNAPSHOT_DIR + "/" + MEMORY;
            } else {
                fcState = vmState.toAbsolutePath().toString();
                fcMemory = memory.toAbsolutePath().toString();
            }
            vm.api().put("/snapshot/create", new SnapshotCreateParams(fcState, fcMemory,
                    kind == SnapshotKind.FULL ? "Full" : "Diff"));
            // Firecracker resets vsock connections when it snapshots: reconnect (HELLO resyncs) on next use
            vm.disconnectAgent();
            if (layout instanceof FcJail jail) {
                move(jail.hostPath(fcState), vmState);
                move(jail.hostPath(fcMemory), memory);
                FileTree.delete(jail.hostPath("/" + JAIL_SNAPSHOT_DIR));
            }
            Optional<Path> disk = Optional.empty();
            var writable = plan.disks().stream().filter(d -> !d.readOnly()).findFirst();
            if (writable.isPresent()) {
                Path copy = dir.resolve(DISK);
                FileTree.sparseCopy(writable.get().path(), copy);
                disk = Optional.of(copy);
            }
            SnapshotFiles files = new SnapshotFiles(dir, FcDriver.ID, vm.vmmVersion(), kind, MemoryFormat.RAW_FILE,
                    vmState, Optional.of(memory), disk, plan.machine(), plan.assetHashes());
            SnapshotManifest.write(files);
            return files;
        } catch (IOException e) {
            throw new ArcboxException.HostFailure("vm " + vm.vmId() + ": snapshot into " + dir + ": " + e.getMessage(), e);
        } finally {
            if (wasRunning && !leaveStopped) {
                vm.resume();
            }
        }
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
        } catch (java.nio.file.AtomicMoveNotSupportedException e) {
            FileTree.sparseCopy(from, to);
            Files.delete(from);
        }
    }

    FcVm restore(RestorePlan restore) {
        VmPlan plan = restore.vm();
        SnapshotFiles snapshot = restore.snapshot();
        checkCompatible(plan, snapshot);
        Path memory = snapshot.memory().orElseThrow(() -> new ArcboxException.FailedPrecondition(
                "snapshot " + snapshot.dir() + ": memory file missing"));
        FcVm vm = driver.launcher().start(plan, driver.layout(plan), layout -> {
            FcFiles files = driver.launcher().files(plan, layout, null, null);
            boolean jailed = layout instanceof FcJail;
            String state = jailed ? layout.place(snapshot.vmState(), JAIL_SNAPSHOT_DIR + "/" + VM_STATE, false)
                    : snapshot.vmState().toAbsolutePath().toString();
            String mem = jailed ? layout.place(memory, JAIL_SNAPSHOT_DIR + "/" + MEMORY, false)
                    : memory.toAbsolutePath().toString();
            return load(plan, driver, files, state, mem);
        });
        String running = vm.vmmVersion();
        if (running != null && !running.equals(snapshot.vmmVersion())) {
            vm.stop(Duration.ZERO);
            throw new ArcboxException.FailedPrecondition("snapshot " + snapshot.dir() + " was taken with firecracker "
                    + snapshot.vmmVersion() + ", this host runs " + running);
        }
        return vm;
    }

    /** Logger and metrics, the load, the MMDS data again, then resume. */
    static List<FcCall> load(VmPlan plan, FcDriver driver, FcFiles files, String state, String memory) {
        List<FcCall> calls = new ArrayList<>(FcBootSequence.telemetry(driver.config(), files));
        List<NetworkOverride> nets = new ArrayList<>();
        for (NicPlan nic : plan.nics()) {
            nets.add(new NetworkOverride(FcBootSequence.ifaceId(nic), nic.tapName()));
        }
        calls.add(FcCall.put("/snapshot/load", new SnapshotLoadParams(state, new MemoryBackend("File", memory),
                plan.features().trackDirtyPages(), false, nets, new VsockOverride(files.vsock()))));
        plan.features().mmds().ifPresent(m -> calls.add(FcCall.put("/mmds",
                FcBootSequence.mmdsData(m, plan.features().sshPublicKey()))));
        calls.add(FcCall.patch("/vm", new VmState("Resumed")));
        return calls;
    }

    private static void checkCompatible(VmPlan plan, SnapshotFiles snapshot) {
        if (!FcDriver.ID.equals(snapshot.driver())) {
            throw new ArcboxException.FailedPrecondition("snapshot " + snapshot.dir() + " was taken by driver "
                    + snapshot.driver() + ", not " + FcDriver.ID);
        }
        if (snapshot.kind() == SnapshotKind.DIFF) {
            throw new ArcboxException.FailedPrecondition("snapshot " + snapshot.dir() + " is a diff snapshot: its "
                    + "memory must be merged onto its base (snapshot-editor edit-memory rebase) before a restore");
        }
        snapshot.requireSameAssetsAndShape(plan);
    }
}
