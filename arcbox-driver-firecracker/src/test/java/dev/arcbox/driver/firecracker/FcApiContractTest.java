package dev.arcbox.driver.firecracker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.arcbox.core.ArcboxException;
import dev.arcbox.core.config.FirecrackerConfig;
import dev.arcbox.core.driver.VmPlan;
import dev.arcbox.driver.firecracker.api.BalloonUpdate;
import dev.arcbox.driver.firecracker.api.FcApiClient;
import dev.arcbox.driver.firecracker.api.FcHttp;
import dev.arcbox.driver.firecracker.api.FcJson;
import dev.arcbox.driver.firecracker.api.InstanceInfo;
import dev.arcbox.driver.firecracker.api.MachineConfiguration;
import dev.arcbox.driver.firecracker.api.MemoryHotplugSizeUpdate;
import dev.arcbox.driver.firecracker.api.SnapshotCreateParams;
import dev.arcbox.driver.firecracker.api.VmState;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The driver's API sequences against a server that enforces Firecracker's documented phase rules
 * and body shapes ({@link FakeFirecracker}), in process: boot with every field, pause and resume,
 * Full and Diff snapshots, load with overrides, run-time controls, and the refusals.
 */
@Timeout(60)
class FcApiContractTest {

    @TempDir
    Path tmp;

    private FakeFirecracker server;
    private FcDriver driver;

    private final List<FcPipes> opened = new java.util.ArrayList<>();

    @AfterEach
    void stopServer() throws IOException {
        opened.forEach(FcPipes::close);
        if (server != null) {
            server.close();
        }
    }

    private FcApiClient start(Path root) throws Exception {
        Files.createDirectories(root);
        Path socket = root.resolve("api.sock");
        server = new FakeFirecracker(socket, root);
        FirecrackerConfig config = FcTestFiles.config(Path.of("/usr/bin/firecracker"), Optional.empty(), 5);
        driver = new FcDriver(config);
        return new FcApiClient(FcHttp.shared(), "t1", socket, Duration.ofSeconds(10));
    }

    /** Makes the FIFOs the fake writes to; the driver's own drains are tested elsewhere. */
    private FcPipes pipes(Path root) {
        FcPipes pipes = FcPipes.open("t1", root.resolve(FcDriver.LOG_FIFO), root.resolve(FcDriver.METRICS_FIFO),
                root.resolve(FcDriver.CONSOLE_FIFO), root.resolve("fc.log"), null);
        opened.add(pipes);
        return pipes;
    }

    private FcFiles boot(FcApiClient api, Path root, VmPlan plan) throws IOException {
        FcLayout layout = new FcLayout.Direct(root);
        layout.prepare();
        FcFiles files = driver.launcher().stageBoot(plan, layout);
        for (FcCall call : FcBootSequence.boot(plan, driver.config(), files)) {
            call.send(api);
        }
        return files;
    }

