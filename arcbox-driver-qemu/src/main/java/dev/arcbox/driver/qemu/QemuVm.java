package dev.arcbox.driver.qemu;

import dev.arcbox.core.ArcboxException;
import dev.arcbox.core.agent.AgentClient;
import dev.arcbox.core.driver.AgentLink;
import dev.arcbox.core.driver.ExitInfo;
import dev.arcbox.core.driver.RunningVm;
import dev.arcbox.core.driver.SnapshotFiles;
import dev.arcbox.core.driver.SnapshotKind;
import dev.arcbox.core.driver.StopResult;
import dev.arcbox.core.driver.VmmStop;
import dev.arcbox.core.driver.VmPlan;
import dev.arcbox.core.driver.VmRecord;
import dev.arcbox.core.fs.FileTree;
import dev.arcbox.core.proc.PidFd;
import dev.arcbox.core.proc.ProcessIdentity;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ByteChannel;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** One QEMU process and its guest. */
final class QemuVm implements RunningVm {

    private static final System.Logger LOG = System.getLogger(QemuVm.class.getName());
    private static final Duration QMP_DEADLINE = Duration.ofSeconds(10);

    private final QemuDriver driver;
    private final VmPlan plan;
    private final ProcessIdentity process;
    private final PidFd pidfd;
    private final QmpClient qmp;
    private final Path memoryFile;
    private final boolean ownsMemoryFile;
    private final AgentLink agent;
    private final CompletableFuture<ExitInfo> exit;

    QemuVm(QemuDriver driver, VmPlan plan, ProcessIdentity process, PidFd pidfd, Process child, QmpClient qmp,
            Path memoryFile, boolean ownsMemoryFile) {
        this.driver = driver;
        this.plan = plan;
        this.process = process;
        this.pidfd = pidfd;
        this.qmp = qmp;
        this.memoryFile = memoryFile;
        this.ownsMemoryFile = ownsMemoryFile;
        this.agent = new AgentLink(plan.vmId(), this::openAgent);
        this.exit = pidfd.onExit().handle((v, error) -> exitInfo(child)).thenApply(info -> {
            releaseHostFiles();
            return info;
        });
    }

    private ExitInfo exitInfo(Process child) {
        OptionalInt code = OptionalInt.empty();
        if (child != null) {
            try {
                code = OptionalInt.of(child.onExit().get(5, TimeUnit.SECONDS).exitValue());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (java.util.concurrent.ExecutionException | TimeoutException e) {
                // the pidfd saw the exit; only the code is unknown
            }
        }
        String reason = code.isPresent() ? describe(code.getAsInt()) : "qemu exited";
        return new ExitInfo(Instant.now(), code, reason);
    }

    private static String describe(int code) {
        // a process killed by a signal reports 128 + signal through java.lang.Process
        return code > 128 ? "qemu killed by signal " + (code - 128) : "qemu exited with code " + code;
    }

    /** Runs when the process is gone: closes connections and removes the files the VM owned. */
    private void releaseHostFiles() {
        agent.disconnect();
        qmp.close();
        pidfd.close();
        try {
            if (ownsMemoryFile) {
                Files.deleteIfExists(memoryFile);
            }
            FileTree.delete(plan.runDir());
        } catch (IOException | ArcboxException e) {
            LOG.log(System.Logger.Level.WARNING, "vm " + plan.vmId() + ": cleaning up after exit: " + e.getMessage());
        }
    }

    @Override
    public String vmId() {
        return plan.vmId();
    }

    @Override
    public long pid() {
        return process.pid();
    }

    @Override
    public VmRecord record() {
        return new VmRecord(plan.vmId(), driver.id(), process.pid(), process.startTime(), plan.runDir(), plan,
                Map.of("memory_file", memoryFile.toString(), "owns_memory_file", Boolean.toString(ownsMemoryFile)));
    }

    @Override
    public void pause() {
        qmp.execute("stop", null, QMP_DEADLINE);
    }

    @Override
    public void resume() {
        qmp.execute("cont", null, QMP_DEADLINE);
    }

    /** The run state QEMU reports ("running", "paused", "inmigrate", ...). */
    String status() {
        return qmp.execute("query-status", null, QMP_DEADLINE).path("status").asText();
    }

    QmpClient qmp() {
        return qmp;
    }

    Path memoryFile() {
        return memoryFile;
    }

    /**
     * Whether guest RAM is a shared file this VM owns (a booted VM, or a clone restored from an
     * in-stream snapshot), as opposed to a private map of a snapshot's memory file.
     */
    boolean sharedMemory() {
        return ownsMemoryFile;
    }

    VmPlan plan() {
        return plan;
    }

    @Override
    public SnapshotFiles snapshot(Path dir, SnapshotKind kind, boolean leaveStopped) {
        return driver.snapshots().take(this, dir, kind, leaveStopped);
    }

    @Override
    public ByteChannel openAgent(Duration timeout) {
        Path socket = plan.runDir().resolve(QemuArgs.AGENT_SOCKET);
        try {
            SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
            channel.connect(UnixDomainSocketAddress.of(socket));
            return channel;
        } catch (IOException e) {
            throw new ArcboxException.Unavailable(
                    "vm " + plan.vmId() + ": connecting to agent socket " + socket + ": " + e.getMessage(), e);
        }
    }

    @Override
    public Optional<ReadableByteChannel> openConsole() {
        Path socket = plan.runDir().resolve(QemuArgs.CONSOLE_SOCKET);
        try {
            SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
            channel.connect(UnixDomainSocketAddress.of(socket));
            return Optional.of(channel);
        } catch (IOException e) {
            throw new ArcboxException.Unavailable(
                    "vm " + plan.vmId() + ": connecting to console socket " + socket + ": " + e.getMessage(), e);
        }
    }

    @Override
    public AgentClient agent(Duration deadline) {
        if (exit.isDone()) {
            throw new ArcboxException.Unavailable("vm " + plan.vmId() + ": qemu is not running", null);
        }
        return agent.get(deadline);
    }

    @Override
    public void disconnectAgent() {
        agent.disconnect();
    }

    @Override
    public StopResult stop(Duration grace) {
        // a paused guest cannot answer SHUTDOWN: VmmStop goes straight to SIGTERM then
        return VmmStop.stop("vm " + plan.vmId() + ": qemu pid " + process.pid(), pidfd, agent, exit, guestRunning(),
                grace);
    }

    private boolean guestRunning() {
        try {
            return "running".equals(status());
        } catch (ArcboxException e) {
            return false;
        }
    }

    @Override
    public CompletableFuture<ExitInfo> onExit() {
        return exit.copy();
    }
}
