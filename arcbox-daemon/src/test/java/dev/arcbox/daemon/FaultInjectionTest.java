package dev.arcbox.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import dev.arcbox.api.v1.CheckpointRequest;
import dev.arcbox.api.v1.CreateSandboxRequest;
import dev.arcbox.api.v1.DeleteSnapshotRequest;
import dev.arcbox.api.v1.InspectSandboxRequest;
import dev.arcbox.api.v1.ListSandboxesRequest;
import dev.arcbox.api.v1.ListSnapshotsRequest;
import dev.arcbox.api.v1.NetworkSpec;
import dev.arcbox.api.v1.RemoveSandboxRequest;
import dev.arcbox.api.v1.ResourceLimits;
import dev.arcbox.api.v1.RestoreRequest;
import dev.arcbox.api.v1.SandboxInfo;
import dev.arcbox.api.v1.SnapshotServiceGrpc;
import dev.arcbox.api.v1.StopSandboxRequest;
import dev.arcbox.core.fs.FileTree;
import dev.arcbox.core.proc.ProcessIdentity;
import dev.arcbox.core.testing.TestRun;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * Fault injection: a seeded random sequence of operations (create, run, checkpoint, restore, fork,
 * stop, remove) where every cycle ends with the daemon dying — halted at a named crash point of the
 * operation journal, SIGKILLed (by its pid) while the operation runs, or SIGKILLed after it — and
 * starting again. After every restart each record must match reality and nothing may be left that
 * no record owns (docs/reliability.md lists the rules this checks). The seed is printed; rerun one
 * with {@code -Darcbox.fault.seed=N} (and {@code -Darcbox.fault.cycles=N}).
 */
@Tag("vm")
@Tag("fault")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 12, unit = TimeUnit.MINUTES)
class FaultInjectionTest {

    private static final int MAX_VMS = 3;
    private static final Pattern TAP = Pattern.compile("\\babx[a-z0-9]{8}\\b");

    /** Crash points of the journal, each with the operation that reaches it. */
    private static final Map<String, Op> CRASH_POINTS = Map.ofEntries(
            Map.entry("checkpoint.capture.before", Op.CHECKPOINT),
            Map.entry("checkpoint.capture.after", Op.CHECKPOINT),
            Map.entry("checkpoint.publish.before", Op.CHECKPOINT),
            Map.entry("checkpoint.publish.after", Op.CHECKPOINT),
            Map.entry("restore.copy-disk.before", Op.RESTORE),
            Map.entry("restore.copy-disk.after", Op.RESTORE),
            Map.entry("restore.spawned.before", Op.RESTORE),
            Map.entry("restore.spawned.after", Op.FORK),
            Map.entry("restore.resync.before", Op.FORK),
            Map.entry("restore.resync.after", Op.RESTORE),
            Map.entry("boot.spawned.before", Op.BOOT),
            Map.entry("boot.spawned.after", Op.BOOT));

    enum Op { CREATE, BOOT, RUN, CHECKPOINT, RESTORE, FORK, STOP, REMOVE }

    enum Fault { CRASH_POINT, KILL_DURING, KILL_AFTER }

    private final long seed = Long.getLong("arcbox.fault.seed", new SecureRandom().nextLong());
    private final int cycles = Integer.getInteger("arcbox.fault.cycles", 30);
    private final Random random = new Random(seed);
    private Path ramDir;
    private Path crashFile;
    private DaemonProcess daemon;
    private String golden;
    private int seq;

    /** What the test knows: sandbox id → "ready" | "stopped"; snapshots besides the golden one. */
    private final Map<String, String> model = new HashMap<>();
    private final Set<String> tapSandboxes = new HashSet<>();
    private final List<String> extraSnapshots = new ArrayList<>();
    private final Map<String, Integer> tally = new java.util.TreeMap<>();

