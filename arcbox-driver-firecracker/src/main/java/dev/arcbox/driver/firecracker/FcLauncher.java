package dev.arcbox.driver.firecracker;

import dev.arcbox.core.ArcboxException;
import dev.arcbox.core.config.FirecrackerConfig;
import dev.arcbox.core.driver.DiskPlan;
import dev.arcbox.core.driver.VmPlan;
import dev.arcbox.core.driver.VmRecord;
import dev.arcbox.core.fs.FileTree;
import dev.arcbox.core.proc.PidFd;
import dev.arcbox.core.proc.ProcessIdentity;
import dev.arcbox.driver.firecracker.api.FcApiClient;
import dev.arcbox.driver.firecracker.api.InstanceInfo;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Starts one Firecracker: stages its files, spawns it (directly or jailed) in its own session,
 * waits for its API socket while watching for its exit, then sends the calls that configure it.
 * On any failure the process is killed and the run directory and jail removed before the error
 * is thrown, carrying Firecracker's exit status and the tail of its output.
 */
final class FcLauncher {

    static final String OUT_FILE = "firecracker.out";
    static final String LOG_FILE = "firecracker.log";
    static final String PID_FILE = "firecracker.pid";
    private static final Duration POLL = Duration.ofMillis(10);
    private static final int TAIL = 2000;

    /** Stages a VM's files into its layout and returns the calls that configure it. */
    @FunctionalInterface
    interface Setup {
        List<FcCall> stage(FcLayout layout) throws IOException;
    }

    private final FcDriver driver;

    FcLauncher(FcDriver driver) {
        this.driver = driver;
    }

    FcVm boot(VmPlan plan) {
        FirecrackerConfig config = driver.config();
        return start(plan, driver.layout(plan), layout -> FcBootSequence.boot(plan, config, stageBoot(plan, layout)));
    }

    /** Kernel, initrd, drives, console and sockets of a cold boot. */
    FcFiles stageBoot(VmPlan plan, FcLayout layout) throws IOException {
        String kernel = layout instanceof FcJail ? layout.place(plan.kernel(), "vmlinux", false)
                : plan.kernel().toString();
        String initrd = layout instanceof FcJail ? layout.place(plan.initrd(), "initrd", false)
                : plan.initrd().toString();
        return files(plan, layout, kernel, initrd);
    }

    /** The files every start shares: drives under their Firecracker ids, console, sockets and FIFOs. */
    FcFiles files(VmPlan plan, FcLayout layout, String kernel, String initrd) throws IOException {
        Map<String, String> drives = new HashMap<>();
        for (DiskPlan disk : plan.disks()) {
            drives.put(disk.id(), layout.place(disk.path(), "drives/" + FcBootSequence.driveId(disk), !disk.readOnly()));
        }
        // without serial_out the console goes to Firecracker's standard output: the console FIFO
        String serial = null;
        if (plan.features().serialOut().isPresent()) {
            Path console = plan.features().serialOut().get();
            if (!Files.exists(console)) {
                Files.createDirectories(console.getParent());
                Files.createFile(console);
            }
            serial = layout instanceof FcJail ? layout.place(console, "console.log", true) : console.toString();
        }
        return new FcFiles(kernel, initrd, drives, layout.runFile(FcDriver.VSOCK_SOCKET),
                layout.runFile(FcDriver.LOG_FIFO), layout.runFile(FcDriver.METRICS_FIFO), serial);
    }

