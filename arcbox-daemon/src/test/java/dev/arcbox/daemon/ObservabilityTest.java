package dev.arcbox.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.arcbox.api.v1.CheckpointRequest;
import dev.arcbox.api.v1.CreateSandboxRequest;
import dev.arcbox.api.v1.InfoRequest;
import dev.arcbox.api.v1.InspectSandboxRequest;
import dev.arcbox.api.v1.LogChunk;
import dev.arcbox.api.v1.LogsRequest;
import dev.arcbox.api.v1.NetworkSpec;
import dev.arcbox.api.v1.RemoveSandboxRequest;
import dev.arcbox.api.v1.ResourceLimits;
import dev.arcbox.api.v1.RestoreRequest;
import dev.arcbox.api.v1.RunOutput;
import dev.arcbox.api.v1.RunRequest;
import dev.arcbox.api.v1.SandboxEvent;
import dev.arcbox.api.v1.SandboxEventsRequest;
import dev.arcbox.api.v1.SandboxInfo;
import dev.arcbox.api.v1.SandboxServiceGrpc;
import dev.arcbox.api.v1.SnapshotServiceGrpc;
import dev.arcbox.api.v1.SystemInfo;
import dev.arcbox.api.v1.SystemServiceGrpc;
import dev.arcbox.core.testing.TestRun;
import io.grpc.Context;
import io.grpc.StatusRuntimeException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * Console logs, metrics and the idle policy through a real daemon (in its own network namespace)
 * on real VMs: one origin booted cold and checkpointed once; the tests work on clones of it.
 */
@Tag("vm")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 6, unit = TimeUnit.MINUTES)
class ObservabilityTest {

    private static final int CAP = 16_384;
    private static final String METRICS = "127.0.0.1:9464";

    private DaemonProcess daemon;
    private String origin;
    private String snapshot;

    @BeforeAll
    void originAndSnapshot() throws Exception {
        TestRun.assumeQemuHost();
        daemon = new DaemonProcess("obs-" + TestRun.id(), DaemonProcess.netns(), """
                console_log_max_bytes = %d
                [metrics]
                address = "%s"
                """.formatted(CAP, METRICS)).start();
        origin = "origin-" + TestRun.vmId();
        daemon.sandboxes().create(CreateSandboxRequest.newBuilder().setId(origin).setWait(true)
                .setLimits(ResourceLimits.newBuilder().setVcpus(1).setMemoryMib(256))
                .setNetwork(NetworkSpec.newBuilder().setMode("none")).build());
        snapshot = snapshots().checkpoint(CheckpointRequest.newBuilder().setSandboxId(origin).build()).getSnapshotId();
    }

    @AfterAll
    void cleanUp() {
        if (daemon != null) {
            daemon.removeAllSandboxes();
            daemon.deleteAllSnapshots();
            daemon.close();
        }
    }

    private SnapshotServiceGrpc.SnapshotServiceBlockingStub snapshots() {
        return SnapshotServiceGrpc.newBlockingStub(daemon.channel()).withDeadlineAfter(3, TimeUnit.MINUTES);
    }

    private String clone(String name) {
        return snapshots().restore(RestoreRequest.newBuilder().setSnapshotId(snapshot)
                .setId(name + "-" + TestRun.vmId()).build()).getId();
    }

    private String run(String id, String... cmd) {
        StringBuilder out = new StringBuilder();
        Iterator<RunOutput> it = daemon.sandboxes().run(RunRequest.newBuilder().setId(id).addAllCmd(List.of(cmd)).build());
        RunOutput last = null;
        while (it.hasNext()) {
            last = it.next();
            if (last.getStream().equals("stdout")) {
                out.append(last.getData().toString(StandardCharsets.UTF_8));
            }
        }
        assertThat(last.getExitCode()).as("exit of %s in %s", List.of(cmd), id).isZero();
        return out.toString();
    }

    private SandboxInfo inspect(String id) {
        return daemon.sandboxes().inspect(InspectSandboxRequest.newBuilder().setId(id).build());
    }

    private List<LogChunk> logs(String id) {
        List<LogChunk> chunks = new ArrayList<>();
        daemon.sandboxes().logs(LogsRequest.newBuilder().setId(id).build()).forEachRemaining(chunks::add);
        return chunks;
    }