    @BeforeAll
    void start() throws Exception {
        TestRun.assumeQemuHost();
        System.out.println("FaultInjectionTest: seed " + seed + " (-Darcbox.fault.seed=" + seed + "), " + cycles + " cycles");
        ramDir = Path.of("/dev/shm/abx-test-" + TestRun.id() + "-fault");
        String netns = DaemonProcess.netns("f");
        daemon = new DaemonProcess("fault-" + TestRun.id(), netns, "", ramDir);
        crashFile = daemon.dataDir.resolve("crash-at");
        Files.writeString(crashFile, "");
        // C1 only: a daemon that restarts every cycle gains more from a fast start than from peak speed
        daemon.jvmArg("-D" + Arcboxd.CRASH_AT_FILE + "=" + crashFile).jvmArg("-XX:TieredStopAtLevel=1").start();
        String base = id("base");
        daemon.sandboxes().create(sandbox(base).setWait(true).build());
        golden = snapshots().checkpoint(CheckpointRequest.newBuilder().setSandboxId(base).setName("golden").build())
                .getSnapshotId();
        daemon.sandboxes().remove(RemoveSandboxRequest.newBuilder().setId(base).setForce(true).build());
    }

    @AfterAll
    void cleanUp() throws Exception {
        if (daemon == null) {
            return;
        }
        try {
            if (!daemon.alive()) {
                Files.writeString(crashFile, "");
                daemon.start();
            }
            daemon.removeAllSandboxes();
            daemon.deleteAllSnapshots();
            assertNoOrphans();
        } finally {
            daemon.close();
            FileTree.delete(ramDir);
            System.out.println("FaultInjectionTest: seed " + seed + ", tally " + tally);
        }
    }

    @Test
    void everyCycleEndsInACrash_andAfterEachRestartRecordsMatchRealityAndNothingLeaks() throws Exception {
        List<String> points = new ArrayList<>(new TreeSet<>(CRASH_POINTS.keySet()));
        int crashes = 0;
        for (int cycle = 0; cycle < cycles; cycle++) {
            int draw = random.nextInt(10);
            Fault fault = draw < 5 ? Fault.CRASH_POINT : draw < 8 ? Fault.KILL_DURING : Fault.KILL_AFTER;
            String point = null;
            Op op;
            if (fault == Fault.CRASH_POINT) {
                // every point once before any twice (5 is prime to their count: a permutation), in a seeded order
                point = crashes < points.size()
                        ? points.get(Math.floorMod(crashes * 5 + (int) (seed & 7), points.size()))
                        : points.get(random.nextInt(points.size()));
                crashes++;
                op = CRASH_POINTS.get(point);
            } else {
                Op[] cheap = {Op.CREATE, Op.RUN, Op.CHECKPOINT, Op.RESTORE, Op.FORK, Op.STOP, Op.REMOVE};
                op = cheap[random.nextInt(cheap.length)];
            }
            String label = "cycle " + cycle + " (seed " + seed + "): " + op + " / " + fault + (point == null ? "" : " at " + point);
            System.out.println("FaultInjectionTest: " + label);
            tally.merge(fault + (point == null ? "" : " " + point), 1, Integer::sum);
            Action action = prepare(op);
            if (fault == Fault.CRASH_POINT) {
                Files.writeString(crashFile, point);
                try {
                    action.run();
                    fail(label + ": the operation finished instead of crashing at " + point);
                } catch (StatusRuntimeException expected) {
                    assertThat(expected.getStatus().getCode().name()).as(label).isEqualTo("UNAVAILABLE");
                }
                assertThat(daemon.awaitExit(Duration.ofSeconds(60))).as(label + ": exit code").isEqualTo(137);
                Files.writeString(crashFile, "");
            } else if (fault == Fault.KILL_DURING) {
                CompletableFuture<Void> call = CompletableFuture.runAsync(() -> {
                    try {
                        action.run();
                    } catch (StatusRuntimeException e) {
                        // the daemon died under it: which effects survived is checked below
                    }
                });
                Thread.sleep(random.nextInt(600)); // the fault's timing, drawn from the seed — not a synchronization
                daemon.kill();
                call.get(2, TimeUnit.MINUTES);
            } else {
                action.run();
                daemon.kill();
            }
            daemon.start();
            action.expect(fault, label);
            assertRecordsMatchReality(label);
            assertNoOrphans();
            housekeeping();
        }
        System.out.println("FaultInjectionTest: " + cycles + " cycles passed, seed " + seed + ", tally " + tally);
    }

