package dev.arcbox.core.sandbox;

import dev.arcbox.core.ArcboxException;
import dev.arcbox.core.driver.RunningVm;
import dev.arcbox.core.fs.FileTree;
import dev.arcbox.core.store.Operation;
import dev.arcbox.core.store.OperationRow;
import dev.arcbox.core.store.SandboxFilter;
import dev.arcbox.core.store.SandboxRow;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;

/**
 * Startup reconciliation: every record is made to match reality.
 * <ul>
 *   <li>A sandbox with a recorded VM whose process (pid + start time) still runs is re-attached;
 *       a STARTING one then finishes its boot (waits for the agent), a STOPPING one is stopped.</li>
 *   <li>A recorded VM that is gone makes its sandbox failed ("vmm exited while arcboxd was down");
 *       its run directory is removed.</li>
 *   <li>A STARTING sandbox with no VM recorded (the daemon died before spawning it) is booted
 *       again: boot is idempotent from the disk.</li>
 *   <li>A STOPPING sandbox with no VM is stopped; removal interrupted mid-way is completed.</li>
 *   <li>An interrupted restore is rolled back (its clone removed); sandbox directories no record
 *       owns are removed. docs/reliability.md lists every rule and the test that proves it.</li>
 * </ul>
 */
final class Recovery {

    private static final System.Logger LOG = System.getLogger(Recovery.class.getName());
    private final SandboxService service;

    Recovery(SandboxService service) {
        this.service = service;
    }

