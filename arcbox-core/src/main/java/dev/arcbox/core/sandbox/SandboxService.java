package dev.arcbox.core.sandbox;

import dev.arcbox.core.ArcboxException;
import dev.arcbox.core.agent.AgentClient;
import dev.arcbox.core.agent.ExecRequest;
import dev.arcbox.core.cgroup.SandboxCgroups;
import dev.arcbox.core.agent.Execution;
import dev.arcbox.core.config.DaemonConfig;
import dev.arcbox.core.console.ConsoleDrain;
import dev.arcbox.core.console.ConsoleLog;
import dev.arcbox.core.driver.RunningVm;
import dev.arcbox.core.driver.VmDriver;
import dev.arcbox.core.driver.VmPlan;
import dev.arcbox.core.fs.FileTree;
import dev.arcbox.core.image.GuestImage;
import dev.arcbox.core.image.ScratchDisk;
import dev.arcbox.core.metrics.Telemetry;
import dev.arcbox.core.spec.NetworkMode;
import dev.arcbox.core.spec.SandboxSpec;
import dev.arcbox.core.spec.SpecValidator;
import dev.arcbox.core.spec.ValidationContext;
import dev.arcbox.core.store.NewSandbox;
import dev.arcbox.core.store.Operation;
import dev.arcbox.core.store.OwnedResources;
import dev.arcbox.core.store.SandboxFilter;
import dev.arcbox.core.store.SandboxRow;
import dev.arcbox.core.store.Store;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The sandboxes of one daemon: admission, the lifecycle of DESIGN §4, durable records, events and
 * timers. Thread safe. One lock per sandbox serializes its state changes; no lock is held across
 * a VM boot or stop. Every transition is persisted (generation-fenced) before it is acted on.
 */