    // ------------------------------------------------------------------------------------------
    // operations: each prepares what it needs (without a fault), then runs; expect() says what a
    // restart must show for it

    private interface Call {
        void run();
    }

    private interface Check {
        void expect(Fault fault, String label);
    }

    private record Action(Call call, Check check) {
        void run() {
            call.run();
        }

        void expect(Fault fault, String label) {
            check.expect(fault, label);
        }
    }

    private Action prepare(Op op) {
        return switch (op) {
            case CREATE -> {
                String id = id("rec");
                yield new Action(() -> {
                    daemon.sandboxes().create(sandbox(id).setNoStart(true).build());
                    model.put(id, "stopped");
                }, (fault, label) -> settle(id, label, fault == Fault.KILL_AFTER ? Set.of("stopped") : setOf("stopped", null)));
            }
            case BOOT -> {
                makeRoomForVms(1);
                String id = id("boot");
                tapSandboxes.add(id);
                yield new Action(() -> {
                    daemon.sandboxes().create(sandbox(id).setWait(true)
                            .setNetwork(NetworkSpec.newBuilder().setMode("tap")).build());
                    model.put(id, "ready");
                }, (fault, label) -> settle(id, label, Set.of("ready")));
            }
            case RUN -> {
                String id = readySandbox();
                yield new Action(() -> runEcho(id), (fault, label) -> settle(id, label, Set.of("ready")));
            }
            case CHECKPOINT -> {
                String id = readySandbox();
                int before = snapshotIds().size();
                yield new Action(() -> {
                    String snap = snapshots().checkpoint(CheckpointRequest.newBuilder().setSandboxId(id).build())
                            .getSnapshotId();
                    extraSnapshots.add(snap);
                }, (fault, label) -> {
                    settle(id, label, Set.of("ready"));
                    int after = snapshotIds().size();
                    switch (fault) {
                        case CRASH_POINT -> assertThat(after).as(label + ": an interrupted checkpoint is rolled back")
                                .isEqualTo(before);
                        case KILL_AFTER -> assertThat(after).as(label).isEqualTo(before + 1);
                        case KILL_DURING -> assertThat(after).as(label).isBetween(before, before + 1);
                    }
                    adoptUnknownSnapshots();
                });
            }
            case RESTORE, FORK -> {
                int count = op == Op.FORK ? 2 : 1;
                makeRoomForVms(count);
                String id = id(op == Op.FORK ? "fork" : "clone");
                List<String> ids = count == 1 ? List.of(id) : List.of(id + "-0", id + "-1");
                yield new Action(() -> {
                    snapshots().restore(RestoreRequest.newBuilder().setSnapshotId(golden).setId(id).setCount(count).build());
                    ids.forEach(i -> model.put(i, "ready"));
                }, (fault, label) -> {
                    for (String i : ids) {
                        settle(i, label, switch (fault) {
                            case CRASH_POINT -> setOf((String) null);
                            case KILL_DURING -> setOf("ready", null);
                            case KILL_AFTER -> Set.of("ready");
                        });
                    }
                });
            }
            case STOP -> {
                String id = readySandbox();
                yield new Action(() -> {
                    daemon.sandboxes().stop(StopSandboxRequest.newBuilder().setId(id).setTimeoutSeconds(5).build());
                    model.put(id, "stopped");
                }, (fault, label) -> settle(id, label, fault == Fault.KILL_AFTER ? Set.of("stopped") : Set.of("ready", "stopped")));
            }
            case REMOVE -> {
                if (model.isEmpty()) {
                    yield prepare(Op.CREATE);
                }
                List<String> ids = new ArrayList<>(new TreeSet<>(model.keySet()));
                String id = ids.get(random.nextInt(ids.size()));
                String state = model.get(id);
                yield new Action(() -> {
                    daemon.sandboxes().remove(RemoveSandboxRequest.newBuilder().setId(id).setForce(true).build());
                    model.remove(id);
                }, (fault, label) -> settle(id, label, fault == Fault.KILL_AFTER ? setOf((String) null) : setOf(state, null)));
            }
        };
    }

