package dev.arcbox.driver.qemu;

import com.fasterxml.jackson.databind.JsonNode;
import dev.arcbox.core.ArcboxException;
import dev.arcbox.core.driver.MemoryFormat;
import dev.arcbox.core.driver.RestorePlan;
import dev.arcbox.core.driver.SnapshotFiles;
import dev.arcbox.core.driver.SnapshotKind;
import dev.arcbox.core.driver.SnapshotManifest;
import dev.arcbox.core.driver.VmPlan;
import dev.arcbox.core.fs.FileTree;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.FileChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Snapshot and restore for QEMU microVMs.
 *
 * <p>A booted VM keeps its RAM in a shared file on tmpfs. Its snapshot streams only device state
 * (migration capability {@code x-ignore-shared}) through a Unix socket the driver listens on, then
 * copies the RAM file, sparse, into the snapshot ({@link MemoryFormat#RAW_FILE}). A restored clone
 * maps that file privately (share=off): clones share its pages copy-on-write and never change it.
 * A clone's RAM is private, so a snapshot of a clone streams RAM inside the device state
 * ({@link MemoryFormat#IN_STREAM}), restored into a fresh tmpfs file.
 *
 * <p>The writable disk is captured as a sparse copy taken while the guest is paused and QEMU has
 * flushed it (migration completion inactivates and flushes block devices).
 */
final class QemuSnapshots {

    static final String VM_STATE = "vmstate";
    static final String MEMORY = "memory";
    static final String DISK = "disk";
    private static final String MIGRATION_SOCKET = "mig.sock";
    private static final Duration MIGRATION_DEADLINE = Duration.ofMinutes(5);
    private static final Duration QMP_DEADLINE = Duration.ofSeconds(10);

    private final QemuDriver driver;
    private volatile String version;

    QemuSnapshots(QemuDriver driver) {
        this.driver = driver;
    }

    SnapshotFiles take(QemuVm vm, Path dir, SnapshotKind kind, boolean leaveStopped) {
        if (kind != SnapshotKind.FULL) {
            throw new ArcboxException.Unsupported("vm " + vm.vmId() + ": qemu driver takes full snapshots only");
        }
        VmPlan plan = vm.plan();
        boolean rawFile = vm.sharedMemory();
        boolean wasRunning = "running".equals(vm.status());
        QmpClient qmp = vm.qmp();
        vm.pause();
        try {
            qmp.execute("migrate-set-capabilities", Map.of("capabilities", List.of(
                    Map.of("capability", "x-ignore-shared", "state", rawFile),
                    Map.of("capability", "events", "state", true))), QMP_DEADLINE);
            qmp.execute("migrate-set-parameters", Map.of("max-bandwidth", Long.MAX_VALUE / 2), QMP_DEADLINE);
            Path vmState = dir.resolve(VM_STATE);
            streamOut(vm, vmState);
            Optional<Path> memory = Optional.empty();
            if (rawFile) {
                Path copy = dir.resolve(MEMORY);
                FileTree.sparseCopy(vm.memoryFile(), copy);
                Files.setPosixFilePermissions(copy, PosixFilePermissions.fromString("r--r-----"));
                memory = Optional.of(copy);
            }
            Optional<Path> disk = Optional.empty();
            var writable = plan.disks().stream().filter(d -> !d.readOnly()).findFirst();
            if (writable.isPresent()) {
                Path copy = dir.resolve(DISK);
                FileTree.sparseCopy(writable.get().path(), copy);
                disk = Optional.of(copy);
            }
            SnapshotFiles files = new SnapshotFiles(dir, QemuDriver.ID, version(), SnapshotKind.FULL,
                    rawFile ? MemoryFormat.RAW_FILE : MemoryFormat.IN_STREAM, vmState, memory, disk,
                    plan.machine(), plan.assetHashes());
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

    /** Lets QEMU connect to a socket of ours and copies the migration stream into {@code target}. */
    private void streamOut(QemuVm vm, Path target) throws IOException {
        Path socket = vm.plan().runDir().resolve(MIGRATION_SOCKET);
        Files.deleteIfExists(socket);
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(socket));
            if (driver.runAs().isPresent()) {
                // QEMU connects after it dropped to its user: only that user may
                driver.runAs().get().own(socket, PosixFilePermissions.fromString("rw-------"));
            }
            CompletableFuture<Long> copied = new CompletableFuture<>();
            Thread.ofVirtual().name("migrate-out-" + vm.vmId()).start(() -> {
                try (SocketChannel in = server.accept();
                        FileChannel out = FileChannel.open(target, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                    long total = 0;
                    while (true) {
                        long n = out.transferFrom(in, total, 1 << 20);
                        if (n <= 0) {
                            break;
                        }
                        total += n;
                    }
                    out.force(true);
                    copied.complete(total);
                } catch (IOException e) {
                    copied.completeExceptionally(e);
                }
            });
            CompletableFuture<JsonNode> done = migrationEnd(vm.qmp());
            vm.qmp().execute("migrate", Map.of("uri", "unix:" + socket), QMP_DEADLINE);
            awaitMigration(vm, done);
            await(vm, copied, "writing device state");
        } finally {
            Files.deleteIfExists(socket);
        }
    }

    private static CompletableFuture<JsonNode> migrationEnd(QmpClient qmp) {
        return qmp.nextEvent(e -> "MIGRATION".equals(e.path("event").asText())
                && List.of("completed", "failed", "cancelled").contains(e.path("data").path("status").asText()));
    }

    private static void awaitMigration(QemuVm vm, CompletableFuture<JsonNode> done) {
        JsonNode event = await(vm, done, "migration");
        String status = event.path("data").path("status").asText();
        if (!"completed".equals(status)) {
            JsonNode info = vm.qmp().execute("query-migrate", null, QMP_DEADLINE);
            throw new ArcboxException.HostFailure("vm " + vm.vmId() + ": migration " + status + ": "
                    + info.path("error-desc").asText("no detail"), null);
        }
    }

    private static <T> T await(QemuVm vm, CompletableFuture<T> future, String what) {
        try {
            return future.get(MIGRATION_DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new ArcboxException.DeadlineExceeded("vm " + vm.vmId() + ": " + what + " not done in " + MIGRATION_DEADLINE);
        } catch (ExecutionException e) {
            throw new ArcboxException.HostFailure("vm " + vm.vmId() + ": " + what + ": " + e.getCause().getMessage(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ArcboxException.Unavailable("vm " + vm.vmId() + ": " + what + ": interrupted", e);
        }
    }

    QemuVm restore(RestorePlan restore) {
        VmPlan plan = restore.vm();
        SnapshotFiles snapshot = restore.snapshot();
        checkCompatible(plan, snapshot);
        boolean rawFile = snapshot.memoryFormat() == MemoryFormat.RAW_FILE;
        Path memoryFile = rawFile
                ? snapshot.memory().orElseThrow(() -> new ArcboxException.FailedPrecondition(
                        "snapshot " + snapshot.dir() + ": memory file missing"))
                : driver.config().ramDir().resolve(plan.vmId() + ".ram");
        QemuArgs args = driver.args(plan, memoryFile, !rawFile, true);
        QemuVm vm = driver.launch(plan, args, memoryFile, !rawFile);
        try {
            QmpClient qmp = vm.qmp();
            qmp.execute("migrate-set-capabilities", Map.of("capabilities", List.of(
                    Map.of("capability", "x-ignore-shared", "state", rawFile),
                    Map.of("capability", "events", "state", true))), QMP_DEADLINE);
            Path socket = plan.runDir().resolve(MIGRATION_SOCKET);
            Optional<VmmUser> user = driver.runAs();
            if (user.isPresent()) {
                // QEMU binds the incoming socket after it dropped to its user: lend it the run dir
                user.get().own(plan.runDir(), PosixFilePermissions.fromString("rwx------"));
            }
            CompletableFuture<JsonNode> done = migrationEnd(qmp);
            qmp.execute("migrate-incoming", Map.of("uri", "unix:" + socket), QMP_DEADLINE);
            try (SocketChannel out = SocketChannel.open(StandardProtocolFamily.UNIX);
                    FileChannel in = FileChannel.open(snapshot.vmState(), StandardOpenOption.READ)) {
                out.connect(UnixDomainSocketAddress.of(socket));
                long size = in.size();
                long sent = 0;
                while (sent < size) {
                    sent += in.transferTo(sent, size - sent, out);
                }
                out.shutdownOutput();
                awaitMigration(vm, done);
            }
            Files.deleteIfExists(socket);
            if (user.isPresent()) {
                user.get().lendSearch(plan.runDir());
            }
            // the stream carries the source's run state (paused): start the vCPUs
            vm.resume();
            return vm;
        } catch (IOException | RuntimeException e) {
            vm.stop(Duration.ZERO);
            if (e instanceof ArcboxException ae) {
                throw ae;
            }
            throw new ArcboxException.HostFailure("vm " + plan.vmId() + ": restore from " + snapshot.dir() + ": "
                    + e.getMessage(), e);
        }
    }

    private void checkCompatible(VmPlan plan, SnapshotFiles snapshot) {
        if (!QemuDriver.ID.equals(snapshot.driver())) {
            throw new ArcboxException.FailedPrecondition("snapshot " + snapshot.dir() + " was taken by driver "
                    + snapshot.driver() + ", not " + QemuDriver.ID);
        }
        if (!version().equals(snapshot.vmmVersion())) {
            throw new ArcboxException.FailedPrecondition("snapshot " + snapshot.dir() + " was taken with qemu "
                    + snapshot.vmmVersion() + ", this host runs " + version());
        }
        snapshot.requireSameAssetsAndShape(plan);
    }

    /** The QEMU build this host runs, as {@code --version} reports it. */
    String version() {
        String v = version;
        if (v == null) {
            v = probeVersion(driver.config().binary());
            version = v;
        }
        return v;
    }

    private static String probeVersion(Path binary) {
        try {
            Process p = new ProcessBuilder(binary.toString(), "--version").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readNBytes(4096), java.nio.charset.StandardCharsets.UTF_8);
            if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
                p.destroyForcibly();
                throw new ArcboxException.HostFailure(binary + " --version failed: " + out.strip(), null);
            }
            return out.lines().findFirst().orElse("").replace("QEMU emulator version", "").strip();
        } catch (IOException e) {
            throw new ArcboxException.HostFailure("running " + binary + " --version: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ArcboxException.HostFailure("running " + binary + " --version: interrupted", e);
        }
    }
}
