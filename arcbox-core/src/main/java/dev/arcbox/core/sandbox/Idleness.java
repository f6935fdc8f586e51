package dev.arcbox.core.sandbox;

import dev.arcbox.core.ArcboxException;
import dev.arcbox.core.agent.AgentClient;
import dev.arcbox.core.agent.ExecutionInfo;
import dev.arcbox.core.store.SandboxRow;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The idle policy. A READY sandbox with an idle timeout, no running execution and no guest call
 * for that long is put to sleep — paused (event {@code idle-paused}) or stopped (events
 * {@code stopping}/{@code stopped} with reason {@code idle}), per its spec — and its record keeps
 * the reason {@code idle}. The next guest call ({@link SandboxService#awaken}) wakes it
 * transparently: resumed (event {@code resumed}) or booted again from its disk, so the call
 * proceeds as if the sandbox had been awake. A user's Pause is not idleness: Run stays refused.
 *
 * <p>Activity is kept in memory: after a daemon restart every sandbox gets a full idle period
 * again. A sweep runs every second on the service's timer thread; decisions are taken under the
 * sandbox's lock, so a call that records activity either comes before the sweep looks (and keeps
 * the sandbox awake) or after it (and wakes it).
 */
final class Idleness {

    /** The reason recorded on a sandbox the idle policy put to sleep. */
    static final String REASON = "idle";
    private static final System.Logger LOG = System.getLogger(Idleness.class.getName());
    private static final Duration STOP_GRACE = Duration.ofSeconds(10);
    private static final Duration GUEST_QUERY = Duration.ofSeconds(5);

    private final SandboxService sandboxes;
    private final Set<String> stopping = ConcurrentHashMap.newKeySet();

    Idleness(SandboxService sandboxes) {
        this.sandboxes = sandboxes;
    }

    /** Puts every sandbox that was idle for its timeout to sleep. */
    void sweep() {
        try {
            Instant now = sandboxes.clock().instant();
            sandboxes.live().forEach((uid, l) -> {
                if (idle(l, now)) {
                    try {
                        switch (l.idleAction) {
                            case PAUSE -> pause(uid, l);
                            case STOP -> stop(uid, l);
                        }
                    } catch (ArcboxException e) {
                        LOG.log(System.Logger.Level.WARNING, "idle policy of sandbox " + uid + ": " + e.getMessage());
                    }
                }
            });
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "idle sweep: " + e.getMessage());
        }
    }

    private static boolean idle(Live l, Instant now) {
        Duration timeout = l.idleTimeout;
        Instant active = l.activeAt();
        return timeout != null && l.running.get() == 0 && active != null && !active.plus(timeout).isAfter(now);
    }

    /** The READY row of a sandbox that is still idle, under its lock; empty otherwise. */
    private Optional<SandboxRow> stillIdle(String uid, Live l) {
        if (sandboxes.live().get(uid) != l || !idle(l, sandboxes.clock().instant())) {
            return Optional.empty();
        }
        if (busyInGuest(uid, l)) {
            l.lastActivity = sandboxes.clock().instant();
            return Optional.empty();
        }
        return sandboxes.store().findSandboxByUid(uid).filter(r -> r.state().equals(SandboxState.READY.name()));
    }

    /**
     * Work Run does not count: an Exec or a file transfer streaming through the agent, or an
     * execution still running in the guest with no call attached (started detached, or whose
     * client went away). An agent that cannot be asked keeps the sandbox awake.
     */
    private static boolean busyInGuest(String uid, Live l) {
        AgentClient agent = l.agent;
        if (agent != null && agent.isOpen() && agent.streaming()) {
            return true;
        }
        try {
            return l.vm.agent(GUEST_QUERY).executions(GUEST_QUERY).stream().anyMatch(ExecutionInfo::running);
        } catch (ArcboxException e) {
            LOG.log(System.Logger.Level.INFO, "idle policy of sandbox " + uid + ": cannot list executions: " + e.getMessage());
            return true;
        }
    }

    private void pause(String uid, Live l) {
        ReentrantLock lock = sandboxes.lockOf(uid);
        long seq;
        lock.lock();
        try {
            Optional<SandboxRow> row = stillIdle(uid, l);
            if (row.isEmpty()) {
                return;
            }
            SandboxRow r = row.get();
            String data = "{\"idle_timeout_s\":" + l.idleTimeout.toSeconds() + "}";
            l.vm.pause();
            seq = sandboxes.store().write(tx -> {
                tx.updateSandbox(uid, r.generation(), x -> x.withState(SandboxState.PAUSED.name(), REASON));
                return tx.appendEvent(r.id(), uid, "idle-paused", data);
            });
        } finally {
            lock.unlock();
        }
        sandboxes.events().published(seq);
    }

    /** Stopping takes seconds: it runs on a thread of its own, once per sandbox at a time. */
    private void stop(String uid, Live l) {
        SandboxRow row;
        ReentrantLock lock = sandboxes.lockOf(uid);
        lock.lock();
        try {
            Optional<SandboxRow> idle = stillIdle(uid, l);
            if (idle.isEmpty() || !stopping.add(uid)) {
                return;
            }
            row = idle.get();
        } finally {
            lock.unlock();
        }
        Thread.ofVirtual().name("idle-stop-" + uid).start(() -> {
            try {
                sandboxes.stop(row.id(), STOP_GRACE, REASON);
            } catch (ArcboxException e) {
                LOG.log(System.Logger.Level.INFO, "idle stop of " + row.id() + ": " + e.getMessage());
            } finally {
                stopping.remove(uid);
            }
        });
    }

    /** Records activity and wakes a sandbox the idle policy put to sleep (see the class comment). */
    void awaken(SandboxRow found) {
        String uid = found.uid();
        if (!REASON.equals(found.reason())) {
            // not asleep: record the activity without the lock (the sweep re-checks it under its lock)
            Live l = sandboxes.live().get(uid);
            if (l != null) {
                l.lastActivity = sandboxes.clock().instant();
            }
            return;
        }
        ReentrantLock lock = sandboxes.lockOf(uid);
        SandboxRow row;
        long seq = 0;
        lock.lock();
        try {
            Live l = sandboxes.live().get(uid);
            if (l != null) {
                l.lastActivity = sandboxes.clock().instant();
            }
            row = sandboxes.store().findSandboxByUid(uid).orElse(null);
            if (row == null || !REASON.equals(row.reason())) {
                return;
            }
            if (row.state().equals(SandboxState.PAUSED.name()) && l != null) {
                l.vm.resume();
                SandboxRow r = row;
                seq = sandboxes.store().write(tx -> {
                    tx.updateSandbox(uid, r.generation(), x -> x.withState(SandboxState.READY.name(), null));
                    return tx.appendEvent(r.id(), uid, "resumed", "{\"reason\":\"idle\"}");
                });
            }
        } finally {
            lock.unlock();
        }
        if (seq > 0) {
            sandboxes.events().published(seq);
        }
        if (row.state().equals(SandboxState.STOPPED.name())) {
            restart(row);
        }
    }

    /** Boots a sandbox stopped for idleness and waits until it is ready (or failed). */
    private void restart(SandboxRow row) {
        try {
            sandboxes.start(row.id(), true);
        } catch (ArcboxException.FailedPrecondition e) {
            // another call started it meanwhile: wait for that boot
            CompletableFuture<SandboxView> boot = sandboxes.booting().get(row.uid());
            if (boot == null) {
                throw e;
            }
            boot.join();
        }
    }
}
