package dev.arcbox.daemon;

import dev.arcbox.api.v1.HealthRequest;
import dev.arcbox.api.v1.HealthResponse;
import dev.arcbox.api.v1.InfoRequest;
import dev.arcbox.api.v1.SystemInfo;
import dev.arcbox.api.v1.SystemServiceGrpc;
import dev.arcbox.core.config.DaemonConfig;
import dev.arcbox.core.driver.Capability;
import dev.arcbox.core.fs.DiskUsage;
import dev.arcbox.core.image.GuestImage;
import dev.arcbox.core.sandbox.HostMemory;
import dev.arcbox.core.sandbox.SandboxService;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;

/** SystemService: what this daemon is and runs. */
final class SystemApi extends SystemServiceGrpc.SystemServiceImplBase {

    static final String VERSION = "0.1.0";
    private final DaemonConfig config;
    private final SandboxService sandboxes;
    private final GuestImage image;
    private final Instant started;

    SystemApi(DaemonConfig config, SandboxService sandboxes, GuestImage image, Instant started) {
        this.config = config;
        this.sandboxes = sandboxes;
        this.image = image;
        this.started = started;
    }

    @Override
    public void info(InfoRequest request, StreamObserver<SystemInfo> out) {
        try {
            Map<String, Integer> byState = sandboxes.countByState();
            SystemInfo.Builder b = SystemInfo.newBuilder()
                    .setVersion(VERSION)
                    .setDriver(sandboxes.driver().id())
                    .setAccelerator(sandboxes.driver().capabilities().contains(Capability.HARDWARE_ACCELERATION)
                            ? "kvm" : "tcg")
                    .setDataDir(config.dataDir().toString())
                    .setSandboxes(byState.values().stream().mapToInt(Integer::intValue).sum())
                    .setMaxSandboxes(config.limits().maxSandboxes())
                    .setHostMemoryMib(Math.max(0, HostMemory.totalMib()))
                    .setHostMemoryAvailableMib(Math.max(0, HostMemory.availableMib()))
                    .setKernel(image.kernel().toString())
                    .setRootfs(image.rootfs().toString())
                    .setStartedAt(started.getEpochSecond())
                    .setDaemonRssKib(rssKib());
            long[] snaps = sandboxes.snapshots().usage();
            b.setSnapshots((int) snaps[0]).setSnapshotBytes(snaps[1]);
            b.setConsoleLogBytes(sandboxes.consoleLogBytes());
            b.setMetricsAddress(config.metrics().address().orElse(""));
            b.setCgroupMode(sandboxes.cgroups().mode()).setCgroupNote(sandboxes.cgroups().note())
                    .setSnapshotQuotaBytes(config.limits().snapshotQuotaBytes())
                    .setDiskBytes(sandboxes.diskBytes())
                    .setDataDirFreeBytes(DiskUsage.freeBytes(config.dataDir()));
            byState.forEach(b::putSandboxesByState);
            b.putAllDrivers(Drivers.status(config));
            sandboxes.driver().capabilities().stream().map(Enum::name).sorted().forEach(b::addCapabilities);
            out.onNext(b.build());
            out.onCompleted();
        } catch (RuntimeException e) {
            out.onError(Statuses.toStatus(e));
        }
    }

    @Override
    public void health(HealthRequest request, StreamObserver<HealthResponse> out) {
        out.onNext(HealthResponse.newBuilder().setServing(true).setMessage("ok").build());
        out.onCompleted();
    }

    private static long rssKib() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException | NumberFormatException e) {
            return 0;
        }
        return 0;
    }
}
