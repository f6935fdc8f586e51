package dev.arcbox.driver.firecracker;

import com.fasterxml.jackson.databind.JsonNode;
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
import dev.arcbox.driver.firecracker.api.BalloonUpdate;
import dev.arcbox.driver.firecracker.api.FcApiClient;
import dev.arcbox.driver.firecracker.api.InstanceActionInfo;
import dev.arcbox.driver.firecracker.api.InstanceInfo;
import dev.arcbox.driver.firecracker.api.MemoryHotplugSizeUpdate;
import dev.arcbox.driver.firecracker.api.VmState;
import java.nio.channels.ByteChannel;
import java.nio.channels.ReadableByteChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One Firecracker process and its guest. Besides the port's operations it offers Firecracker's
 * run-time controls: balloon target and statistics, hotplugged memory size, metrics.
 */
public final class FcVm implements RunningVm {

    private static final System.Logger LOG = System.getLogger(FcVm.class.getName());

    private final FcDriver driver;
    private final VmPlan plan;
    private final FcLayout layout;
    private final ProcessIdentity process;
    private final PidFd pidfd;
    private final FcApiClient api;
    private final FcPipes pipes;
    private final String vmmVersion;
    private final AgentLink agent;
    private final CompletableFuture<ExitInfo> exit;

    FcVm(FcDriver driver, VmPlan plan, FcLayout layout, ProcessIdentity process, PidFd pidfd, Process child,
            FcApiClient api, FcPipes pipes, String vmmVersion) {
        this.driver = driver;
        this.plan = plan;
        this.layout = layout;
        this.process = process;
        this.pidfd = pidfd;
        this.api = api;
        this.pipes = pipes;
        this.vmmVersion = vmmVersion;
        this.agent = new AgentLink(plan.vmId(), this::openAgent);
        this.exit = pidfd.onExit().handle((v, error) -> exitInfo(child)).thenApply(info -> {
            releaseHostFiles();
            return info;
        });
    }

    private static ExitInfo exitInfo(Process child) {
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
        String reason = code.isEmpty() ? "firecracker exited"
                : code.getAsInt() > 128 ? "firecracker killed by signal " + (code.getAsInt() - 128)
                : "firecracker exited with code " + code.getAsInt();
        return new ExitInfo(Instant.now(), code, reason);
    }

    /** Runs when the process is gone: closes connections and removes the run directory and jail. */
    private void releaseHostFiles() {
        agent.disconnect();
        pipes.close();
        pidfd.close();
        try {
            FileTree.delete(plan.runDir());
            layout.remove();
        } catch (ArcboxException e) {
            LOG.log(System.Logger.Level.WARNING, "vm " + plan.vmId() + ": cleaning up after exit: " + e.getMessage());
        }
    }

    /** Firecracker's standard output, where the serial console goes unless the spec set {@code serial_out}. */
    @Override
    public Optional<ReadableByteChannel> openConsole() {
        if (exit.isDone()) {
            throw new ArcboxException.Unavailable("vm " + plan.vmId() + ": firecracker is not running", null);
        }
        return Optional.of(pipes.console());
    }

    @Override
    public String vmId() {
        return plan.vmId();
    }

    @Override
    public long pid() {
        return process.pid();
    }

    VmPlan plan() {
        return plan;
    }

    FcLayout layout() {
        return layout;
    }

    FcApiClient api() {
        return api;
    }

    /** The Firecracker version this VM runs, as {@code GET /} reports it. */
    public String vmmVersion() {
        return vmmVersion;
    }

    @Override
    public VmRecord record() {
        Map<String, String> state = new HashMap<>();
        state.put("api_socket", layout.apiSocket().toString());
        state.put("vmm_version", vmmVersion == null ? "" : vmmVersion);
        if (layout instanceof FcJail jail) {
            state.put("jail_root", jail.root().toString());
            state.put("jail_uid", Long.toString(jail.uid()));
            state.put("jail_gid", Long.toString(jail.gid()));
        }
        return new VmRecord(plan.vmId(), driver.id(), process.pid(), process.startTime(), plan.runDir(), plan, state);
    }

    /** Firecracker's state: {@code Not started}, {@code Running} or {@code Paused}. */
    public String state() {
        return api.get("/", InstanceInfo.class).state();
    }

    @Override
    public void pause() {
        api.patch("/vm", new VmState("Paused"));
    }

    @Override
    public void resume() {
        api.patch("/vm", new VmState("Resumed"));
    }

    @Override
    public SnapshotFiles snapshot(Path dir, SnapshotKind kind, boolean leaveStopped) {
        return driver.snapshots().take(this, dir, kind, leaveStopped);
    }

    /** Sets the balloon's target ({@code PATCH /balloon}). */
    public void updateBalloon(long amountMib) {
        api.patch("/balloon", new BalloonUpdate(amountMib));
    }

    /** The balloon's statistics ({@code GET /balloon/statistics}; needs a polling interval at boot). */
    public JsonNode balloonStatistics() {
        return api.getTree("/balloon/statistics");
    }

    /** Asks the guest to plug {@code requestedMib} of the hotplug region ({@code PATCH /hotplug/memory}). */
    public void resizeHotplugMemory(long requestedMib) {
        api.patch("/hotplug/memory", new MemoryHotplugSizeUpdate(requestedMib));
    }

    /** Asks Firecracker to write its metrics now ({@code FlushMetrics}). */
    public void flushMetrics() {
        api.put("/actions", new InstanceActionInfo("FlushMetrics"));
    }

    @Override
    public Map<String, Long> vmmMetrics() {
        return pipes.latest();
    }

    @Override
    public ByteChannel openAgent(Duration timeout) {
        return FcVsock.connect(plan.vmId(), layout.hostPath(layout.runFile(FcDriver.VSOCK_SOCKET)), agentPort(plan),
                timeout);
    }

    static int agentPort(VmPlan plan) {
        try {
            return Integer.parseInt(plan.agentPort());
        } catch (NumberFormatException e) {
            return FcDriver.AGENT_VSOCK_PORT;
        }
    }

    @Override
    public AgentClient agent(Duration deadline) {
        if (exit.isDone()) {
            throw new ArcboxException.Unavailable("vm " + plan.vmId() + ": firecracker is not running", null);
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
        return VmmStop.stop("vm " + plan.vmId() + ": firecracker pid " + process.pid(), pidfd, agent, exit, guestRunning(),
                grace);
    }

    private boolean guestRunning() {
        try {
            return "Running".equals(state());
        } catch (ArcboxException e) {
            return false;
        }
    }

    @Override
    public CompletableFuture<ExitInfo> onExit() {
        return exit.copy();
    }
}
