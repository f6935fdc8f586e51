package dev.arcbox.core.sandbox;

import dev.arcbox.core.ArcboxException;
import dev.arcbox.core.driver.RunningVm;
import dev.arcbox.core.fs.FileTree;
import dev.arcbox.core.store.Operation;
import dev.arcbox.core.store.OperationRow;
import dev.arcbox.core.store.SandboxFilter;
import dev.arcbox.core.store.SandboxRow;
import java.time.Duration;
import java.util.Optional;

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
 * </ul>
 */
final class Recovery {

    private static final System.Logger LOG = System.getLogger(Recovery.class.getName());
    private final SandboxService service;

    Recovery(SandboxService service) {
        this.service = service;
    }

    void run() {
        closeInterruptedOperations();
        boolean rebooted = HostBoot.changedSinceLastRun(service.config().dataDir());
        for (SandboxRow row : service.store().listSandboxes(SandboxFilter.ALL)) {
            try {
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
    }

    /**
     * Operations the last daemon left running. Their effects are reconciled from the sandboxes'
     * records below (a VM recorded by step {@code spawned} is re-attached and its boot finished;
     * a boot that never recorded a VM is started again; a VM that died is failed), so the
     * operations themselves are closed here: rolled forward when their sandbox still exists,
     * rolled back otherwise.
     */
    private void closeInterruptedOperations() {
        for (OperationRow op : service.store().journal().unfinished()) {
            boolean exists = service.store().findSandboxByUid(op.subjectUid()).isPresent();
            Operation resumed = service.store().journal().resume(op.opId());
            if (exists) {
                resumed.fail("interrupted by a daemon restart; the sandbox is reconciled at startup");
            } else {
                resumed.rolledBack("interrupted by a daemon restart; the sandbox no longer exists");
            }
        }
    }

    private void reconcile(SandboxRow row) {
        SandboxState state = SandboxState.valueOf(row.state());
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
                FileTree.delete(service.planner().dirOf(row.uid()).resolve(VmPlanner.RUN));
                service.cgroups().remove(row.uid());
            }
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