    /** A ready sandbox to act on: one of the model's, or a clone restored for the purpose. */
    private String readySandbox() {
        List<String> ready = model.entrySet().stream().filter(e -> e.getValue().equals("ready")).map(Map.Entry::getKey)
                .sorted().toList();
        if (!ready.isEmpty()) {
            return ready.get(random.nextInt(ready.size()));
        }
        makeRoomForVms(1);
        String id = id("prep");
        snapshots().restore(RestoreRequest.newBuilder().setSnapshotId(golden).setId(id).build());
        model.put(id, "ready");
        return id;
    }

    /** Removes ready sandboxes until {@code count} more VMs fit in the budget of {@link #MAX_VMS}. */
    private void makeRoomForVms(int count) {
        List<String> ready = model.entrySet().stream().filter(e -> e.getValue().equals("ready")).map(Map.Entry::getKey)
                .sorted().collect(Collectors.toCollection(ArrayList::new));
        while (ready.size() + count > MAX_VMS) {
            String victim = ready.remove(random.nextInt(ready.size()));
            daemon.sandboxes().remove(RemoveSandboxRequest.newBuilder().setId(victim).setForce(true).build());
            model.remove(victim);
        }
        // records without a VM are cheap, but keep the total under the daemon's max_sandboxes (8)
        List<String> all = new ArrayList<>(new TreeSet<>(model.keySet()));
        while (all.size() + count > 6) {
            String victim = all.stream().filter(i -> !model.get(i).equals("ready")).findFirst().orElse(all.getFirst());
            all.remove(victim);
            daemon.sandboxes().remove(RemoveSandboxRequest.newBuilder().setId(victim).setForce(true).build());
            model.remove(victim);
        }
    }

    /** Keeps the snapshot directory small: at most one snapshot besides the golden one. */
    private void housekeeping() {
        while (extraSnapshots.size() > 1) {
            snapshots().delete(DeleteSnapshotRequest.newBuilder().setSnapshotId(extraSnapshots.removeFirst()).build());
        }
    }

    private void adoptUnknownSnapshots() {
        for (String id : snapshotIds()) {
            if (!id.equals(golden) && !extraSnapshots.contains(id)) {
                extraSnapshots.add(id);
            }
        }
        extraSnapshots.retainAll(snapshotIds());
    }

    /**
     * Waits until the sandbox settles (no starting/stopping), asserts its state is one of
     * {@code allowed} (null = absent), and updates the model to what it is.
     */
    private void settle(String id, String label, Set<String> allowed) {
        String shown = Awaitility.await(label + ": " + id + " settles").atMost(Duration.ofMinutes(3))
                .pollInterval(Duration.ofMillis(200))
                .until(() -> String.valueOf(stateOf(id)), s -> !(s.equals("starting") || s.equals("stopping")));
        String state = shown.equals("null") ? null : shown;
        assertThat(allowed).as(label + ": state of " + id + " after the restart (null = absent); " + reasonOf(id))
                .contains(state);
        if (state == null) {
            model.remove(id);
        } else {
            model.put(id, state);
        }
    }

    private static Set<String> setOf(String... states) {
        Set<String> set = new HashSet<>();
        java.util.Collections.addAll(set, states);
        return set;
    }

    private String stateOf(String id) {
        try {
            return daemon.sandboxes().inspect(InspectSandboxRequest.newBuilder().setId(id).build()).getState();
        } catch (StatusRuntimeException e) {
            if (e.getStatus().getCode() == io.grpc.Status.Code.NOT_FOUND) {
                return null;
            }
            throw e;
        }
    }

    private String reasonOf(String id) {
        try {
            return "error: '" + daemon.sandboxes().inspect(InspectSandboxRequest.newBuilder().setId(id).build()).getError()
                    + "'";
        } catch (StatusRuntimeException e) {
            return "";
        }
    }

    // ------------------------------------------------------------------------------------------
    // the checks after every restart

