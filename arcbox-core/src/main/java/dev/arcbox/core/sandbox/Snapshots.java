package dev.arcbox.core.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.arcbox.core.ArcboxException;
import dev.arcbox.core.agent.AgentClient;
import dev.arcbox.core.driver.RestorePlan;
import dev.arcbox.core.driver.RunningVm;
import dev.arcbox.core.driver.SnapshotFiles;
import dev.arcbox.core.driver.SnapshotKind;
import dev.arcbox.core.driver.SnapshotManifest;
import dev.arcbox.core.fs.FileTree;
import dev.arcbox.core.spec.SandboxSpec;
import dev.arcbox.core.spec.SpecValidator;
import dev.arcbox.core.store.NewSandbox;
import dev.arcbox.core.store.NewSnapshot;
import dev.arcbox.core.store.Operation;
import dev.arcbox.core.store.OwnedResources;
import dev.arcbox.core.store.SandboxRow;
import dev.arcbox.core.store.SnapshotFilter;
import dev.arcbox.core.store.SnapshotRow;
import dev.arcbox.core.store.SnapshotState;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Checkpoints as the product's: durable, named, published atomically, restored and forked into
 * new sandboxes. A snapshot lives in {@code <data>/snapshots/<id>/}: the driver's files (see
 * {@link SnapshotManifest}) and {@code manifest.json} (origin, spec, name, labels). It is staged
 * in {@code .staging-<id>} and renamed into place only when complete, so a crash leaves a whole
 * snapshot or none; startup discards staging directories.
 */
public final class Snapshots {

    static final String MANIFEST = "manifest.json";
    /** In a restored sandbox's directory: the snapshot whose memory its VM maps. */
    static final String RESTORED_FROM = "restored-from";
    /** The journal's kind for one clone's restore; {@link Recovery} rolls an interrupted one back. */
    static final String RESTORE_OPERATION = "restore";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Duration AGENT_DEADLINE = Duration.ofSeconds(60);

    private final SandboxService sandboxes;
    private final SnapshotQuota quota;

    Snapshots(SandboxService sandboxes) {
        this.sandboxes = sandboxes;
        this.quota = new SnapshotQuota(sandboxes.config().limits().snapshotQuotaBytes(), () -> usage()[1]);
    }

    private Path dir() {
        return sandboxes.config().dataDir().resolve("snapshots");
    }

    // ------------------------------------------------------------------------------------------
    // checkpoint

    /**
     * Snapshots a ready or paused sandbox. Executions running at checkpoint time are included
     * (a restore reports them in its agent's HELLO). The origin keeps running unless {@code stop}.
     */
    public SnapshotView checkpoint(String sandboxId, String name, Map<String, String> labels, boolean stop) {
        SpecValidator.validateLabels(labels);
        SandboxRow row = sandboxes.findRow(sandboxId);
        SandboxCommand.CHECKPOINT.check(sandboxId, SandboxState.valueOf(row.state()));
        Live l = sandboxes.live().get(row.uid());
        if (l == null) {
            throw new ArcboxException.FailedPrecondition("sandbox '" + sandboxId + "' has no running vm");
        }
        l.lastActivity = sandboxes.clock().instant();
        try (SnapshotQuota.Reservation _ = quota.reserve(
                SnapshotQuota.bound(SpecJson.read(row.specJson()), sandboxes.planner().dirOf(row.uid())), sandboxId)) {
            return checkpoint(sandboxId, name, labels, stop, row, l);
        }
    }