public final class SandboxService implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(SandboxService.class.getName());
    static final Duration READY_DEADLINE = Duration.ofSeconds(120);
    private static final Duration AGENT_DEADLINE = Duration.ofSeconds(30);

    private final DaemonConfig config;
    private final Store store;
    private final VmDriver driver;
    private final VmPlanner planner;
    private final Clock clock;
    private final SandboxEvents events;
    private final ValidationContext validation;
    private final Semaphore boots;
    private final Map<String, ReentrantLock> locks = new ConcurrentHashMap<>();
    private final Map<String, Live> live = new ConcurrentHashMap<>();
    private final Map<String, CompletableFuture<SandboxView>> booting = new ConcurrentHashMap<>();
    private final ReentrantLock admission = new ReentrantLock();
    private final ScheduledExecutorService timers;
    private final Snapshots snapshots;
    private final SandboxNetworking network;
    private final Telemetry telemetry = new Telemetry();
    private final Map<String, ConsoleLog> consoles = new ConcurrentHashMap<>();
    private final Idleness idleness = new Idleness(this);
    private final SandboxCgroups cgroups;

    public SandboxService(DaemonConfig config, Store store, VmDriver driver, GuestImage image, Clock clock) {
        this(config, store, driver, image, clock, SandboxCgroups.none());
    }

    /** A service whose VMMs run in the cgroups of {@code cgroups} (the driver must place them with it). */
    public SandboxService(DaemonConfig config, Store store, VmDriver driver, GuestImage image, Clock clock,
            SandboxCgroups cgroups) {
        this.cgroups = cgroups;
        this.config = config;
        this.store = store;
        this.driver = driver;
        this.planner = new VmPlanner(config, image);
        this.clock = clock;
        this.events = new SandboxEvents(store);
        this.validation = ValidationContext.of(config, driver.id(), driver.capabilities());
        this.boots = new Semaphore(config.limits().maxConcurrentBoots(), true);
        this.timers = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon().name("sandbox-timers").factory());
        this.snapshots = new Snapshots(this);
        this.network = new SandboxNetworking(config.network(), store);
    }

    public Snapshots snapshots() {
        return snapshots;
    }

    public SandboxEvents events() {
        return events;
    }

    public VmDriver driver() {
        return driver;
    }

    /** Re-attaches to the VMs recorded as running and starts the TTL timer. Call once at startup. */
    public void recover() {
        sweepCgroups();
        new Recovery(this).run();
        snapshots.recover();
        rebuildNetwork();
        timers.scheduleWithFixedDelay(this::expire, 1, 1, TimeUnit.SECONDS);
        timers.scheduleWithFixedDelay(idleness::sweep, 1, 1, TimeUnit.SECONDS);
        timers.scheduleWithFixedDelay(this::capVmmLogs, 2, 2, TimeUnit.SECONDS);
    }

    public SandboxCgroups cgroups() {
        return cgroups;
    }

    /** Orphan cgroups go before any VM is adopted or booted (see {@link SandboxCgroups#sweep}). */
    private void sweepCgroups() {
        Set<String> known = new java.util.HashSet<>();
        Set<String> withVm = new java.util.HashSet<>();
        for (SandboxRow row : store.listSandboxes(SandboxFilter.ALL)) {
            known.add(row.uid());
            if (row.vm() != null) {
                withVm.add(row.uid());
            }
        }
        cgroups.sweep(known, withVm);
    }

    private void capVmmLogs() {
        live.keySet().forEach(uid -> VmmLogs.cap(planner.dirOf(uid).resolve(VmPlanner.RUN), config.limits().vmmLogMaxBytes()));
    }

    // ------------------------------------------------------------------------------------------
    // create

    /**
     * Validates, admits and records a sandbox, then boots it unless {@code start} is false.
     * Returns once recorded, or once ready (or failed) when {@code waitReady}.
     */
    public SandboxView create(SandboxSpec requested, boolean start, boolean waitReady) {
        SandboxSpec spec = requested.id() == null || requested.id().isEmpty()
                ? withId(requested, "sbx-" + HexFormat.of().formatHex(new java.security.SecureRandom().generateSeed(4)))
                : requested;
        spec = SpecValidator.validate(spec, validation);
        if (spec.network() == NetworkMode.TAP) {
            network.checkAvailable();
        }
        String uid = SandboxRow.randomUid();
        Path dir = planner.dirOf(uid);
        Instant ttl = spec.ttl().map(d -> clock.instant().plus(d)).orElse(null);
        OwnedResources owned = new OwnedResources(null, null, List.of(), List.of(dir));
        SandboxSpec admitted = spec;
        long seq;
        admission.lock();
        try {
            admit(admitted);
            admitAddresses(admitted, 1);
            seq = store.write(tx -> {
                tx.insertSandbox(new NewSandbox(uid, admitted.id(), SpecJson.write(admitted),
                        (start ? SandboxState.STARTING : SandboxState.STOPPED).name(), admitted.labels(), ttl, null, owned));
                return tx.appendEvent(admitted.id(), uid, "created", "{}");
            });
        } finally {
            admission.unlock();
        }
        events.published(seq);
        try {
            if (admitted.network() == NetworkMode.TAP) {
                leaseFor(uid);
            }
            createDisk(uid, admitted);
        } catch (java.io.IOException | RuntimeException e) {
            fail(uid, "creating the sandbox's disk: " + e.getMessage());
            return inspectUid(uid);
        }
        if (!start) {
            return inspectUid(uid);
        }
        CompletableFuture<SandboxView> boot = bootAsync(uid);
        return waitReady ? settled(boot, admitted.id()) : inspectUid(uid);
    }

    /**
     * The sandbox's writable disk, made under a temporary name and renamed into place, so that
     * {@code disk.img} is whole or absent after a crash ({@link Recovery} makes an absent one).
     */
    void createDisk(String uid, SandboxSpec spec) throws java.io.IOException {
        Path dir = Files.createDirectories(planner.dirOf(uid));
        Path partial = dir.resolve(VmPlanner.DISK + ".partial");
        Files.deleteIfExists(partial);
        ScratchDisk.create(partial, planner.diskBytes(spec));
        Files.move(partial, dir.resolve(VmPlanner.DISK), java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    private static SandboxSpec withId(SandboxSpec spec, String id) {
        return spec.toBuilder().id(id).build();
    }

    /** Validates (and normalizes) a spec with this daemon's rules: image dirs, defaults, capabilities. */
    SandboxSpec validate(SandboxSpec spec) {
        return SpecValidator.validate(spec, validation);
    }

    /** Limits: number of sandboxes, and memory on the host. */
    private void admit(SandboxSpec spec) {
        if (store.findSandboxById(spec.id()).isPresent()) {
            throw new ArcboxException.AlreadyExists("sandbox '" + spec.id() + "' exists already");
        }
        admitMore(spec, 1);
    }

    /** Addresses: every sandbox in mode tap holds a lease from the pool until it is removed. */
    void admitAddresses(SandboxSpec spec, int count) {
        if (spec.network() != NetworkMode.TAP) {
            return;
        }
        int held = store.read(tx -> tx.listLeases()).size();
        int capacity = network.capacity();
        if (held + count > capacity) {
            throw new ArcboxException.ResourceExhausted("network.cidr: " + held + " of " + capacity
                    + " addresses of " + config.network().cidr() + " are leased, " + count + " more asked for");
        }
    }

    // ------------------------------------------------------------------------------------------
    // boot

    private CompletableFuture<SandboxView> bootAsync(String uid) {
        CompletableFuture<SandboxView> done = new CompletableFuture<>();
        booting.put(uid, done);
        Thread.ofVirtual().name("boot-" + uid).start(() -> {
            try {
                done.complete(boot(uid));
            } catch (RuntimeException e) {
                done.complete(inspectUidOrNull(uid));
            } finally {
                booting.remove(uid);
            }
        });
        return done;
    }

    /**
     * One boot, as the operation {@code boot} of the journal: spawning the VMM is recorded as
     * step {@code spawned} (with the VM's record, in one transaction), readiness completes the
     * operation together with the state change and its event. Crash points
     * {@code boot.spawned.before/after} fall before and after the VMM exists; a restart reconciles
     * either way (see {@link Recovery}).
     */
    private SandboxView boot(String uid) {
        SandboxRow row = store.findSandboxByUid(uid).orElseThrow();
        SandboxSpec spec = SpecJson.read(row.specJson());
        Operation op = store.journal().begin("boot", uid);
        long started = System.nanoTime();
        RunningVm vm;
        try {
            boots.acquire();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            op.fail("interrupted");
            fail(uid, "interrupted waiting to boot");
            return inspectUid(uid);
        }
        try {
            // the driver replaces what an interrupted earlier boot left in the run directory
            vm = driver.boot(plan(uid, spec, true));
        } catch (RuntimeException e) {
            op.fail(e.getMessage() == null ? e.toString() : e.getMessage());
            fail(uid, "booting: " + e.getMessage());
            return inspectUid(uid);
        } finally {
            boots.release();
        }
        Live l = adopt(uid, vm);
        RunningVm booted = vm;
        try {
            op.record("spawned", tx -> {
                SandboxRow current = tx.findSandboxByUid(uid).orElseThrow(() -> notFound(row.id()));
                tx.updateSandbox(uid, current.generation(), r -> r.withVm(booted.record()));
                return Long.toString(booted.pid());
            });
        } catch (ArcboxException.NotFound e) {
            // removed while booting: nobody wants this VM, its TAP or its rules
            l.expectedExit = true;
            vm.stop(Duration.ofSeconds(5));
            live.remove(uid, l);
            network.unplug(uid);
            op.fail("sandbox removed while booting");
            return null;
        }
        try {
            vm.agent(READY_DEADLINE);
        } catch (RuntimeException e) {
            op.fail("agent: " + e.getMessage());
            fail(uid, "guest agent did not answer: " + e.getMessage());
            return inspectUid(uid);
        }
        l.bootTime = Duration.ofNanos(System.nanoTime() - started);
        l.readyAt = clock.instant();
        telemetry.latency(Telemetry.Latency.BOOT, l.bootTime);
        long[] seq = {0};
        String data = "{\"boot_ms\":" + l.bootTime.toMillis() + "}";
        ReentrantLock lock = lockOf(uid);
        lock.lock();
        try {
            op.complete(tx -> tx.findSandboxByUid(uid)
                    .filter(r -> r.state().equals(SandboxState.STARTING.name()))
                    .ifPresent(r -> {
                        tx.updateSandbox(uid, r.generation(), x -> x.withState(SandboxState.READY.name(), null));
                        seq[0] = tx.appendEvent(r.id(), uid, "ready", data);
                    }));
        } finally {
            lock.unlock();
        }
        if (seq[0] > 0) {
            events.published(seq[0]);
        }
        return inspectUid(uid);
    }

    /** A VMM that exits without the daemon asking makes its sandbox failed. */
    private void watch(String uid, Live l) {
        l.vm.onExit().thenAccept(exit -> {
            if (!l.expectedExit && live.get(uid) == l) {
                fail(uid, "vmm exited unexpectedly: " + exit.reason());
            }
        });
    }

    // ------------------------------------------------------------------------------------------
    // stop, start, remove, update

    public SandboxView stop(String id, Duration timeout) {
        return stop(id, timeout, null);
    }

    /** Stops a sandbox; {@code reason} (e.g. idleness) stays in its record and its events. */
    SandboxView stop(String id, Duration timeout, String reason) {
        SandboxRow row = find(id);
        ReentrantLock lock = lockOf(row.uid());
        lock.lock();
        try {
            row = store.findSandboxByUid(row.uid()).orElseThrow(() -> notFound(id));
            SandboxCommand.STOP.check(id, SandboxState.valueOf(row.state()));
            store.updateSandbox(row.uid(), row.generation(), r -> r.withState(SandboxState.STOPPING.name(), reason));
        } finally {
            lock.unlock();
        }
        String data = reason == null ? "{}" : "{\"reason\":" + Json.quote(reason) + "}";
        events.emit(id, row.uid(), "stopping", data);
        stopVm(row.uid(), timeout);
        mutate(row.uid(), r -> r.withState(SandboxState.STOPPED.name(), reason).withVm(null));
        events.emit(id, row.uid(), "stopped", data);
        return inspectUid(row.uid());
    }

    /** Ends the sandbox's VM (if any) and removes its run directory; keeps disk and lease. */
    void stopVm(String uid, Duration timeout) {
        Live l = live.get(uid);
        if (l != null) {
            l.expectedExit = true;
            try {
                l.vm.stop(timeout);
            } finally {
                live.remove(uid, l);
            }
        }
        // with no live handle a VMM may still run unrecorded (spawned before a crash): the driver ends it
        driver.discard(uid, planner.dirOf(uid).resolve(VmPlanner.RUN));
        cgroups.remove(uid);
        network.unplug(uid);
    }

    /**
     * The sandbox's plan; in mode tap its TAP is created (up when {@code upNow}, else it waits for
     * the agent's acknowledgement of a new identity) and admitted to the firewall first.
     */
    VmPlan plan(String uid, SandboxSpec spec, boolean upNow) {
        placeInCgroup(uid, spec);
        if (spec.network() != NetworkMode.TAP) {
            return planner.plan(uid, spec);
        }
        var lease = leaseFor(uid);
        network.plug(uid, lease, upNow, spec.egress(), spec.portForwards());
        return planner.plan(uid, spec, List.of(network.nic(uid, lease)), network.bootArgs(lease));
    }

    /** The VMM's cgroup: recorded in the sandbox's row, then made with the spec's limits. */
    private void placeInCgroup(String uid, SandboxSpec spec) {
        List<Path> dirs = cgroups.dirsOf(uid);
        if (dirs.isEmpty()) {
            return;
        }
        mutate(uid, r -> {
            OwnedResources owned = r.resources();
            for (Path d : dirs) {
                owned = owned.withDir(d);
            }
            return r.withResources(owned);
        });
        cgroups.prepare(uid, spec);
    }

    /** The sandbox's address lease, recorded in its row (with its TAP's name) before the TAP exists. */
    dev.arcbox.core.store.LeaseRow leaseFor(String uid) {
        var lease = network.lease(uid);
        mutate(uid, r -> r.withResources(r.resources().withIp(lease.ip()).withTap(SandboxNetworking.tapOf(uid))));
        return lease;
    }

    SandboxNetworking network() {
        return network;
    }

    /** Firewall and TAPs after a restart: rules for every sandbox with a live VM, orphan TAPs removed. */
    private void rebuildNetwork() {
        Map<String, dev.arcbox.core.network.SandboxNet> active = new HashMap<>();
        Set<String> owned = new java.util.HashSet<>();
        for (SandboxRow row : store.listSandboxes(SandboxFilter.ALL)) {
            if (live.containsKey(row.uid()) && row.resources().tap() != null) {
                SandboxSpec spec = SpecJson.read(row.specJson());
                store.leaseOf(row.uid()).ifPresent(l -> active.put(row.uid(),
                        dev.arcbox.core.network.SandboxNet.of(l, spec.egress(), spec.portForwards())));
                owned.add(row.uid());
            }
        }
        try {
            network.rebuild(active, owned);
        } catch (ArcboxException e) {
            LOG.log(System.Logger.Level.WARNING, "network: rebuilding after restart: " + e.getMessage());
        }
    }

    public SandboxView start(String id, boolean waitReady) {
        SandboxRow row = find(id);
        ReentrantLock lock = lockOf(row.uid());
        lock.lock();
        try {
            row = store.findSandboxByUid(row.uid()).orElseThrow(() -> notFound(id));
            SandboxCommand.START.check(id, SandboxState.valueOf(row.state()));
            store.updateSandbox(row.uid(), row.generation(), r -> r.withState(SandboxState.STARTING.name(), null));
        } finally {
            lock.unlock();
        }
        events.emit(id, row.uid(), "starting", "{}");
        CompletableFuture<SandboxView> boot = bootAsync(row.uid());
        return waitReady ? settled(boot, id) : inspectUid(row.uid());
    }

    public void remove(String id, boolean force) {
        SandboxRow row = find(id);
        ReentrantLock lock = lockOf(row.uid());
        lock.lock();
        try {
            row = store.findSandboxByUid(row.uid()).orElseThrow(() -> notFound(id));
            SandboxState state = SandboxState.valueOf(row.state());
            (force ? SandboxCommand.REMOVE_FORCED : SandboxCommand.REMOVE).check(id, state);
            Live l = live.get(row.uid());
            if (!force && l != null && l.running.get() > 0) {
                throw new ArcboxException.FailedPrecondition("cannot remove sandbox '" + id + "': "
                        + l.running.get() + " executions are running (use force)");
            }
            store.updateSandbox(row.uid(), row.generation(), r -> r.withState(SandboxState.STOPPING.name(), "removing"));
        } finally {
            lock.unlock();
        }
        // a boot in flight writes into the sandbox's directory: let it finish (it will not make the
        // sandbox ready any more), then take everything down
        CompletableFuture<SandboxView> inFlight = booting.get(row.uid());
        if (inFlight != null) {
            try {
                inFlight.get(READY_DEADLINE.toSeconds() + 30, java.util.concurrent.TimeUnit.SECONDS);
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                LOG.log(System.Logger.Level.WARNING, "removing " + id + ": its boot did not settle: " + e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        ConsoleLog console = consoles.remove(row.uid());
        if (console != null) {
            console.close();
        }
        release(row.uid(), Duration.ofSeconds(10));
        String uid = row.uid();
        long seq = store.write(tx -> {
            tx.release(uid);
            tx.deleteSandbox(uid);
            return tx.appendEvent(id, uid, "removed", "{}");
        });
        events.published(seq);
        locks.remove(uid);
    }

    /** Stops the VM and deletes every file of the sandbox. */
    private void release(String uid, Duration grace) {
        stopVm(uid, grace);
        FileTree.delete(planner.dirOf(uid));
    }

    public SandboxView update(String id, Map<String, String> setLabels, List<String> removeLabels,
            Optional<Duration> ttl) {
        SandboxRow row = find(id);
        Map<String, String> labels = new HashMap<>(row.labels());
        labels.putAll(setLabels);
        removeLabels.forEach(labels::remove);
        SpecValidator.validateLabels(labels);
        Instant deadline = ttl.isEmpty() ? row.ttlDeadline()
                : ttl.get().isZero() ? null : clock.instant().plus(ttl.get());
        mutateOrThrow(row.uid(), r -> r.withLabels(labels).withDeadlines(deadline, r.idleDeadline()));
        events.emit(id, row.uid(), "updated", "{}");
        return inspectUid(row.uid());
    }

    /** Pauses the vCPUs of a ready sandbox; Run is refused while it is paused. */
    public SandboxView pause(String id) {
        return pauseOrResume(id, SandboxCommand.PAUSE, SandboxState.PAUSED, "paused");
    }

    /** Resumes a paused sandbox. */
    public SandboxView resume(String id) {
        return pauseOrResume(id, SandboxCommand.RESUME, SandboxState.READY, "resumed");
    }

    private SandboxView pauseOrResume(String id, SandboxCommand command, SandboxState to, String action) {
        SandboxRow row = find(id);
        ReentrantLock lock = lockOf(row.uid());
        long seq;
        lock.lock();
        try {
            SandboxRow current = store.findSandboxByUid(row.uid()).orElseThrow(() -> notFound(id));
            command.check(id, SandboxState.valueOf(current.state()));
            Live l = live.get(current.uid());
            if (l == null) {
                throw new ArcboxException.FailedPrecondition("sandbox '" + id + "' has no running vm");
            }
            if (command == SandboxCommand.PAUSE) {
                l.vm.pause();
            } else {
                l.vm.resume();
                l.lastActivity = clock.instant();
            }
            seq = store.write(tx -> {
                tx.updateSandbox(current.uid(), current.generation(), r -> r.withState(to.name(), null));
                return tx.appendEvent(id, current.uid(), action, "{}");
            });
        } finally {
            lock.unlock();
        }
        events.published(seq);
        return inspectUid(row.uid());
    }

    // ------------------------------------------------------------------------------------------
    // run

    /**
     * Starts a command in a ready sandbox. The execution counts as running until it exits or its
     * connection ends; {@code onEnd} runs then.
     */
    public Execution run(String id, ExecRequest request) {
        Guest g = guestOf(id);
        SandboxSpec spec = SpecJson.read(g.row().specJson());
        ExecRequest effective = request;
        if (!spec.env().isEmpty()) {
            Map<String, String> env = new java.util.LinkedHashMap<>(spec.env());
            env.putAll(request.env());
            effective = request.withEnv(env);
        }
        Execution exec = g.agent().exec(effective, AGENT_DEADLINE);
        Live l = g.live();
        l.running.incrementAndGet();
        exec.exit().whenComplete((s, e) -> {
            l.lastActivity = clock.instant();
            l.running.decrementAndGet();
        });
        return exec;
    }

    /**
     * The guest agent of a ready sandbox, for attach, executions, wait, signal and file calls. Every
     * guest access (this and {@link #run}) goes through one check, so state rules, activity and
     * wake-ups live in one place.
     */
    public AgentClient guest(String id) {
        return guestOf(id).agent();
    }

    /** What a guest access needs: the one place that checks state and reaches the agent. */
    private Guest guestOf(String id) {
        awaken(id);
        SandboxRow row = find(id);
        SandboxCommand.RUN.check(id, SandboxState.valueOf(row.state()));
        Live l = live.get(row.uid());
        if (l == null) {
            throw new ArcboxException.FailedPrecondition("sandbox '" + id + "' has no running vm");
        }
        return new Guest(row, l, agentOf(l));
    }

    private record Guest(SandboxRow row, Live live, AgentClient agent) {}

    /**
     * The one entry of every guest call (Run, Exec, files): records the sandbox's activity and, when
     * the idle policy put it to sleep, wakes it — resumes one paused for idleness, boots one stopped
     * for idleness again and waits until it is ready. Other states are left to the caller's check.
     *
     * @throws ArcboxException.NotFound when the sandbox does not exist
     */
    public void awaken(String id) {
        idleness.awaken(find(id));
    }

    /** The VM's agent client, counting a new connection after an earlier one closed as a reconnect. */
    AgentClient agentOf(Live l) {
        AgentClient client = l.vm.agent(AGENT_DEADLINE);
        AgentClient before = l.agent;
        if (before != client) {
            l.agent = client;
            if (before != null) {
                telemetry.agentReconnected();
            }
        }
        return client;
    }

    /** What core counts and times, for the daemon's metrics. */
    public Telemetry telemetry() {
        return telemetry;
    }

    /**
     * The console log of a sandbox: what it retained, and new output as the guest writes it. Closed
     * once the sandbox is removed.
     */
    public ConsoleLog console(String id) {
        return consoleOf(find(id).uid());
    }

    ConsoleLog consoleOf(String uid) {
        return consoles.computeIfAbsent(uid, u -> ConsoleLog.open(planner.dirOf(u).resolve(VmPlanner.CONSOLE),
                config.limits().consoleLogMaxBytes()));
    }

    /** Bytes all sandboxes' console logs keep on disk. */
    public long consoleLogBytes() {
        long total = 0;
        for (SandboxRow row : store.listSandboxes(SandboxFilter.ALL)) {
            total += ConsoleLog.bytesOnDisk(planner.dirOf(row.uid()).resolve(VmPlanner.CONSOLE));
        }
        return total;
    }

    // ------------------------------------------------------------------------------------------
    // reads

    public SandboxView inspect(String id) {
        return view(find(id));
    }

    public List<SandboxView> list(Set<SandboxState> states, Map<String, String> labels) {
        Set<String> names = new java.util.HashSet<>();
        states.forEach(s -> names.add(s.name()));
        return store.listSandboxes(new SandboxFilter(names, labels)).stream().map(this::view).toList();
    }

    /** Host bytes allocated by all sandboxes' writable disks, for system info. */
    public long diskBytes() {
        long total = 0;
        for (SandboxRow row : store.listSandboxes(SandboxFilter.ALL)) {
            total += dev.arcbox.core.fs.DiskUsage.allocatedBytes(planner.dirOf(row.uid()).resolve(VmPlanner.DISK));
        }
        return total;
    }

    /** Sandboxes by state, for system info. */
    public Map<String, Integer> countByState() {
        Map<String, Integer> counts = new java.util.TreeMap<>();
        for (SandboxRow row : store.listSandboxes(SandboxFilter.ALL)) {
            counts.merge(view(row).displayState(), 1, Integer::sum);
        }
        return counts;
    }

    SandboxView inspectUid(String uid) {
        return view(store.findSandboxByUid(uid).orElseThrow(() -> new ArcboxException.NotFound("sandbox uid " + uid)));
    }

    /** The outcome of a boot the caller waits for; NotFound when the sandbox was removed meanwhile. */
    private static SandboxView settled(CompletableFuture<SandboxView> boot, String id) {
        SandboxView view = boot.join();
        if (view == null) {
            throw new ArcboxException.NotFound("sandbox '" + id + "' was removed while it booted");
        }
        return view;
    }

    private SandboxView inspectUidOrNull(String uid) {
        return store.findSandboxByUid(uid).map(this::view).orElse(null);
    }

    private SandboxView view(SandboxRow row) {
        SandboxSpec spec = SpecJson.read(row.specJson());
        Live l = live.get(row.uid());
        return new SandboxView(row.id(), row.uid(), SandboxState.valueOf(row.state()), l == null ? 0 : l.running.get(),
                row.labels(), spec.vcpus(), spec.memoryMib(), spec.network().token(), row.resources().ip(),
                row.createdAt(), l == null ? null : l.readyAt, l == null ? null : l.bootTime, row.ttlDeadline(),
                row.reason(), row.generation(), driver.id(), row.vm() == null ? 0 : row.vm().pid(),
                spec.egress(), spec.portForwards(),
                row.resources().ip() == null ? null : store.leaseOf(row.uid()).map(lease -> lease.mac()).orElse(null),
                row.resources().ip() == null ? null : config.network().gateway(),
                ConsoleLog.bytesOnDisk(planner.dirOf(row.uid()).resolve(VmPlanner.CONSOLE)),
                spec.idleTimeout().orElse(null), spec.idleAction(), l == null ? null : l.activeAt(),
                l == null ? "" : cgroups.pathOf(row.uid()),
                dev.arcbox.core.fs.DiskUsage.allocatedBytes(planner.dirOf(row.uid()).resolve(VmPlanner.DISK)),
                planner.diskBytes(spec), l == null ? Map.of() : l.vm.vmmMetrics());
    }

    private SandboxRow find(String id) {
        if (id == null || id.isEmpty()) {
            throw new ArcboxException.InvalidArgument("id: must not be empty");
        }
        return store.findSandboxById(id).orElseThrow(() -> notFound(id));
    }

    private static ArcboxException.NotFound notFound(String id) {
        return new ArcboxException.NotFound("sandbox '" + id + "' not found");
    }

    // ------------------------------------------------------------------------------------------
    // transitions

    ReentrantLock lockOf(String uid) {
        return locks.computeIfAbsent(uid, u -> new ReentrantLock());
    }

    /** Applies {@code change} under the sandbox's lock; false when the sandbox is gone. */
    boolean mutate(String uid, java.util.function.UnaryOperator<SandboxRow> change) {
        ReentrantLock lock = lockOf(uid);
        lock.lock();
        try {
            Optional<SandboxRow> row = store.findSandboxByUid(uid);
            if (row.isEmpty()) {
                return false;
            }
            store.updateSandbox(uid, row.get().generation(), change);
            return true;
        } finally {
            lock.unlock();
        }
    }

    private void mutateOrThrow(String uid, java.util.function.UnaryOperator<SandboxRow> change) {
        if (!mutate(uid, change)) {
            throw new ArcboxException.NotFound("sandbox uid " + uid + " not found");
        }
    }

    /** Moves {@code from} → {@code to} with an event; a no-op when the state moved on meanwhile. */
    void transition(String uid, SandboxState from, SandboxState to, String reason, String action, String data) {
        ReentrantLock lock = lockOf(uid);
        long seq;
        lock.lock();
        try {
            Optional<SandboxRow> row = store.findSandboxByUid(uid);
            if (row.isEmpty() || !row.get().state().equals(from.name())) {
                return;
            }
            SandboxRow r = row.get();
            seq = store.write(tx -> {
                tx.updateSandbox(uid, r.generation(), x -> x.withState(to.name(), reason));
                return tx.appendEvent(r.id(), uid, action, data);
            });
        } finally {
            lock.unlock();
        }
        events.published(seq);
    }

    /** Marks a sandbox failed with a reason and releases its VM and run directory. */
    void fail(String uid, String reason) {
        LOG.log(System.Logger.Level.WARNING, "sandbox " + uid + " failed: " + reason);
        Live l = live.remove(uid);
        if (l != null) {
            l.expectedExit = true;
            try {
                l.vm.stop(Duration.ofSeconds(2));
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "sandbox " + uid + ": stopping after failure: " + e.getMessage());
            }
        }
        try {
            driver.discard(uid, planner.dirOf(uid).resolve(VmPlanner.RUN));
        } catch (ArcboxException e) {
            LOG.log(System.Logger.Level.WARNING, "sandbox " + uid + ": discarding its vm after failure: " + e.getMessage());
        }
        cgroups.remove(uid);
        try {
            network.unplug(uid);
        } catch (ArcboxException e) {
            LOG.log(System.Logger.Level.WARNING, "sandbox " + uid + ": removing its TAP after failure: " + e.getMessage());
        }
        ReentrantLock lock = lockOf(uid);
        long seq;
        lock.lock();
        try {
            Optional<SandboxRow> row = store.findSandboxByUid(uid);
            if (row.isEmpty() || row.get().state().equals(SandboxState.STOPPED.name())) {
                return;
            }
            SandboxRow r = row.get();
            String data = "{\"reason\":" + Json.quote(reason) + "}";
            seq = store.write(tx -> {
                tx.updateSandbox(uid, r.generation(), x -> x.withState(SandboxState.FAILED.name(), reason).withVm(null));
                return tx.appendEvent(r.id(), uid, "failed", data);
            });
        } finally {
            lock.unlock();
        }
        events.published(seq);
    }

    /** Removes sandboxes whose TTL passed. */
    private void expire() {
        try {
            Instant now = clock.instant();
            for (SandboxRow row : store.listSandboxes(SandboxFilter.ALL)) {
                if (row.ttlDeadline() != null && row.ttlDeadline().isBefore(now)) {
                    try {
                        remove(row.id(), true);
                        events.emit(row.id(), row.uid(), "expired", "{}");
                    } catch (ArcboxException e) {
                        LOG.log(System.Logger.Level.INFO, "ttl of " + row.id() + ": " + e.getMessage());
                    }
                }
            }
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "ttl sweep: " + e.getMessage());
        }
    }

    // accessors for Recovery and Snapshots
    Store store() {
        return store;
    }

    Map<String, Live> live() {
        return live;
    }

    VmPlanner planner() {
        return planner;
    }

    DaemonConfig config() {
        return config;
    }

    Clock clock() {
        return clock;
    }

    Semaphore boots() {
        return boots;
    }

    ReentrantLock admissionLock() {
        return admission;
    }

    SandboxRow findRow(String id) {
        return find(id);
    }

    /** Admission of {@code count} more sandboxes shaped like {@code spec}; call under the admission lock. */
    void admitMore(SandboxSpec spec, int count) {
        List<SandboxRow> all = store.listSandboxes(SandboxFilter.ALL);
        if (all.size() + count > config.limits().maxSandboxes()) {
            throw new ArcboxException.ResourceExhausted("limits.max_sandboxes: " + all.size() + " of "
                    + config.limits().maxSandboxes() + " sandboxes exist, " + count + " more asked for");
        }
        long available = HostMemory.availableMib();
        long needed = (long) spec.memoryMib() * count + config.limits().memoryHeadroomMib();
        if (available > 0 && needed > available) {
            throw new ArcboxException.ResourceExhausted("memory_mib: " + count + " x " + spec.memoryMib()
                    + " MiB asked for, " + available + " MiB available with " + config.limits().memoryHeadroomMib()
                    + " MiB kept as headroom");
        }
    }

    /**
     * Takes charge of a running VM (booted, restored or re-attached): watches its exit, drains its
     * console into the sandbox's console log and applies the sandbox's idle policy.
     */
    Live adopt(String uid, RunningVm vm) {
        Live l = new Live(vm);
        l.lastActivity = clock.instant();
        store.findSandboxByUid(uid).map(r -> SpecJson.read(r.specJson())).ifPresent(spec -> {
            l.idleTimeout = spec.idleTimeout().orElse(null);
            l.idleAction = spec.idleAction();
        });
        live.put(uid, l);
        watch(uid, l);
        ConsoleDrain.start(uid, vm, consoleOf(uid));
        return l;
    }

    Map<String, CompletableFuture<SandboxView>> booting() {
        return booting;
    }

    CompletableFuture<SandboxView> bootLater(String uid) {
        return bootAsync(uid);
    }

    /** Leaves every VM running (they are detached) and stops the timers. */
    @Override
    public void close() {
        timers.shutdownNow();
        live.values().forEach(l -> l.vm.disconnectAgent());
    }
}