    @Test
    void boot_everyField_passesEveryRule_andRuns() throws Exception {
        Path root = tmp.resolve("vm");
        FcApiClient api = start(root);
        VmPlan plan = FcTestFiles.plan(tmp, "t1", FcTestFiles.everyFeature());
        FcPipes pipes = pipes(root);
        {
            boot(api, root, plan);
            assertThat(api.get("/", InstanceInfo.class).state()).isEqualTo("Running");
            assertThat(server.mmds().path("latest").path("meta-data").path("public-keys").path("0")
                    .path("openssh-key").asText()).startsWith("ssh-ed25519");
            assertThat(server.resolvedDrives().get("abx_rw")).isEqualTo(plan.disks().get(1).path().toRealPath());
            assertThat(server.requests().stream().filter(r -> r.startsWith("PUT")).toList()).last().asString()
                    .contains("InstanceStart");
            api.put("/actions", new dev.arcbox.driver.firecracker.api.InstanceActionInfo("FlushMetrics"));
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10))
                    .until(() -> pipes.latest().getOrDefault("vmm.flushes", 0L) >= 2);
        }
    }

    @Test
    void afterStart_preBootConfiguration_isRefusedWithFirecrackersFaultMessage() throws Exception {
        Path root = tmp.resolve("vm");
        FcApiClient api = start(root);
        FcPipes pipes = pipes(root);
        {
            boot(api, root, FcTestFiles.plan(tmp, "t1", FcTestFiles.everyFeature()));
            assertThatThrownBy(() -> api.put("/machine-config", new MachineConfiguration(2, 512, null, null, null, null)))
                    .isInstanceOf(ArcboxException.FailedPrecondition.class)
                    .hasMessageContaining("PUT /machine-config")
                    .hasMessageContaining("not supported after starting the microVM");
            assertThatThrownBy(() -> api.put("/actions", new dev.arcbox.driver.firecracker.api.InstanceActionInfo(
                    "InstanceStart"))).hasMessageContaining("already running");
        }
    }

    @Test
    void beforeStart_runTimeControls_areRefused() throws Exception {
        FcApiClient api = start(tmp.resolve("vm"));
        assertThatThrownBy(() -> api.patch("/vm", new VmState("Paused")))
                .isInstanceOf(ArcboxException.FailedPrecondition.class)
                .hasMessageContaining("not supported before starting the microVM");
        assertThatThrownBy(() -> api.put("/actions", new dev.arcbox.driver.firecracker.api.InstanceActionInfo(
                "InstanceStart"))).hasMessageContaining("without kernel configuration");
    }

    @Test
    void pauseSnapshotResume_fullAndDiff_followTheRules() throws Exception {
        Path root = tmp.resolve("vm");
        FcApiClient api = start(root);
        FcPipes pipes = pipes(root);
        {
            boot(api, root, FcTestFiles.plan(tmp, "t1", FcTestFiles.everyFeature()));
            Path snap = Files.createDirectories(tmp.resolve("snap"));
            SnapshotCreateParams full = new SnapshotCreateParams(snap.resolve("vmstate").toString(),
                    snap.resolve("memory").toString(), "Full");
            assertThatThrownBy(() -> api.put("/snapshot/create", full)).hasMessageContaining("pause it first");
            api.patch("/vm", new VmState("Paused"));
            assertThat(api.get("/", InstanceInfo.class).state()).isEqualTo("Paused");
            api.put("/snapshot/create", full);
            api.put("/snapshot/create", new SnapshotCreateParams(snap.resolve("diff-state").toString(),
                    snap.resolve("diff-memory").toString(), "Diff"));
            api.patch("/vm", new VmState("Resumed"));
            assertThat(api.get("/", InstanceInfo.class).state()).isEqualTo("Running");
            assertThat(Files.readString(snap.resolve("diff-memory"))).contains("Diff");
            assertThatThrownBy(() -> api.put("/snapshot/create", new SnapshotCreateParams("a", "b", "Partial")))
                    .hasMessageContaining("unknown variant `Partial`");
        }
    }

    @Test
    void runTimeControls_balloonAndHotplug_work() throws Exception {
        Path root = tmp.resolve("vm");
        FcApiClient api = start(root);
        FcPipes pipes = pipes(root);
        {
            boot(api, root, FcTestFiles.plan(tmp, "t1", FcTestFiles.everyFeature()));
            api.patch("/balloon", new BalloonUpdate(128));
            assertThat(api.getTree("/balloon/statistics").has("target_mib")).isTrue();
            api.patch("/hotplug/memory", new MemoryHotplugSizeUpdate(512));
            assertThatThrownBy(() -> api.patch("/hotplug/memory", new MemoryHotplugSizeUpdate(4096)))
                    .hasMessageContaining("exceeds total size");
        }
    }

    @Test
    void load_withOverrides_inAFreshProcess_resolvesTheClonesOwnDisks_andRestoresMmds() throws Exception {
        Path origin = tmp.resolve("origin");
        FcApiClient api = start(origin);
        VmPlan plan = FcTestFiles.plan(tmp, "t1", FcTestFiles.everyFeature());
        Path snap = Files.createDirectories(tmp.resolve("snap"));
        pipes(origin);
        {
            boot(api, origin, plan);
            api.patch("/vm", new VmState("Paused"));
            api.put("/snapshot/create", new SnapshotCreateParams(snap.resolve("vmstate").toString(),
                    snap.resolve("memory").toString(), "Full"));
        }
        server.close();

        Path cloneRoot = tmp.resolve("clone");
        FcApiClient clone = start(cloneRoot);
        VmPlan clonePlan = FcTestFiles.plan(tmp, "t2", FcTestFiles.everyFeature());
        pipes(cloneRoot);
        {
            FcLayout layout = new FcLayout.Direct(cloneRoot);
            layout.prepare();
            FcFiles files = driver.launcher().files(clonePlan, layout, null, null);
            List<FcCall> calls = FcSnapshots.load(clonePlan, driver, files, snap.resolve("vmstate").toString(),
                    snap.resolve("memory").toString());
            for (FcCall call : calls) {
                call.send(clone);
            }
            assertThat(clone.get("/", InstanceInfo.class).state()).isEqualTo("Running");
            assertThat(server.resolvedDrives().get("abx_rw")).isEqualTo(clonePlan.disks().get(1).path().toRealPath());
            assertThat(server.mmds().path("arcbox").path("sandbox").asText()).isEqualTo("every-field");
            assertThat(server.requests()).anyMatch(r -> r.contains("\"network_overrides\":[{\"iface_id\":\"eth0\","
                    + "\"host_dev_name\":\"abxt2\"}]"));
            assertThat(FcVsock.connect("t2", cloneRoot.resolve("v.sock"), 1024, Duration.ofSeconds(5)).isOpen()).isTrue();
        }
    }

    @Test
    void load_afterBootConfiguration_isRefused() throws Exception {
        Path root = tmp.resolve("vm");
        FcApiClient api = start(root);
        api.put("/machine-config", new MachineConfiguration(1, 128, null, null, null, null));
        assertThatThrownBy(() -> api.put("/snapshot/load", new dev.arcbox.driver.firecracker.api.SnapshotLoadParams(
                "s", new dev.arcbox.driver.firecracker.api.MemoryBackend("File", "m"), null, null, null, null)))
                .isInstanceOf(ArcboxException.FailedPrecondition.class)
                .hasMessageContaining("not allowed after configuring boot-specific resources");
    }

    @Test
    void bodies_areCheckedForTypesUnknownAndMissingFields() throws Exception {
        FcApiClient api = start(tmp.resolve("vm"));
        Map<String, Object> wrongType = new LinkedHashMap<>(Map.of("vcpu_count", "2", "mem_size_mib", 128));
        assertThatThrownBy(() -> api.put("/machine-config", wrongType))
                .isInstanceOf(ArcboxException.FailedPrecondition.class).hasMessageContaining("deserializing");
        assertThatThrownBy(() -> api.put("/machine-config", Map.of("vcpu_count", 1, "mem_size_mib", 128, "cpus", 1)))
                .hasMessageContaining("cpus");
        assertThatThrownBy(() -> api.put("/machine-config", Map.of("vcpu_count", 1)))
                .hasMessageContaining("missing field `mem_size_mib`");
        assertThatThrownBy(() -> api.put("/machine-config", new MachineConfiguration(3, 128, null, null, null, null)))
                .hasMessageContaining("vCPU number is invalid");
        assertThatThrownBy(() -> api.put("/drives/a-b", Map.of("drive_id", "a-b", "is_root_device", false,
                "path_on_host", "x"))).hasMessageContaining("alphanumeric characters and underscores");
        assertThat(FcJson.MAPPER.writeValueAsString(new MachineConfiguration(1, 128, null, null, null, null)))
                .isEqualTo("{\"vcpu_count\":1,\"mem_size_mib\":128}");
    }

    @Test
    void loggerAndMetrics_onceEach() throws Exception {
        Path root = tmp.resolve("vm");
        FcApiClient api = start(root);
        FcPipes pipes = pipes(root);
        {
            api.put("/logger", new dev.arcbox.driver.firecracker.api.Logger(FcDriver.LOG_FIFO, "Info", null, null, null));
            assertThatThrownBy(() -> api.put("/logger", new dev.arcbox.driver.firecracker.api.Logger(FcDriver.LOG_FIFO,
                    "Info", null, null, null))).hasMessageContaining("Logger already configured");
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10))
                    .until(() -> Files.exists(root.resolve("fc.log")) && Files.readString(root.resolve("fc.log"))
                            .contains("logger configured"));
        }
    }

    @Test
    void anErrorAnswer_carriesFaultMessage_intoTheException() throws Exception {
        FcApiClient api = start(tmp.resolve("vm"));
        server.failNext("/boot-source", "The kernel file cannot be opened: No such file or directory (os error 2)");
        assertThatThrownBy(() -> api.put("/boot-source", new dev.arcbox.driver.firecracker.api.BootSource("k", null, null)))
                .isInstanceOf(ArcboxException.FailedPrecondition.class)
                .hasMessage("vm t1: PUT /boot-source: firecracker answered 400: The kernel file cannot be opened: "
                        + "No such file or directory (os error 2)");
    }

    @Test
    void noServer_isUnavailable() {
        FcApiClient api = new FcApiClient(FcHttp.shared(), "t1", tmp.resolve("none.sock"), Duration.ofSeconds(2));
        assertThatThrownBy(() -> api.get("/", InstanceInfo.class)).isInstanceOf(ArcboxException.Unavailable.class)
                .hasMessageContaining("GET /");
    }
}