    private SnapshotView checkpoint(String sandboxId, String name, Map<String, String> labels, boolean stop,
            SandboxRow row, Live l) {
        String id = "snap-" + HexFormat.of().formatHex(RANDOM.generateSeed(4));
        String shown = name == null || name.isBlank() ? id : name;
        Path staging = dir().resolve(".staging-" + id);
        Path target = dir().resolve(id);
        long started = System.nanoTime();
        long[] seq = {0};
        Operation op = sandboxes.store().journal().begin("checkpoint", row.uid());
        try {
            Files.createDirectories(staging);
            SandboxSpec spec = SpecJson.read(row.specJson());
            op.step("capture", () -> {
                SnapshotFiles files = l.vm.snapshot(staging, SnapshotKind.FULL, stop);
                writeManifest(staging, id, shown, row, spec, labels, files);
                return null;
            });
            op.step("publish", () -> {
                fsync(staging);
                try {
                    Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
                } catch (IOException e) {
                    throw new ArcboxException.HostFailure("publishing snapshot " + id + ": " + e.getMessage(), e);
                }
                fsync(dir());
                return null;
            });
            long size = allocatedBytes(target);
            String manifest = Files.readString(target.resolve(MANIFEST));
            op.complete(tx -> {
                tx.insertSnapshot(new NewSnapshot(id, shown, row.uid(), null, manifest, size, labels));
                tx.publishSnapshot(id, manifest, size);
                seq[0] = tx.appendEvent(row.id(), row.uid(), "checkpoint", "{\"snapshot\":\"" + id + "\",\"ms\":"
                        + (System.nanoTime() - started) / 1_000_000 + "}");
            });
        } catch (IOException | RuntimeException e) {
            FileTree.delete(staging);
            op.fail(String.valueOf(e.getMessage()));
            if (noSpace(e)) {
                throw new ArcboxException.ResourceExhausted("checkpoint of " + sandboxId + ": no space left on the"
                        + " device of " + dir() + " (nothing was kept): " + e.getMessage());
            }
            if (e instanceof ArcboxException ae) {
                throw ae;
            }
            throw new ArcboxException.HostFailure("checkpoint of " + sandboxId + ": " + e.getMessage(), e);
        }
        sandboxes.events().published(seq[0]);
        if (stop) {
            sandboxes.stop(sandboxId, Duration.ofSeconds(10));
        }
        return inspect(id);
    }

