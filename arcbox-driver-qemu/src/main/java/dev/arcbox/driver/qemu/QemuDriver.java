package dev.arcbox.driver.qemu;

import dev.arcbox.core.ArcboxException;
import dev.arcbox.core.driver.Capability;
import dev.arcbox.core.driver.PlanValidator;
import dev.arcbox.core.driver.RestorePlan;
import dev.arcbox.core.driver.RunningVm;
import dev.arcbox.core.driver.VmDriver;
import dev.arcbox.core.driver.VmPlan;
import dev.arcbox.core.driver.VmRecord;
import dev.arcbox.core.driver.VmmPlacement;
import dev.arcbox.core.fs.FileTree;
import dev.arcbox.core.proc.PidFd;
import dev.arcbox.core.proc.ProcessIdentity;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Runs each VM in its own {@code qemu-system-x86_64 -M microvm} process, controlled over QMP, with
 * the guest agent on a virtio-serial port. QEMU is started through util-linux {@code setsid}
 * (which execs in place, so the pid stays QEMU's) in a session of its own, with its output in a
 * file: it outlives the daemon, and a restarted daemon re-attaches to it.
 */
public final class QemuDriver implements VmDriver {

    static final String ID = "qemu";
    private static final String LOG_FILE = "qemu.log";

    private final QemuConfig config;
    private final Accelerator defaultAccelerator;
    private final QemuSnapshots snapshots;
    private final long tscKhz;
    private final VmmPlacement placement;
    private final Optional<VmmUser> runAs;

    public QemuDriver(QemuConfig config) {
        this(config, VmmPlacement.NONE);
    }

    /** A driver whose QEMU processes are put in place by {@code placement} (their cgroups) before they run. */
    public QemuDriver(QemuConfig config, VmmPlacement placement) {
        this.config = config;
        this.placement = placement;
        this.defaultAccelerator = Accelerator.parse(config.accelerator(), "qemu.accel");
        this.snapshots = new QemuSnapshots(this);
        this.tscKhz = HostCpu.tscKhz();
        this.runAs = VmmUser.resolve(config.user());
        System.getLogger(QemuDriver.class.getName()).log(System.Logger.Level.INFO, runAsDescription());
    }

    /** The user QEMU drops to, or empty when it runs as root. */
    public Optional<VmmUser> runAs() {
        return runAs;
    }

    /** Who QEMU runs as, and why, for logs and {@code system info}. */
    public String runAsDescription() {
        if (runAs.isPresent()) {
            return "qemu runs as user " + runAs.get().name() + " (uid " + runAs.get().uid() + ")";
        }
        String setting = config.user() == null ? QemuConfig.DEFAULT_USER : config.user().strip();
        return setting.equals("root") ? "qemu runs as root (qemu.user = \"root\")"
                : "qemu runs as root: no user " + VmmUser.DEDICATED + " (or the daemon is not root); "
                        + "scripts/host-setup.sh creates it";
    }

    /** The command line for {@code plan}, dropping to {@link #runAs()} when there is one. */
    QemuArgs args(VmPlan plan, Path memoryFile, boolean sharedMemory, boolean incoming) {
        return new QemuArgs(plan, accelerator(plan), tscKhz, memoryFile, sharedMemory, incoming,
                runAs.map(VmmUser::name).orElse(null),
                runAs.isPresent() && QemuArgs.hasRunWithUser(snapshots.version()));
    }

    @Override
    public String id() {
        return ID;
    }

    @Override
    public Set<Capability> capabilities() {
        Set<Capability> caps = EnumSet.of(Capability.PAUSE, Capability.NETWORK_TAP, Capability.ENTROPY_DEVICE,
                Capability.SNAPSHOT_FULL, Capability.FORK);
        if (defaultAccelerator.resolve() == Accelerator.KVM) {
            caps.add(Capability.HARDWARE_ACCELERATION);
        }
        return Set.copyOf(caps);
    }

    QemuConfig config() {
        return config;
    }

    QemuSnapshots snapshots() {
        return snapshots;
    }

    /** The accelerator a plan runs with: its own choice, else the driver's default; resolved. */
    Accelerator accelerator(VmPlan plan) {
        String requested = plan.machine() == null ? null : plan.machine().accelerator();
        Accelerator accel = requested == null || requested.isBlank() || requested.equalsIgnoreCase("auto")
                ? defaultAccelerator
                : Accelerator.parse(requested, "machine.accelerator");
        return accel.resolve();
    }

    @Override
    public void validate(VmPlan plan) {
        List<String> extra = new ArrayList<>();
        if (plan.machine() != null) {
            try {
                Accelerator accel = accelerator(plan);
                if (accel == Accelerator.KVM && !Accelerator.kvmUsable()) {
                    extra.add("machine.accelerator: kvm requested but hardware virtualization is not usable on this host");
                }
            } catch (ArcboxException.InvalidArgument e) {
                extra.add(e.getMessage());
            }
        }
        if (!Files.isExecutable(config.binary())) {
            extra.add("qemu.binary: not an executable file: " + config.binary());
        }
        PlanValidator.check(plan, extra);
    }

    @Override
    public RunningVm boot(VmPlan plan) {
        validate(plan);
        Path memoryFile = config.ramDir().resolve(plan.vmId() + ".ram");
        QemuArgs args = args(plan, memoryFile, true, false);
        return launch(plan, args, memoryFile, true);
    }

    @Override
    public RunningVm restore(RestorePlan plan) {
        validate(plan.vm());
        return snapshots.restore(plan);
    }

    /**
     * Spawns QEMU for {@code args} and connects QMP. On any failure the process is killed and the
     * run directory (and an owned memory file) removed before the error is thrown.
     */
    QemuVm launch(VmPlan plan, QemuArgs args, Path memoryFile, boolean ownsMemoryFile) {
        Path runDir = plan.runDir();
        Process child = null;
        PidFd pidfd = null;
        try {
            Files.createDirectories(runDir.getParent());
            killOrphan(plan.vmId(), runDir);
            Files.createDirectory(runDir);
            if (runAs.isPresent()) {
                handOver(plan, runAs.get());
            }
            Files.createDirectories(config.ramDir());
            List<String> command = new ArrayList<>();
            command.add("setsid");
            command.addAll(args.command(config.binary()));
            ProcessBuilder builder = new ProcessBuilder(placement.wrap(plan.vmId(), command))
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(runDir.resolve(LOG_FILE).toFile()))
                    .redirectErrorStream(true);
            builder.environment().keySet().retainAll(Set.of("PATH", "LANG"));
            child = builder.start();
            long pid = child.pid();
            ProcessIdentity process = ProcessIdentity.of(pid).orElseThrow(() -> new ArcboxException.HostFailure(
                    "vm " + plan.vmId() + ": qemu exited at once: " + FileTree.tail(runDir.resolve(LOG_FILE), 2000),
                    null));
            pidfd = PidFd.open(process);
            if (pidfd == null) {
                throw new ArcboxException.HostFailure("vm " + plan.vmId() + ": qemu exited at once: "
                        + FileTree.tail(runDir.resolve(LOG_FILE), 2000), null);
            }
            QmpClient qmp = QmpClient.connect(plan.vmId(), runDir.resolve(QemuArgs.QMP_SOCKET), config.startTimeout(),
                    pidfd.onExit());
            return new QemuVm(this, plan, process, pidfd, child, qmp, memoryFile, ownsMemoryFile);
        } catch (IOException | RuntimeException e) {
            String log = FileTree.tail(runDir.resolve(LOG_FILE), 2000);
            abort(child, pidfd);
            cleanup(runDir, ownsMemoryFile ? memoryFile : null);
            if (e instanceof ArcboxException ae) {
                if (!log.isEmpty() && !ae.getMessage().contains(log)) {
                    ae.addSuppressed(new IllegalStateException("qemu log: " + log));
                }
                throw ae;
            }
            throw new ArcboxException.HostFailure("vm " + plan.vmId() + ": starting qemu: " + e.getMessage()
                    + (log.isEmpty() ? "" : "; qemu log: " + log), e);
        }
    }

    /**
     * Gives the user QEMU drops to what it opens after the drop: search permission on the run
     * directory (to connect to the migration socket a snapshot hands it; a restore lends it the
     * directory while {@code migrate-incoming} binds there) and the writable disks, which QEMU
     * reopens read-write when it activates its block devices after an incoming migration.
     * Read-only disks, the kernel and the memory file are opened before the drop and stay as they
     * are.
     */
    private static void handOver(VmPlan plan, VmmUser user) throws IOException {
        user.checkCanReach(plan.runDir().getParent());
        user.lendSearch(plan.runDir());
        for (var disk : plan.disks()) {
            if (!disk.readOnly()) {
                user.checkCanReach(disk.path().getParent());
                user.own(disk.path(), PosixFilePermissions.fromString("rw-------"));
            }
        }
    }

    /**
     * Makes a boot idempotent: a QEMU left by an earlier attempt for this VM (a daemon that died
     * after spawning it, before recording it) is found through its pid file, checked to be ours
     * (its command line names {@code arcbox-<vmId>}) and killed; then the run directory goes.
     */
    static void killOrphan(String vmId, Path runDir) throws IOException {
        if (!Files.exists(runDir)) {
            return;
        }
        Path pidFile = runDir.resolve(QemuArgs.PID_FILE);
        String pidText = Files.exists(pidFile) ? Files.readString(pidFile).strip() : "";
        if (pidText.matches("[0-9]{1,10}")) {
            long pid = Long.parseLong(pidText);
            byte[] cmdline;
            try {
                cmdline = Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline"));
            } catch (java.nio.file.NoSuchFileException e) {
                cmdline = new byte[0];
            }
            String args = new String(cmdline, java.nio.charset.StandardCharsets.UTF_8).replace('\0', ' ');
            if (args.contains(" arcbox-" + vmId + " ")) {
                ProcessIdentity.of(pid).map(PidFd::open).ifPresent(fd -> {
                    fd.signal(9);
                    fd.onExit().orTimeout(10, TimeUnit.SECONDS).exceptionally(e -> null).join();
                    fd.close();
                });
            }
        }
        FileTree.delete(runDir);
    }

    @Override
    public void discard(String vmId, Path runDir) {
        try {
            killOrphan(vmId, runDir);
            Files.deleteIfExists(config.ramDir().resolve(vmId + ".ram"));
        } catch (IOException | NumberFormatException e) {
            throw new ArcboxException.HostFailure("vm " + vmId + ": discarding what it left: " + e.getMessage(), e);
        }
    }

    private static void abort(Process child, PidFd pidfd) {
        if (pidfd != null) {
            pidfd.signal(9);
            pidfd.close();
        } else if (child != null) {
            child.destroyForcibly();
        }
        if (child != null) {
            try {
                child.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static void cleanup(Path runDir, Path memoryFile) {
        try {
            if (memoryFile != null) {
                Files.deleteIfExists(memoryFile);
            }
            FileTree.delete(runDir);
        } catch (IOException | ArcboxException ignored) {
            // the launch failure is the error the caller needs
        }
    }

    @Override
    public Optional<RunningVm> reattach(VmRecord record) {
        if (!ID.equals(record.driver())) {
            throw new ArcboxException.InvalidArgument("record of vm " + record.vmId() + " belongs to driver "
                    + record.driver() + ", not " + ID);
        }
        ProcessIdentity process = new ProcessIdentity(record.pid(), record.startTime());
        PidFd pidfd = PidFd.open(process);
        if (pidfd == null) {
            return Optional.empty();
        }
        try {
            QmpClient qmp = QmpClient.connect(record.vmId(), record.runDir().resolve(QemuArgs.QMP_SOCKET),
                    config.startTimeout(), pidfd.onExit());
            Path memoryFile = Path.of(record.driverState().getOrDefault("memory_file",
                    config.ramDir().resolve(record.vmId() + ".ram").toString()));
            boolean owns = Boolean.parseBoolean(record.driverState().getOrDefault("owns_memory_file", "true"));
            return Optional.of(new QemuVm(this, record.plan(), process, pidfd, null, qmp, memoryFile, owns));
        } catch (RuntimeException e) {
            pidfd.close();
            throw e;
        }
    }
}