    /** Spawns Firecracker for {@code plan} in {@code layout} and sends what {@code setup} returns. */
    FcVm start(VmPlan plan, FcLayout layout, Setup setup) {
        Path runDir = plan.runDir();
        Process child = null;
        PidFd pidfd = null;
        FcPipes pipes = null;
        try {
            Files.createDirectories(runDir.getParent());
            killOrphan(plan.vmId(), runDir);
            layout.remove();
            Files.createDirectory(runDir);
            layout.prepare();
            FcJail jail = layout instanceof FcJail j ? j : null;
            pipes = FcPipes.open(plan.vmId(), layout.hostPath(layout.runFile(FcDriver.LOG_FIFO)),
                    layout.hostPath(layout.runFile(FcDriver.METRICS_FIFO)), runDir.resolve(FcDriver.CONSOLE_FIFO),
                    runDir.resolve(LOG_FILE), jail);
            List<FcCall> calls = setup.stage(layout);
            String seccomp = seccompFilter(layout);
            List<String> command = new ArrayList<>();
            command.add("setsid");
            command.addAll(FcCommand.command(driver.config(), plan.vmId(), layout, seccomp));
            ProcessBuilder builder = new ProcessBuilder(driver.placement().wrap(plan.vmId(), command))
                    .directory(layout instanceof FcJail ? runDir.toFile() : layout.workDir().toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(runDir.resolve(FcDriver.CONSOLE_FIFO).toFile()))
                    .redirectError(ProcessBuilder.Redirect.appendTo(runDir.resolve(OUT_FILE).toFile()));
            builder.environment().keySet().retainAll(Set.of("PATH", "LANG"));
            child = builder.start();
            ProcessIdentity process = identify(plan, layout, child, pipes);
            pidfd = PidFd.open(process);
            if (pidfd == null) {
                throw exitedEarly(plan, child, pipes, "at once");
            }
            Files.writeString(runDir.resolve(PID_FILE), Long.toString(process.pid()));
            FcApiClient api = driver.api(plan.vmId(), layout.apiSocket());
            InstanceInfo info = awaitSocket(plan, api, child, pipes, pidfd.onExit());
            for (FcCall call : calls) {
                call.send(api);
            }
            return new FcVm(driver, plan, layout, process, pidfd, child, api, pipes, info.vmmVersion());
        } catch (IOException | RuntimeException e) {
            abort(child, pidfd);
            String out = output(runDir, pipes);
            if (pipes != null) {
                pipes.close();
            }
            FileTree.delete(runDir);
            layout.remove();
            if (e instanceof ArcboxException ae) {
                if (!out.isEmpty() && !ae.getMessage().contains(out)) {
                    ae.addSuppressed(new IllegalStateException("firecracker output: " + out));
                }
                throw ae;
            }
            throw new ArcboxException.HostFailure("vm " + plan.vmId() + ": starting firecracker: " + e.getMessage()
                    + (out.isEmpty() ? "" : "; output: " + out), e);
        }
    }

    private String seccompFilter(FcLayout layout) throws IOException {
        Path filter = driver.config().seccompFilter().orElse(null);
        if (filter == null || driver.config().noSeccomp()) {
            return null;
        }
        return layout instanceof FcJail ? layout.place(filter, "seccomp.bpf", false) : filter.toString();
    }

    /**
     * The Firecracker process: the child itself (setsid and the jailer exec in place), except with
     * a new PID namespace, where the jailer's parent exits and the pid is in the jail's pid file.
     */
    private ProcessIdentity identify(VmPlan plan, FcLayout layout, Process child, FcPipes pipes) throws IOException {
        boolean forks = driver.config().jailer().map(j -> j.newPidNs()).orElse(false);
        if (!forks) {
            return ProcessIdentity.of(child.pid()).orElseThrow(() -> exitedEarly(plan, child, pipes, "at once"));
        }
        Path pidFile = layout.hostPath("/" + PID_FILE);
        long end = System.nanoTime() + driver.socketTimeout().toNanos();
        while (System.nanoTime() < end) {
            if (Files.exists(pidFile)) {
                String text = Files.readString(pidFile, StandardCharsets.UTF_8).strip();
                if (!text.isEmpty()) {
                    return ProcessIdentity.of(Long.parseLong(text))
                            .orElseThrow(() -> exitedEarly(plan, child, pipes, "after the jailer forked it"));
                }
            }
            if (!child.isAlive() && child.exitValue() != 0) {
                throw exitedEarly(plan, child, pipes, "before writing its pid file");
            }
            pause(child.onExit().thenApply(p -> null));
        }
        throw new ArcboxException.DeadlineExceeded("vm " + plan.vmId() + ": jailer wrote no " + pidFile + " within "
                + driver.socketTimeout());
    }

    /** Polls for the API socket until it answers, the process exits, or the socket timeout passes. */
    private InstanceInfo awaitSocket(VmPlan plan, FcApiClient api, Process child, FcPipes pipes,
            CompletableFuture<Void> exit) {
        Duration timeout = driver.socketTimeout();
        long end = System.nanoTime() + timeout.toNanos();
        String last = "socket file absent";
        while (System.nanoTime() < end) {
            if (exit.isDone()) {
                throw exitedEarly(plan, child, pipes, "before its API socket appeared");
            }
            if (Files.exists(api.socket())) {
                try {
                    return api.get("/", InstanceInfo.class);
                } catch (ArcboxException e) {
                    last = e.getMessage();
                }
            }
            pause(exit);
        }
        throw new ArcboxException.DeadlineExceeded("vm " + plan.vmId() + ": firecracker's API socket " + api.socket()
                + " did not answer within " + timeout + " (" + last + ")");
    }