    /** Whether a failure was the disk filling up (ENOSPC, as the JDK or QEMU words it), anywhere in its causes. */
    static boolean noSpace(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            String m = String.valueOf(t.getMessage());
            if (m.contains("No space left on device") || m.contains("ENOSPC")) {
                return true;
            }
            for (Throwable s : t.getSuppressed()) {
                if (noSpace(s)) {
                    return true;
                }
            }
        }
        return false;
    }

    private static void writeManifest(Path dir, String id, String name, SandboxRow origin, SandboxSpec spec,
            Map<String, String> labels, SnapshotFiles files) {
        ObjectNode m = JSON.createObjectNode();
        m.put("format", 1);
        m.put("id", id);
        m.put("name", name);
        m.put("origin_id", origin.id());
        m.put("origin_uid", origin.uid());
        m.put("driver", files.driver());
        m.put("vmm_version", files.vmmVersion());
        m.put("kind", files.kind().name());
        m.put("memory_format", files.memoryFormat().name());
        m.putNull("parent");
        m.set("labels", JSON.valueToTree(labels));
        m.set("asset_hashes", JSON.valueToTree(files.assetHashes()));
        m.put("created_at", Instant.now().toString());
        try {
            m.set("spec", JSON.readTree(SpecJson.write(spec)));
            Files.write(dir.resolve(MANIFEST), JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(m));
        } catch (IOException e) {
            throw new ArcboxException.HostFailure("writing manifest of snapshot " + id + ": " + e.getMessage(), e);
        }
    }

    // ------------------------------------------------------------------------------------------
    // restore and fork

    /**
     * New sandboxes from a snapshot, each with its own id, uid, disk copy and (later) network
     * identity; ready only after the agent resynced clock and entropy. {@code count} > 1 is a fork:
     * admission is checked for all of them up front, and if one fails every clone is removed.
     */
    public List<SandboxView> restore(String snapshotId, String newId, int count, Map<String, String> labels,
            Optional<Duration> ttl) {
        if (count < 1 || count > 64) {
            throw new ArcboxException.InvalidArgument("count: must be 1-64, got " + count);
        }
        SnapshotRow row = published(snapshotId);
        Path dir = dir().resolve(row.id());
        SnapshotFiles files = SnapshotManifest.read(dir);
        SandboxSpec origin = originSpec(dir);
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String base = newId == null || newId.isEmpty() ? "sbx-" + HexFormat.of().formatHex(RANDOM.generateSeed(4)) : newId;
            ids.add(count == 1 || newId == null || newId.isEmpty() ? base : newId + "-" + i);
        }
        Map<String, String> merged = new java.util.HashMap<>(origin.labels());
        merged.putAll(labels);
        List<String> uids = new ArrayList<>();
        Map<String, Operation> ops = new java.util.HashMap<>();
        sandboxes.admissionLock().lock();
        try {
            sandboxes.admitMore(origin, count);
            sandboxes.admitAddresses(origin, count);
            for (String id : ids) {
                // a clone takes no port forwards: the origin's host ports stay the origin's
                SandboxSpec spec = sandboxes.validate(origin.toBuilder().id(id).labels(merged).ttl(ttl.or(origin::ttl))
                        .portForwards(List.of()).build());
                if (sandboxes.store().findSandboxById(id).isPresent()) {
                    throw new ArcboxException.AlreadyExists("sandbox '" + id + "' exists already");
                }
                String uid = SandboxRow.randomUid();
                Instant deadline = spec.ttl().map(d -> sandboxes.clock().instant().plus(d)).orElse(null);
                // the clone's row and its journaled restore commit together: a crash from here on
                // leaves an operation that recovery rolls back
                long[] seq = {0};
                ops.put(uid, sandboxes.store().journal().begin(RESTORE_OPERATION, uid, tx -> {
                    tx.insertSandbox(new NewSandbox(uid, id, SpecJson.write(spec), SandboxState.STARTING.name(),
                            spec.labels(), deadline, null,
                            new OwnedResources(null, null, List.of(), List.of(sandboxes.planner().dirOf(uid)))));
                    seq[0] = tx.appendEvent(id, uid, "created", "{\"snapshot\":\"" + row.id() + "\"}");
                }));
                sandboxes.events().published(seq[0]);
                uids.add(uid);
            }
        } catch (RuntimeException e) {
            uids.forEach(u -> sandboxes.store().findSandboxByUid(u).ifPresent(r -> sandboxes.remove(r.id(), true)));
            ops.values().forEach(op -> op.rolledBack("admission: " + e.getMessage()));
            throw e;
        } finally {
            sandboxes.admissionLock().unlock();
        }
        List<SandboxView> views = new ArrayList<>();
        RuntimeException failure = null;
        long forkStarted = System.nanoTime();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<SandboxView>> clones = new ArrayList<>();
            for (String uid : uids) {
                clones.add(pool.submit(() -> journaled(ops.get(uid), () -> restoreOne(uid, ops.get(uid), row.id(), dir, files))));
            }
            for (Future<SandboxView> f : clones) {
                try {
                    views.add(f.get());
                } catch (java.util.concurrent.ExecutionException e) {
                    if (failure == null) {
                        failure = e.getCause() instanceof RuntimeException re ? re
                                : new ArcboxException.HostFailure("restore: " + e.getCause(), e.getCause());
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    failure = new ArcboxException.Unavailable("restore interrupted", e);
                }
            }
        }
        if (failure != null) {
            for (String uid : uids) {
                sandboxes.store().findSandboxByUid(uid).ifPresent(r -> sandboxes.remove(r.id(), true));
            }
            throw failure;
        }
        if (count > 1) {
            sandboxes.telemetry().latency(dev.arcbox.core.metrics.Telemetry.Latency.FORK,
                    Duration.ofNanos(System.nanoTime() - forkStarted));
        }
        return views;
    }

    /** Runs one clone's restore, closing its journaled operation: done, or failed with the reason. */
    private static SandboxView journaled(Operation op, java.util.concurrent.Callable<SandboxView> restore)
            throws Exception {
        try {
            SandboxView view = restore.call();
            op.complete();
            return view;
        } catch (Exception e) {
            op.fail(String.valueOf(e.getMessage()));
            throw e;
        }
    }

    private SandboxView restoreOne(String uid, Operation op, String snapshotId, Path snapshotDir, SnapshotFiles files) {
        SandboxRow row = sandboxes.store().findSandboxByUid(uid).orElseThrow();
        SandboxSpec spec = SpecJson.read(row.specJson());
        Path dir = sandboxes.planner().dirOf(uid);
        op.step("copy-disk", () -> {
            try {
                Files.createDirectories(dir);
                Files.writeString(dir.resolve(RESTORED_FROM), snapshotId);
                if (files.writableDisk().isPresent()) {
                    FileTree.sparseCopy(files.writableDisk().get(), dir.resolve(VmPlanner.DISK));
                }
            } catch (IOException e) {
                throw new ArcboxException.HostFailure("clone " + row.id() + ": " + e.getMessage(), e);
            }
            return null;
        });
        long started = System.nanoTime();
        RunningVm vm;
        try {
            sandboxes.boots().acquire();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ArcboxException.Unavailable("restore of " + row.id() + " interrupted", e);
        }
        try {
            // a clone's TAP stays down until its agent took the clone's own identity
            vm = sandboxes.driver().restore(new RestorePlan(sandboxes.plan(uid, spec, false), files));
        } catch (RuntimeException e) {
            sandboxes.fail(uid, "restoring from " + snapshotId + ": " + e.getMessage());
            throw e;
        } finally {
            sandboxes.boots().release();
        }
        sandboxes.adopt(uid, vm);
        op.record("spawned", tx -> {
            tx.findSandboxByUid(uid).ifPresent(r -> tx.updateSandbox(uid, r.generation(), x -> x.withVm(vm.record())));
            return Long.toString(vm.pid());
        });
        AgentClient agent = vm.agent(AGENT_DEADLINE);
        op.step("resync", () -> {
            byte[] entropy = new byte[64];
            RANDOM.nextBytes(entropy);
            agent.resync(Instant.now(), entropy, AGENT_DEADLINE);
            if (spec.network() == dev.arcbox.core.spec.NetworkMode.TAP) {
                var lease = sandboxes.store().leaseOf(uid).orElseThrow();
                agent.netConfig(sandboxes.network().identity(lease, VmPlanner.hostname(spec.id())), AGENT_DEADLINE);
                sandboxes.network().up(uid);
            }
            return null;
        });
        Live l = sandboxes.live().get(uid);
        l.readyAt = sandboxes.clock().instant();
        l.bootTime = Duration.ofNanos(System.nanoTime() - started);
        sandboxes.telemetry().latency(dev.arcbox.core.metrics.Telemetry.Latency.RESTORE, l.bootTime);
        // executions that ran at checkpoint time live on in the guest, but no client can follow them
        int lost = agent.hello().execIds().size();
        sandboxes.transition(uid, SandboxState.STARTING, SandboxState.READY, null, "ready",
                "{\"restored_ms\":" + l.bootTime.toMillis() + ",\"snapshot\":\"" + snapshotId
                        + "\",\"lost_executions\":" + lost + "}");
        return sandboxes.inspectUid(uid);
    }

    private SandboxSpec originSpec(Path dir) {
        try {
            JsonNode m = JSON.readTree(Files.readString(dir.resolve(MANIFEST)));
            return SpecJson.read(m.path("spec").toString());
        } catch (IOException e) {
            throw new ArcboxException.FailedPrecondition("snapshot " + dir + ": unreadable manifest: " + e.getMessage());
        }
    }

    // ------------------------------------------------------------------------------------------
    // catalog

    public List<SnapshotView> list(String sandboxId, Map<String, String> labels) {
        String uid = null;
        if (sandboxId != null && !sandboxId.isEmpty()) {
            uid = sandboxes.findRow(sandboxId).uid();
        }
        return sandboxes.store().listSnapshots(new SnapshotFilter(null, uid, SnapshotState.PUBLISHED, labels))
                .stream().map(this::view).toList();
    }

    public SnapshotView inspect(String id) {
        return view(published(id));
    }

    /** Deletes a snapshot no live sandbox maps; FailedPrecondition listing them otherwise. */
    public void delete(String id) {
        SnapshotRow row = published(id);
        List<String> users = usedBy(row.id());
        if (!users.isEmpty()) {
            throw new ArcboxException.FailedPrecondition("snapshot " + id + " is in use by running sandboxes "
                    + String.join(", ", users) + ": remove or stop them first");
        }
        sandboxes.store().deleteSnapshot(row.id());
        FileTree.delete(dir().resolve(row.id()));
    }

    /**
     * Deletes the published snapshots older than {@code olderThan} (zero: any age) carrying all of
     * {@code labels}, except those live sandboxes still map; a dry run deletes nothing.
     */
    public SnapshotPrune prune(Duration olderThan, Map<String, String> labels, boolean dryRun) {
        if (olderThan.isNegative()) {
            throw new ArcboxException.InvalidArgument("older_than_seconds: must not be negative");
        }
        Instant now = sandboxes.clock().instant();
        List<String> deleted = new ArrayList<>();
        List<String> skipped = new ArrayList<>();
        long freed = 0;
        for (SnapshotRow row : sandboxes.store().listSnapshots(SnapshotFilter.inState(SnapshotState.PUBLISHED))) {
            if (!SnapshotPrune.matches(row.createdAt(), row.labels(), now, olderThan, labels)) {
                continue;
            }
            if (!usedBy(row.id()).isEmpty()) {
                skipped.add(row.id());
                continue;
            }
            if (!dryRun) {
                sandboxes.store().deleteSnapshot(row.id());
                FileTree.delete(dir().resolve(row.id()));
            }
            deleted.add(row.id());
            freed += row.sizeBytes();
        }
        return new SnapshotPrune(deleted, skipped, freed);
    }

    /** Number of published snapshots and the host bytes they take. */
    public long[] usage() {
        long bytes = 0;
        List<SnapshotRow> rows = sandboxes.store().listSnapshots(SnapshotFilter.inState(SnapshotState.PUBLISHED));
        for (SnapshotRow r : rows) {
            bytes += r.sizeBytes();
        }
        return new long[] {rows.size(), bytes};
    }

    private SnapshotRow published(String id) {
        if (id == null || id.isEmpty()) {
            throw new ArcboxException.InvalidArgument("snapshot_id: must not be empty");
        }
        return sandboxes.store().findSnapshot(id).filter(r -> r.state() == SnapshotState.PUBLISHED)
                .orElseThrow(() -> new ArcboxException.NotFound("snapshot '" + id + "' not found"));
    }

    private SnapshotView view(SnapshotRow row) {
        Path dir = dir().resolve(row.id());
        String origin = "";
        try {
            origin = JSON.readTree(row.manifestJson()).path("origin_id").asText("");
        } catch (IOException e) {
            origin = "";
        }
        return new SnapshotView(row.id(), row.name(), origin, row.labels(), row.createdAt(), row.sizeBytes(),
                SnapshotManifest.read(dir), usedBy(row.id()));
    }

    /** Ids of live sandboxes restored from {@code snapshotId} (their VMs may map its memory). */
    private List<String> usedBy(String snapshotId) {
        List<String> users = new ArrayList<>();
        for (String uid : sandboxes.live().keySet()) {
            Path marker = sandboxes.planner().dirOf(uid).resolve(RESTORED_FROM);
            try {
                if (Files.exists(marker) && Files.readString(marker).strip().equals(snapshotId)) {
                    sandboxes.store().findSandboxByUid(uid).ifPresent(r -> users.add(r.id()));
                }
            } catch (IOException e) {
                users.add(uid);
            }
        }
        return users;
    }

    // ------------------------------------------------------------------------------------------
    // crash safety

    /**
     * After a restart: staging directories of interrupted checkpoints are discarded (a snapshot is
     * whole or absent), staged rows dropped, snapshot directories the catalog does not hold (published
     * just before a crash kept them out of it) removed, and origins left paused mid-checkpoint resumed.
     */
    void recover() {
        for (SnapshotRow staged : sandboxes.store().listSnapshots(SnapshotFilter.inState(SnapshotState.STAGED))) {
            sandboxes.store().deleteSnapshot(staged.id());
        }
        try {
            if (Files.isDirectory(dir())) {
                try (var list = Files.list(dir())) {
                    for (Path p : list.toList()) {
                        String name = p.getFileName().toString();
                        // staging of an interrupted checkpoint, or one published just before a crash
                        // kept it from the catalog: rolled back either way (its client got no id)
                        if (name.startsWith(".staging-") || sandboxes.store().findSnapshot(name).isEmpty()) {
                            FileTree.delete(p);
                        }
                    }
                }
            }
        } catch (IOException e) {
            throw new ArcboxException.HostFailure("sweeping snapshot staging: " + e.getMessage(), e);
        }
        sandboxes.live().forEach((uid, l) -> sandboxes.store().findSandboxByUid(uid)
                .filter(r -> r.state().equals(SandboxState.READY.name()))
                .ifPresent(r -> l.vm.resume()));
    }

    private static void fsync(Path dir) {
        try (var ch = java.nio.channels.FileChannel.open(dir, java.nio.file.StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            throw new ArcboxException.HostFailure("fsync " + dir + ": " + e.getMessage(), e);
        }
    }

    /** Host bytes a tree takes (allocated blocks: sparse memory and disk files count what they use). */
    static long allocatedBytes(Path dir) {
        try {
            Process du = new ProcessBuilder("du", "-s", "--block-size=1", dir.toString()).redirectErrorStream(true).start();
            String out = new String(du.getInputStream().readNBytes(4096), java.nio.charset.StandardCharsets.UTF_8);
            if (!du.waitFor(60, TimeUnit.SECONDS) || du.exitValue() != 0) {
                return 0;
            }
            return Long.parseLong(out.split("\\s+")[0]);
        } catch (IOException | NumberFormatException e) {
            return 0;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 0;
        }
    }
}