    /** Every sandbox settled, as the model says, and a ready one's VM is alive and answers Run. */
    private void assertRecordsMatchReality(String label) {
        Awaitility.await(label + ": every sandbox settles").atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(200))
                .until(() -> list().stream().noneMatch(s -> s.getState().equals("starting") || s.getState().equals("stopping")));
        Map<String, String> actual = new HashMap<>();
        for (SandboxInfo s : list()) {
            actual.put(s.getId(), s.getState());
            assertThat(s.getState()).as(label + ": " + s.getId() + " failed: " + s.getError()).isNotEqualTo("failed");
            if (s.getState().equals("ready")) {
                assertThat(ProcessIdentity.of(s.getVmmPid()).map(ProcessIdentity::isAlive).orElse(false))
                        .as(label + ": vmm of ready " + s.getId()).isTrue();
                assertThat(statusLine(s.getVmmPid(), "Seccomp:")).as(label + ": QEMU of " + s.getId()
                        + " runs under its seccomp filter (mode 2)").isEqualTo("2");
                runEcho(s.getId());
            } else {
                assertThat(s.getVmmPid()).as(label + ": vmm pid of " + s.getState() + " " + s.getId()).isZero();
            }
        }
        assertThat(actual).as(label + ": sandboxes after the restart").isEqualTo(model);
    }

    /** Nothing on the host that no record owns: processes, directories, memory files, TAPs, rules, leases. */
    private void assertNoOrphans() throws IOException, InterruptedException {
        List<SandboxInfo> sandboxes = list();
        Set<String> uids = new HashSet<>();
        Set<Long> vmmPids = new HashSet<>();
        Set<String> liveUids = new HashSet<>();
        Set<String> liveTaps = new HashSet<>();
        for (SandboxInfo s : sandboxes) {
            uids.add(s.getUid());
            if (s.getVmmPid() > 0) {
                vmmPids.add(s.getVmmPid());
                liveUids.add(s.getUid());
                if (!s.getNetwork().getMode().equals("none") && !s.getNetwork().getIpAddress().isEmpty()) {
                    liveTaps.add("abx" + s.getUid());
                }
            }
        }
        assertThat(qemuProcessesOf(daemon.dataDir)).as("QEMU processes of this daemon vs recorded pids").isEqualTo(vmmPids);
        assertThat(names(daemon.dataDir.resolve("sandboxes"))).as("sandbox directories").isEqualTo(uids);
        for (String uid : uids) {
            assertThat(Files.exists(daemon.dataDir.resolve("sandboxes").resolve(uid).resolve("run")))
                    .as("run directory (sockets, pid file) of " + uid).isEqualTo(liveUids.contains(uid));
        }
        Set<String> snaps = new HashSet<>(snapshotIds());
        assertThat(names(daemon.dataDir.resolve("snapshots"))).as("snapshot directories (staging included)").isEqualTo(snaps);
        for (String ram : names(ramDir)) {
            assertThat(liveUids).as("owner of memory file " + ram).contains(ram.replace(".ram", ""));
        }
        assertThat(taps()).as("TAPs in the daemon's namespace").isEqualTo(liveTaps);
        Set<String> ruleTaps = new HashSet<>();
        Matcher m = TAP.matcher(exec("ip", "netns", "exec", daemon.netns, "nft", "list", "ruleset"));
        while (m.find()) {
            ruleTaps.add(m.group());
        }
        assertThat(liveTaps).as("TAPs named in nftables rules").containsAll(ruleTaps);
        org.sqlite.SQLiteConfig readOnly = new org.sqlite.SQLiteConfig();
        readOnly.setReadOnly(true);
        try (var db = DriverManager.getConnection("jdbc:sqlite:" + daemon.dataDir.resolve("arcbox.db"), readOnly.toProperties());
                ResultSet rs = db.createStatement().executeQuery("SELECT sandbox_uid FROM leases")) {
            while (rs.next()) {
                assertThat(uids).as("owner of lease").contains(rs.getString(1));
            }
        } catch (java.sql.SQLException e) {
            throw new AssertionError("reading leases: " + e.getMessage(), e);
        }
    }

    /** A field of /proc/PID/status ("Seccomp:", "Uid:"), its value stripped. */
    static String statusLine(long pid, String field) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith(field)) {
                    return line.substring(field.length()).strip();
                }
            }
        } catch (IOException e) {
            return "gone";
        }
        return "absent";
    }

    private Set<String> taps() throws IOException, InterruptedException {
        Set<String> taps = new HashSet<>();
        for (String line : exec("ip", "-n", daemon.netns, "-o", "link", "show").split("\n")) {
            Matcher m = TAP.matcher(line);
            if (m.find()) {
                taps.add(m.group());
            }
        }
        return taps;
    }

    /** Pids of processes whose command line names a path in {@code dataDir} (QEMU's sockets, disks). */
    static Set<Long> qemuProcessesOf(Path dataDir) throws IOException {
        Set<Long> pids = new HashSet<>();
        byte[] needle = (dataDir.toString() + "/sandboxes/").getBytes(StandardCharsets.UTF_8);
        try (var procs = Files.list(Path.of("/proc"))) {
            for (Path p : procs.toList()) {
                String name = p.getFileName().toString();
                if (!name.chars().allMatch(Character::isDigit)) {
                    continue;
                }
                try {
                    String cmd = new String(Files.readAllBytes(p.resolve("cmdline")), StandardCharsets.UTF_8);
                    if (cmd.contains(new String(needle, StandardCharsets.UTF_8)) && cmd.contains("qemu-system")
                            && ProcessIdentity.of(Long.parseLong(name)).map(ProcessIdentity::isAlive).orElse(false)) {
                        pids.add(Long.parseLong(name));
                    }
                } catch (IOException e) {
                    // the process went away meanwhile
                }
            }
        }
        return pids;
    }

    private static Set<String> names(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return Set.of();
        }
        try (var list = Files.list(dir)) {
            return list.map(p -> p.getFileName().toString()).collect(Collectors.toSet());
        }
    }

    private static String exec(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + ": " + out);
        }
        return out;
    }

    // ------------------------------------------------------------------------------------------
    // API helpers

    private String id(String kind) {
        return kind + "-" + TestRun.id() + "-" + seq++;
    }

    private static CreateSandboxRequest.Builder sandbox(String id) {
        return CreateSandboxRequest.newBuilder().setId(id)
                .setLimits(ResourceLimits.newBuilder().setVcpus(1).setMemoryMib(192))
                .setNetwork(NetworkSpec.newBuilder().setMode("none"));
    }

    private SnapshotServiceGrpc.SnapshotServiceBlockingStub snapshots() {
        return SnapshotServiceGrpc.newBlockingStub(daemon.channel()).withDeadlineAfter(3, TimeUnit.MINUTES);
    }

    private List<SandboxInfo> list() {
        List<SandboxInfo> all = new ArrayList<>();
        for (var s : daemon.sandboxes().list(ListSandboxesRequest.getDefaultInstance()).getSandboxesList()) {
            all.add(daemon.sandboxes().inspect(InspectSandboxRequest.newBuilder().setId(s.getId()).build()));
        }
        return all;
    }

    private List<String> snapshotIds() {
        return snapshots().list(ListSnapshotsRequest.getDefaultInstance()).getSnapshotsList().stream()
                .map(s -> s.getId()).toList();
    }

    private void runEcho(String id) {
        StringBuilder out = new StringBuilder();
        var it = daemon.sandboxes().run(dev.arcbox.api.v1.RunRequest.newBuilder().setId(id).addCmd("echo").addCmd("ok").build());
        int exit = -1;
        while (it.hasNext()) {
            var o = it.next();
            if (o.getStream().equals("stdout")) {
                out.append(o.getData().toString(StandardCharsets.UTF_8));
            }
            if (o.getDone()) {
                exit = o.getExitCode();
            }
        }
        assertThat(exit).as("exit of echo in " + id).isZero();
        assertThat(out.toString()).as("echo in " + id).isEqualTo("ok\n");
    }
}
