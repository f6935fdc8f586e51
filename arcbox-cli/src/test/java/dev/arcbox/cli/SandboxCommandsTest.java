package dev.arcbox.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.util.JsonFormat;
import dev.arcbox.api.v1.CreateSandboxRequest;
import dev.arcbox.api.v1.CreateSandboxResponse;
import dev.arcbox.api.v1.InspectSandboxRequest;
import dev.arcbox.api.v1.ListSandboxesRequest;
import dev.arcbox.api.v1.ListSandboxesResponse;
import dev.arcbox.api.v1.NetworkSpec;
import dev.arcbox.api.v1.PauseSandboxRequest;
import dev.arcbox.api.v1.RemoveSandboxRequest;
import dev.arcbox.api.v1.ResourceLimits;
import dev.arcbox.api.v1.ResumeSandboxRequest;
import dev.arcbox.api.v1.SandboxInfo;
import dev.arcbox.api.v1.SandboxNetwork;
import dev.arcbox.api.v1.SandboxSummary;
import dev.arcbox.api.v1.StartSandboxRequest;
import dev.arcbox.api.v1.StopSandboxRequest;
import io.grpc.Status;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SandboxCommandsTest {

    private static final long NOW = Cli.NOW.getEpochSecond();

    @TempDir
    Path dir;
    private FakeDaemon daemon;
    private Cli cli;

    @BeforeEach
    void start() throws Exception {
        daemon = FakeDaemon.start(dir.resolve("arcbox.sock"));
        cli = Cli.at(daemon.socket);
    }

    @AfterEach
    void stop() throws Exception {
        daemon.close();
    }

    @Test
    void create_mapsEveryFlagIntoTheRequest_andPrintsTheId() {
        daemon.createResponse = CreateSandboxResponse.newBuilder().setId("sb-1").setState("ready").build();

        Cli.Result r = cli.run("sandbox", "create", "--id", "sb-1", "--vcpus", "2", "--memory", "512",
                "--kernel", "/images/vmlinux", "--rootfs", "/images/rootfs.ext4",
                "--label", "app=web", "--label", "team=a=b", "--env", "A=1", "--env", "EMPTY=",
                "--ttl", "600", "--network", "none", "--wait", "--no-start");

        assertThat(r.err()).isEmpty();
        assertThat(r.exit()).isZero();
        assertThat(r.out()).isEqualTo("sb-1\n");
        assertThat(daemon.requests(CreateSandboxRequest.class)).containsExactly(CreateSandboxRequest.newBuilder()
                .setId("sb-1")
                .setLimits(ResourceLimits.newBuilder().setVcpus(2).setMemoryMib(512))
                .setKernel("/images/vmlinux")
                .setRootfs("/images/rootfs.ext4")
                .putLabels("app", "web").putLabels("team", "a=b")
                .putEnv("A", "1").putEnv("EMPTY", "")
                .setTtlSeconds(600)
                .setNetwork(NetworkSpec.newBuilder().setMode("none"))
                .setWait(true)
                .setNoStart(true)
                .build());
    }

    @Test
    void create_withoutFlags_leavesEveryDefaultToTheDaemon() {
        daemon.createResponse = CreateSandboxResponse.newBuilder().setId("generated").build();

        Cli.Result r = cli.run("sandbox", "create");

        assertThat(r.exit()).isZero();
        assertThat(r.out()).isEqualTo("generated\n");
        CreateSandboxRequest sent = daemon.requests(CreateSandboxRequest.class).getFirst();
        assertThat(sent).isEqualTo(CreateSandboxRequest.getDefaultInstance());
        assertThat(sent.hasLimits()).isFalse();
        assertThat(sent.hasNetwork()).isFalse();
    }

    @Test
    void create_relativeKernelPath_isSentAbsolute() {
        cli.run("sandbox", "create", "--kernel", "vmlinux");

        assertThat(daemon.requests(CreateSandboxRequest.class).getFirst().getKernel())
                .isEqualTo(Path.of("vmlinux").toAbsolutePath().toString());
    }

    @Test
    void waitingCalls_getTheLongDeadline_otherUnaryCallsOneMinute() {
        cli.run("sandbox", "create");
        cli.run("sandbox", "create", "--wait");
        cli.run("sandbox", "start", "x");
        cli.run("sandbox", "start", "x", "--wait");

        assertThat(daemon.deadlinesMillis).hasSize(4);
        assertThat(daemon.deadlinesMillis.get(0)).isBetween(1L, 60_000L);
        assertThat(daemon.deadlinesMillis.get(1)).isBetween(60_001L, 600_000L);
        assertThat(daemon.deadlinesMillis.get(2)).isBetween(1L, 60_000L);
        assertThat(daemon.deadlinesMillis.get(3)).isBetween(60_001L, 600_000L);
    }

    @ParameterizedTest
    @ValueSource(strings = {"--label", "--env"})
    void create_malformedKeyValue_isAUsageError_andSendsNothing(String option) {
        for (String bad : new String[] {"novalue", "=v", " k=v"}) {
            Cli.Result r = cli.run("sandbox", "create", option, "ok=1", option, bad);

            assertThat(r.exit()).as(bad).isEqualTo(2);
            assertThat(r.err()).as(bad).startsWith("arcbox: ").contains(option).contains("'" + bad + "'");
            assertThat(r.err().lines()).as(bad).hasSize(1);
        }
        assertThat(daemon.requests).isEmpty();
    }

    @Test
    void create_badNumberOrNetwork_isAUsageError_andSendsNothing() {
        assertThat(cli.run("sandbox", "create", "--vcpus", "0").exit()).isEqualTo(2);
        assertThat(cli.run("sandbox", "create", "--memory", "lots").exit()).isEqualTo(2);
        assertThat(cli.run("sandbox", "create", "--ttl", "-1").exit()).isEqualTo(2);
        Cli.Result network = cli.run("sandbox", "create", "--network", "bridge");
        assertThat(network.exit()).isEqualTo(2);
        assertThat(network.err()).contains("'bridge' is not one of tap, none");
        assertThat(daemon.requests).isEmpty();
    }

    private static ListSandboxesResponse twoSandboxes() {
        return ListSandboxesResponse.newBuilder()
                .addSandboxes(SandboxSummary.newBuilder().setId("sb-1").setState("running").setIpAddress("10.0.0.2")
                        .setCreatedAt(NOW - 300).putLabels("team", "a").putLabels("app", "web"))
                .addSandboxes(SandboxSummary.newBuilder().setId("sandbox-22").setState("stopped")
                        .setCreatedAt(NOW - 3 * 86400))
                .build();
    }

    @Test
    void ls_printsAnAlignedTable() {
        daemon.listResponse = twoSandboxes();

        Cli.Result r = cli.run("sandbox", "ls");

        assertThat(r.exit()).isZero();
        assertThat(r.out()).isEqualTo("""
                ID          STATE    IP        AGE  LABELS
                sb-1        running  10.0.0.2  5m   app=web,team=a
                sandbox-22  stopped  -         3d   -
                """);
        assertThat(daemon.requests(ListSandboxesRequest.class)).containsExactly(ListSandboxesRequest.getDefaultInstance());
    }

    @Test
    void ls_sendsItsFilters_andQuietPrintsOnlyIds() {
        daemon.listResponse = twoSandboxes();

        Cli.Result r = cli.run("sandbox", "ls", "--state", "running", "--label", "app=web", "-q");

        assertThat(r.out()).isEqualTo("sb-1\nsandbox-22\n");
        assertThat(daemon.requests(ListSandboxesRequest.class)).containsExactly(
                ListSandboxesRequest.newBuilder().setState("running").putLabels("app", "web").build());
    }

    @Test
    void ls_json_isTheResponseWithProtoFieldNames() throws Exception {
        daemon.listResponse = twoSandboxes();

        Cli.Result r = cli.run("sandbox", "ls", "-o", "json");

        assertThat(r.exit()).isZero();
        assertThat(r.out()).contains("\"ip_address\": \"10.0.0.2\"").contains("\"created_at\"");
        ListSandboxesResponse.Builder parsed = ListSandboxesResponse.newBuilder();
        JsonFormat.parser().merge(r.out(), parsed);
        assertThat(parsed.build()).isEqualTo(twoSandboxes());
    }

    private static SandboxInfo info() {
        return SandboxInfo.newBuilder().setId("sb-1").setState("running").putLabels("app", "web")
                .setLimits(ResourceLimits.newBuilder().setVcpus(2).setMemoryMib(512))
                .setNetwork(SandboxNetwork.newBuilder().setIpAddress("10.0.0.2").setGateway("10.0.0.1")
                        .setMode("tap").setTapName("abx1f3a").setMac("02:00:00:00:00:02"))
                .setCreatedAt(NOW - 120).setReadyAt(NOW - 119).setBootMillis(850).setTtlDeadline(NOW + 3600)
                .setDriver("qemu").setVmmPid(4242).setUid("1f3a").setGeneration(3)
                .build();
    }

    @Test
    void inspect_printsKeyValueLines() {
        daemon.info = info();

        Cli.Result r = cli.run("sandbox", "inspect", "sb-1");

        assertThat(r.exit()).isZero();
        assertThat(daemon.requests(InspectSandboxRequest.class))
                .containsExactly(InspectSandboxRequest.newBuilder().setId("sb-1").build());
        assertThat(r.out().lines()).contains(
                "id:                 sb-1",
                "state:              running",
                "labels:             app=web",
                "vcpus:              2",
                "memory:             512 MiB",
                "ip:                 10.0.0.2",
                "created:            2026-11-27T11:58:00Z (2m ago)",
                "boot:               850 ms",
                "ttl deadline:       2026-11-27T13:00:00Z (in 1h)",
                "last exit code:     -",
                "vmm pid:            4242");
    }

    @Test
    void inspect_json_roundTrips() throws Exception {
        daemon.info = info();

        Cli.Result r = cli.run("sandbox", "inspect", "sb-1", "-o", "json");

        assertThat(r.out()).contains("\"boot_millis\"").contains("\"last_exit_code\": 0");
        SandboxInfo.Builder parsed = SandboxInfo.newBuilder();
        JsonFormat.parser().merge(r.out(), parsed);
        assertThat(parsed.build()).isEqualTo(info());
    }

    @Test
    void stop_start_rm_sendTheirFields() {
        daemon.info = SandboxInfo.newBuilder().setId("sb-1").build();

        assertThat(cli.run("sandbox", "stop", "sb-1", "--timeout", "5").exit()).isZero();
        assertThat(cli.run("sandbox", "stop", "sb-1").exit()).isZero();
        assertThat(cli.run("sandbox", "start", "sb-1", "--wait").exit()).isZero();
        assertThat(cli.run("sandbox", "rm", "-f", "sb-1").exit()).isZero();
        Cli.Result rm = cli.run("sandbox", "rm", "sb-1");

        assertThat(rm.out()).isEqualTo("sb-1\n");
        assertThat(daemon.requests).containsExactly(
                StopSandboxRequest.newBuilder().setId("sb-1").setTimeoutSeconds(5).build(),
                StopSandboxRequest.newBuilder().setId("sb-1").build(),
                StartSandboxRequest.newBuilder().setId("sb-1").setWait(true).build(),
                RemoveSandboxRequest.newBuilder().setId("sb-1").setForce(true).build(),
                RemoveSandboxRequest.newBuilder().setId("sb-1").build());
        assertThat(daemon.deadlinesMillis.getFirst()).isBetween(60_001L, 65_000L);
    }

    @Test
    void pause_resume_sendTheId_andPrintIt() {
        daemon.info = SandboxInfo.newBuilder().setId("sb-1").setState("paused").build();

        Cli.Result pause = cli.run("sandbox", "pause", "sb-1");
        Cli.Result resume = cli.run("sandbox", "resume", "sb-1");

        assertThat(pause.err()).isEmpty();
        assertThat(pause.exit()).isZero();
        assertThat(pause.out()).isEqualTo("sb-1\n");
        assertThat(resume.exit()).isZero();
        assertThat(resume.out()).isEqualTo("sb-1\n");
        assertThat(daemon.requests).containsExactly(
                PauseSandboxRequest.newBuilder().setId("sb-1").build(),
                ResumeSandboxRequest.newBuilder().setId("sb-1").build());
        assertThat(daemon.deadlinesMillis).allMatch(ms -> ms > 0 && ms <= 60_000L);
    }

    @Test
    void pause_ofAStoppedSandbox_exits5_withTheDaemonsMessage() {
        daemon.failWith = Status.FAILED_PRECONDITION.withDescription("sandbox 'sb-1' is stopped, not ready");

        Cli.Result r = cli.run("sandbox", "pause", "sb-1");

        assertThat(r.exit()).isEqualTo(5);
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).isEqualTo("arcbox: sandbox 'sb-1' is stopped, not ready (FAILED_PRECONDITION)\n");
    }

    @Test
    void pause_resume_needAnId() {
        assertThat(cli.run("sandbox", "pause").exit()).isEqualTo(2);
        assertThat(cli.run("sandbox", "resume").exit()).isEqualTo(2);
        assertThat(daemon.requests).isEmpty();
    }
}