    private static String text(List<LogChunk> chunks) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        chunks.forEach(c -> out.writeBytes(c.getData().toByteArray()));
        return out.toString(StandardCharsets.UTF_8);
    }

    private long bytesOnDisk(String id) throws IOException {
        Path dir = daemon.dataDir.resolve("sandboxes").resolve(inspect(id).getUid());
        long total = 0;
        for (String name : List.of("console.log", "console.log.1")) {
            if (Files.exists(dir.resolve(name))) {
                total += Files.size(dir.resolve(name));
            }
        }
        return total;
    }

    @Test
    void coldBoot_consoleIsKept_withTheAgentsReadyMarker() {
        String text = text(logs(origin));
        assertThat(text).contains("ARCBOX_INIT").contains("ARCBOX_READY");
    }

    @Test
    void guestFloodingItsConsole_leavesTheLogAtItsCap_andANeighbourKeepsWorking() throws Exception {
        String flooder = clone("flood");
        run(flooder, "sh", "-c", "(exec sh -c 'while :; do echo flood; done' </dev/null >/dev/console 2>&1 &)");
        // well past several caps of output: the log has rotated many times
        Awaitility.await("console output past 4 caps").atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(500))
                .until(() -> {
                    List<LogChunk> chunks = logs(flooder);
                    return !chunks.isEmpty()
                            && chunks.getLast().getOffset() + chunks.getLast().getData().size() > 4L * CAP;
                });
        for (int i = 0; i < 5; i++) {
            assertThat(bytesOnDisk(flooder)).isLessThanOrEqualTo(CAP);
            assertThat(inspect(flooder).getConsoleLogBytes()).isLessThanOrEqualTo(CAP);
            assertThat(run(origin, "echo", "neighbour " + i)).isEqualTo("neighbour " + i + "\n");
        }
        List<LogChunk> chunks = logs(flooder);
        assertThat(chunks.getFirst().getLostBytes()).isPositive().isEqualTo(chunks.getFirst().getOffset());
        long retained = chunks.stream().mapToLong(c -> c.getData().size()).sum();
        assertThat(retained).isLessThanOrEqualTo(CAP).isGreaterThan(CAP / 4);
        assertThat(text(chunks)).contains("flood\r\n");
        // offsets are contiguous from the oldest retained byte to the newest
        for (int i = 1; i < chunks.size(); i++) {
            assertThat(chunks.get(i).getOffset())
                    .isEqualTo(chunks.get(i - 1).getOffset() + chunks.get(i - 1).getData().size());
        }
        SystemInfo info = SystemServiceGrpc.newBlockingStub(daemon.channel()).withDeadlineAfter(1, TimeUnit.MINUTES)
                .info(InfoRequest.getDefaultInstance());
        assertThat(info.getConsoleLogBytes()).isPositive();
        daemon.sandboxes().remove(RemoveSandboxRequest.newBuilder().setId(flooder).setForce(true).build());
        assertThat(run(origin, "echo", "still here")).isEqualTo("still here\n");
    }

    @Test
    void logsFollow_seesAMarkerWrittenAfterItStarted_acrossADaemonRestart_andEndsWhenTheSandboxGoes()
            throws Exception {
        String id = clone("follow");
        run(id, "sh", "-c", "echo BEFORE-MARK > /dev/console");
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> text(logs(id)).contains("BEFORE-MARK"));
        long endBefore = logs(id).stream().mapToLong(c -> c.getOffset() + c.getData().size()).max().orElse(0);

        // the daemon goes away and comes back: its console reader connects again
        daemon.kill();
        daemon.start();
        Follower follower = new Follower(daemon.sandboxes(), id);
        run(id, "sh", "-c", "echo FOLLOW-MARK-1 > /dev/console");
        Awaitility.await("marker in the followed stream").atMost(Duration.ofSeconds(60))
                .until(() -> follower.text().contains("FOLLOW-MARK-1"));
        assertThat(follower.text()).contains("BEFORE-MARK");
        // the console arrives a few bytes at a time: the marker may span chunks, so find it in their
        // concatenation (contiguous from the first chunk's offset) and check its absolute offset
        List<LogChunk> got = List.copyOf(follower.chunks);
        String bytes = new String(ByteString.copyFrom(got.stream().map(LogChunk::getData).toList()).toByteArray(),
                java.nio.charset.StandardCharsets.ISO_8859_1);
        int at = bytes.indexOf("FOLLOW-MARK-1");
        assertThat(at).isNotNegative();
        assertThat(got.getFirst().getOffset() + at + "FOLLOW-MARK-1".length()).isGreaterThan(endBefore);

        daemon.sandboxes().remove(RemoveSandboxRequest.newBuilder().setId(id).setForce(true).build());
        follower.done.get(30, TimeUnit.SECONDS);
    }

    /** A Logs call with follow, read on its own thread. */
    private static final class Follower {
        final List<LogChunk> chunks = new java.util.concurrent.CopyOnWriteArrayList<>();
        final CompletableFuture<Void> done = new CompletableFuture<>();

        Follower(SandboxServiceGrpc.SandboxServiceBlockingStub stub, String id) {
            Context.CancellableContext context = Context.current().withCancellation();
            Thread.ofVirtual().start(() -> context.run(() -> {
                try {
                    stub.logs(LogsRequest.newBuilder().setId(id).setFollow(true).build()).forEachRemaining(chunks::add);
                    done.complete(null);
                } catch (StatusRuntimeException e) {
                    done.completeExceptionally(e);
                }
            }));
        }

        String text() {
            return ObservabilityTest.text(chunks);
        }
    }

    @Test
    void metrics_afterCreateRunForkAndRemove_haveEverySeries() throws Exception {
        List<String> ids = snapshots().restore(RestoreRequest.newBuilder().setSnapshotId(snapshot)
                .setId("metrics-" + TestRun.vmId()).setCount(2).build()).getIdsList();
        String out = run(ids.getFirst(), "sh", "-c", "head -c 3000 /dev/zero | tr '\\0' x");
        assertThat(out).hasSize(3000);
        try {
            inspect("no-such-sandbox");
        } catch (StatusRuntimeException expected) {
            // an error for the error series
        }
        for (String id : ids) {
            daemon.sandboxes().remove(RemoveSandboxRequest.newBuilder().setId(id).setForce(true).build());
        }
        SystemInfo info = SystemServiceGrpc.newBlockingStub(daemon.channel()).withDeadlineAfter(1, TimeUnit.MINUTES)
                .info(InfoRequest.getDefaultInstance());
        assertThat(info.getMetricsAddress()).isEqualTo(METRICS);

        // the cache of computed values is short; scrape until the removals show
        String text = Awaitility.await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500))
                .until(this::scrape, t -> value(t, "arcbox_sandboxes{state=\"ready\"}") >= 1);
        assertThat(value(text, "arcbox_sandboxes{state=\"failed\"}")).isZero();
        assertThat(text).contains("arcbox_sandboxes{state=\"paused\"}", "arcbox_sandboxes{state=\"stopped\"}",
                "arcbox_sandboxes{state=\"starting\"}", "arcbox_sandboxes{state=\"running\"}");
        assertThat(value(text, "arcbox_sandbox_boot_seconds_count")).isGreaterThanOrEqualTo(1);
        assertThat(value(text, "arcbox_sandbox_boot_seconds_sum")).isBetween(0.1, 300.0);
        assertThat(value(text, "arcbox_sandbox_restore_seconds_count")).isGreaterThanOrEqualTo(2);
        assertThat(value(text, "arcbox_sandbox_fork_seconds_count")).isGreaterThanOrEqualTo(1);
        assertThat(text).contains("arcbox_sandbox_boot_seconds_bucket{le=\"8.0\"}");
        assertThat(value(text, "arcbox_api_requests_seconds_count{code=\"OK\",method=\"SandboxService/Run\"}"))
                .isGreaterThanOrEqualTo(1);
        assertThat(value(text, "arcbox_api_requests_seconds_count{code=\"OK\",method=\"SnapshotService/Restore\"}"))
                .isGreaterThanOrEqualTo(1);
        assertThat(value(text, "arcbox_api_errors_total{code=\"NOT_FOUND\",method=\"SandboxService/Inspect\"}"))
                .isGreaterThanOrEqualTo(1);
        assertThat(value(text, "arcbox_agent_reconnects_total")).isGreaterThanOrEqualTo(0);
        assertThat(value(text, "arcbox_exec_bytes_total{stream=\"stdout\"}")).isGreaterThanOrEqualTo(3000);
        assertThat(text).contains("arcbox_exec_bytes_total{stream=\"stderr\"}", "arcbox_exec_bytes_total{stream=\"stdin\"}",
                "arcbox_file_bytes_total{direction=\"read\"}", "arcbox_file_bytes_total{direction=\"write\"}");
        assertThat(value(text, "arcbox_daemon_rss_bytes")).isBetween(20e6, 4e9);
        assertThat(value(text, "arcbox_data_dir_usage_bytes")).isPositive();
        assertThat(value(text, "arcbox_snapshots_usage_bytes")).isPositive();
        assertThat(value(text, "arcbox_snapshots")).isGreaterThanOrEqualTo(1);
        assertThat(value(text, "arcbox_console_logs_usage_bytes")).isPositive();
    }

    private String scrape() throws IOException, InterruptedException {
        Process curl = new ProcessBuilder("ip", "netns", "exec", daemon.netns, "curl", "-sf", "--max-time", "20",
                "http://" + METRICS + "/metrics").redirectErrorStream(true).start();
        String text = new String(curl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(curl.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(curl.exitValue()).as("curl: %s", text).isZero();
        return text;
    }

    /** The value of one series (name with its labels as Prometheus prints them). */
    private static double value(String text, String series) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(series) + " (\\S+)$").matcher(text);
        assertThat(m.find()).as("series %s in:%n%s", series, text).isTrue();
        return Double.parseDouble(m.group(1));
    }

    @Test
    void idleSandbox_isPaused_theNextRunWakesIt_butARunningExecutionKeepsItAwake() {
        String id = "idle-" + TestRun.vmId();
        daemon.sandboxes().create(CreateSandboxRequest.newBuilder().setId(id).setWait(true)
                .setNetwork(NetworkSpec.newBuilder().setMode("none")).setIdleTimeoutSeconds(2).build());
        assertThat(inspect(id).getIdleTimeoutSeconds()).isEqualTo(2);
        assertThat(inspect(id).getIdleAction()).isEqualTo("pause");

        Awaitility.await("idle pause").atMost(Duration.ofSeconds(60)).until(() -> inspect(id).getState().equals("paused"));
        assertThat(inspect(id).getError()).isEqualTo("idle");
        assertThat(run(id, "echo", "awake")).isEqualTo("awake\n");
        assertThat(events(id)).containsSubsequence("ready", "idle-paused", "resumed");

        // a live execution keeps it awake for longer than its timeout
        var longRun = daemon.sandboxes().run(RunRequest.newBuilder().setId(id)
                .addAllCmd(List.of("sh", "-c", "sleep 6; echo done")).build());
        Awaitility.await("execution running").atMost(Duration.ofSeconds(60))
                .until(() -> inspect(id).getState().equals("running"));
        Awaitility.await("still running, not idle").during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(10))
                .until(() -> inspect(id).getState().equals("running"));
        StringBuilder out = new StringBuilder();
        longRun.forEachRemaining(o -> out.append(o.getData().toStringUtf8()));
        assertThat(out.toString()).isEqualTo("done\n");
        assertThat(inspect(id).getLastActivityAt()).isPositive();
        Awaitility.await("idle again").atMost(Duration.ofSeconds(60)).until(() -> inspect(id).getState().equals("paused"));
        daemon.sandboxes().remove(RemoveSandboxRequest.newBuilder().setId(id).setForce(true).build());
    }

    @Test
    void idleStop_stopsTheSandbox_andTheNextRunBootsItAgain() {
        String id = "idlestop-" + TestRun.vmId();
        daemon.sandboxes().create(CreateSandboxRequest.newBuilder().setId(id).setWait(true)
                .setNetwork(NetworkSpec.newBuilder().setMode("none")).setIdleTimeoutSeconds(2).setIdleAction("stop")
                .build());
        run(id, "sh", "-c", "echo kept > /root/file; sync");
        Awaitility.await("idle stop").atMost(Duration.ofSeconds(90)).until(() -> inspect(id).getState().equals("stopped"));
        assertThat(inspect(id).getError()).isEqualTo("idle");
        assertThat(inspect(id).getVmmPid()).isZero();
        // the call boots it again from its disk and runs once it is ready
        assertThat(run(id, "cat", "/root/file")).isEqualTo("kept\n");
        assertThat(events(id)).containsSubsequence("ready", "stopping", "stopped", "starting", "ready");
        daemon.sandboxes().remove(RemoveSandboxRequest.newBuilder().setId(id).setForce(true).build());
    }

    @Test
    void idleAction_unknown_isRefusedNamingTheField() {
        assertThatThrownBy(() -> daemon.sandboxes().create(CreateSandboxRequest.newBuilder().setId("bad-idle")
                .setNetwork(NetworkSpec.newBuilder().setMode("none")).setIdleTimeoutSeconds(2).setIdleAction("sleep")
                .build()))
                .isInstanceOf(StatusRuntimeException.class).hasMessageContaining("INVALID_ARGUMENT")
                .hasMessageContaining("idle_action: must be one of pause, stop");
    }

    private List<String> events(String id) {
        List<String> actions = new ArrayList<>();
        Iterator<SandboxEvent> it = SandboxServiceGrpc.newBlockingStub(daemon.channel())
                .withDeadlineAfter(5, TimeUnit.SECONDS)
                .events(SandboxEventsRequest.newBuilder().setId(id).setFromSeq(1).build());
        try {
            while (it.hasNext()) {
                actions.add(it.next().getAction());
            }
        } catch (StatusRuntimeException e) {
            // the replay is done when the deadline ends the followed stream
        }
        return actions;
    }
}