    private static void pause(CompletableFuture<?> exit) {
        try {
            exit.get(POLL.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException | ExecutionException e) {
            // the poll interval passed, or the watch ended: the caller looks again
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ArcboxException.Unavailable("interrupted while starting firecracker", e);
        }
    }

    /** Firecracker's standard error and the standard output nobody read (it logs there until its logger is set up). */
    private static String output(Path runDir, FcPipes pipes) {
        String err = FileTree.tail(runDir.resolve(OUT_FILE), TAIL);
        String out = pipes == null ? "" : pipes.unreadConsole(TAIL);
        return (out + (out.isEmpty() || err.isEmpty() ? "" : "\n") + err).strip();
    }

    private ArcboxException exitedEarly(VmPlan plan, Process child, FcPipes pipes, String when) {
        String status;
        try {
            status = child.onExit().get(5, TimeUnit.SECONDS).exitValue() + "";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            status = "unknown";
        } catch (ExecutionException | TimeoutException e) {
            status = "unknown";
        }
        String out = output(plan.runDir(), pipes);
        String log = FileTree.tail(plan.runDir().resolve(LOG_FILE), TAIL);
        return new ArcboxException.HostFailure("vm " + plan.vmId() + ": firecracker exited with status " + status
                + " " + when + "; output: " + (out.isEmpty() ? "(none)" : out)
                + (log.isEmpty() ? "" : "; log: " + log), null);
    }

    /**
     * Makes a start idempotent: a Firecracker left by an earlier attempt for this VM (found by its
     * pid file and checked to be ours by {@code --id <vmId>} on its command line) is killed, and
     * the run directory removed.
     */
    static void killOrphan(String vmId, Path runDir) throws IOException {
        if (!Files.exists(runDir)) {
            return;
        }
        Path pidFile = runDir.resolve(PID_FILE);
        if (Files.exists(pidFile)) {
            long pid = Long.parseLong(Files.readString(pidFile).strip());
            byte[] cmdline;
            try {
                cmdline = Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline"));
            } catch (java.nio.file.NoSuchFileException e) {
                cmdline = new byte[0];
            }
            String args = new String(cmdline, StandardCharsets.UTF_8).replace('\0', ' ');
            if (args.contains("--id " + vmId + " ")) {
                ProcessIdentity.of(pid).map(PidFd::open).ifPresent(fd -> {
                    fd.signal(9);
                    fd.onExit().orTimeout(10, TimeUnit.SECONDS).exceptionally(e -> null).join();
                    fd.close();
                });
            }
        }
        FileTree.delete(runDir);
    }

    private static void abort(Process child, PidFd pidfd) {
        if (pidfd != null) {
            pidfd.signal(9);
            pidfd.onExit().orTimeout(10, TimeUnit.SECONDS).exceptionally(e -> null).join();
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

    /** A VM of a record whose process is alive: reconnects the API and the FIFOs. */
    FcVm reattach(VmRecord record, ProcessIdentity process, PidFd pidfd) {
        VmPlan plan = record.plan();
        FcLayout layout = record.driverState().containsKey("jail_root")
                ? new FcJail(Path.of(record.driverState().get("jail_root")),
                        Long.parseLong(record.driverState().getOrDefault("jail_uid", "0")),
                        Long.parseLong(record.driverState().getOrDefault("jail_gid", "0")))
                : new FcLayout.Direct(plan.runDir());
        FcApiClient api = driver.api(plan.vmId(), layout.apiSocket());
        InstanceInfo info = api.get("/", InstanceInfo.class);
        FcPipes pipes = FcPipes.open(plan.vmId(), layout.hostPath(layout.runFile(FcDriver.LOG_FIFO)),
                layout.hostPath(layout.runFile(FcDriver.METRICS_FIFO)), plan.runDir().resolve(FcDriver.CONSOLE_FIFO),
                plan.runDir().resolve(LOG_FILE), layout instanceof FcJail j ? j : null);
        return new FcVm(driver, plan, layout, process, pidfd, null, api, pipes, info.vmmVersion());
    }
}