    void run() {
        Set<String> interruptedRestores = closeInterruptedOperations();
        boolean rebooted = HostBoot.changedSinceLastRun(service.config().dataDir());
        for (SandboxRow row : service.store().listSandboxes(SandboxFilter.ALL)) {
            try {
                if (interruptedRestores.contains(row.uid())) {
                    rollBackRestore(row);
                    continue;
                }
                if (rebooted) {
                    afterHostRestart(row);
                    continue;
                }
                reconcile(row);
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "recovering sandbox " + row.id() + ": " + e.getMessage());
                service.fail(row.uid(), "recovery after restart: " + e.getMessage());
            }
        }
        sweepOrphanDirectories();
    }

    /**
     * A restore (or one clone of a fork) that a crash interrupted is rolled back: the client never
     * got the clone, and a clone is only usable once its agent took its own clock, entropy and
     * network identity. Its VM (re-attached when recorded, found through its run directory when
     * not), disk, TAP, rules and lease all go with it.
     */
    private void rollBackRestore(SandboxRow row) {
        if (row.vm() != null) {
            try {
                service.driver().reattach(row.vm()).ifPresent(vm -> service.adopt(row.uid(), vm));
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "clone " + row.id() + ": re-attaching to roll back: " + e.getMessage());
            }
        }
        service.remove(row.id(), true);
        LOG.log(System.Logger.Level.INFO, "restore of " + row.id() + " was interrupted by a restart: rolled back");
    }

    /** Sandbox directories no record owns (none should exist: rows are written before directories). */
    private void sweepOrphanDirectories() {
        Path root = service.config().sandboxesDir();
        if (!Files.isDirectory(root)) {
            return;
        }
        Set<String> owned = new HashSet<>();
        service.store().listSandboxes(SandboxFilter.ALL).forEach(r -> owned.add(r.uid()));
        try (var dirs = Files.list(root)) {
            for (Path dir : dirs.toList()) {
                String uid = dir.getFileName().toString();
                if (!owned.contains(uid) && Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
                    service.driver().discard(uid, dir.resolve(VmPlanner.RUN));
                    FileTree.delete(dir);
                    LOG.log(System.Logger.Level.INFO, "removed sandbox directory no record owns: " + dir);
                }
            }
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "sweeping sandbox directories: " + e.getMessage());
        }
    }

    /**
     * Operations the last daemon left running. Their effects are reconciled from the sandboxes'
     * records below (a VM recorded by step {@code spawned} is re-attached and its boot finished;
     * a boot that never recorded a VM is started again; a VM that died is failed), so the
     * operations themselves are closed here: rolled forward when their sandbox still exists,
     * rolled back otherwise.
     */
    private Set<String> closeInterruptedOperations() {
        Set<String> restores = new HashSet<>();
        for (OperationRow op : service.store().journal().unfinished()) {
            boolean exists = service.store().findSandboxByUid(op.subjectUid()).isPresent();
            Operation resumed = service.store().journal().resume(op.opId());
            if (exists && Snapshots.RESTORE_OPERATION.equals(op.kind())) {
                restores.add(op.subjectUid());
                resumed.rolledBack("interrupted by a daemon restart; the clone is removed");
            } else if (exists) {
                resumed.fail("interrupted by a daemon restart; the sandbox is reconciled at startup");
            } else {
                resumed.rolledBack("interrupted by a daemon restart; the sandbox no longer exists");
            }
        }
        return restores;
    }

    private void reconcile(SandboxRow row) {
        SandboxState state = SandboxState.valueOf(row.state());
        if (row.vm() == null && (state == SandboxState.STOPPED || state == SandboxState.STARTING)) {
            ensureDisk(row);
        }
        if ("removing".equals(row.reason()) && state == SandboxState.STOPPING) {
            service.remove(row.id(), true);
            return;
        }
        Optional<RunningVm> vm = row.vm() == null ? Optional.empty() : service.driver().reattach(row.vm());
        switch (state) {
            case READY, PAUSED -> {
                if (vm.isPresent()) {
                    service.adopt(row.uid(), vm.get());
                } else {
                    gone(row);
                }
            }
            case STARTING -> {
                if (vm.isPresent()) {
                    service.adopt(row.uid(), vm.get());
                    Thread.ofVirtual().name("recover-" + row.uid()).start(() -> finishBoot(row, vm.get()));
                } else if (row.vm() != null) {
                    gone(row);
                } else {
                    service.bootLater(row.uid());
                }
            }
            case STOPPING -> {
                vm.ifPresent(v -> service.adopt(row.uid(), v));
                service.stopVm(row.uid(), Duration.ofSeconds(10));
                service.mutate(row.uid(), r -> r.withState(SandboxState.STOPPED.name(), null).withVm(null));
                service.events().emit(row.id(), row.uid(), "stopped", "{}");
            }
            case STOPPED, FAILED -> {
                vm.ifPresent(v -> v.stop(Duration.ofSeconds(10)));
                service.driver().discard(row.uid(), service.planner().dirOf(row.uid()).resolve(VmPlanner.RUN));
                service.cgroups().remove(row.uid());
            }
        }
    }

    /** A create interrupted before its disk was in place is rolled forward: the disk is made now. */
    private void ensureDisk(SandboxRow row) {
        if (Files.exists(service.planner().dirOf(row.uid()).resolve(VmPlanner.DISK))) {
            return;
        }
        try {
            service.createDisk(row.uid(), SpecJson.read(row.specJson()));
            LOG.log(System.Logger.Level.INFO, "sandbox " + row.id() + ": made the disk an interrupted create left out");
        } catch (IOException e) {
            throw new ArcboxException.HostFailure("creating the disk of " + row.id() + ": " + e.getMessage(), e);
        }
    }

    /**
     * The host rebooted since the last daemon ran: no VM, TAP or rule of before survived. Sandboxes
     * that were running are stopped (keeping disk and lease); they boot again, with their rules
     * rebuilt, when started.
     */
    private void afterHostRestart(SandboxRow row) {
        SandboxState state = SandboxState.valueOf(row.state());
        FileTree.delete(service.planner().dirOf(row.uid()).resolve(VmPlanner.RUN));
        if (state == SandboxState.STOPPED || state == SandboxState.FAILED) {
            return;
        }
        service.mutate(row.uid(), r -> r.withState(SandboxState.STOPPED.name(), "host restarted").withVm(null));
        service.events().emit(row.id(), row.uid(), "stopped", "{\"reason\":\"host restarted\"}");
    }

    private void finishBoot(SandboxRow row, RunningVm vm) {
        try {
            vm.agent(SandboxService.READY_DEADLINE);
            service.transition(row.uid(), SandboxState.STARTING, SandboxState.READY, null, "ready", "{}");
        } catch (ArcboxException e) {
            service.fail(row.uid(), "guest agent did not answer after restart: " + e.getMessage());
        }
    }

    private void gone(SandboxRow row) {
        service.fail(row.uid(), "vmm exited while arcboxd was down");
    }
}
