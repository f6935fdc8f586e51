package dev.arcbox.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.util.JsonFormat;
import dev.arcbox.api.v1.CheckpointRequest;
import dev.arcbox.api.v1.CheckpointResponse;
import dev.arcbox.api.v1.DeleteSnapshotRequest;
import dev.arcbox.api.v1.InspectSnapshotRequest;
import dev.arcbox.api.v1.ListSnapshotsRequest;
import dev.arcbox.api.v1.ListSnapshotsResponse;
import dev.arcbox.api.v1.RestoreRequest;
import dev.arcbox.api.v1.RestoreResponse;
import dev.arcbox.api.v1.SnapshotInfo;
import dev.arcbox.api.v1.SnapshotSummary;
import io.grpc.Status;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SnapshotCommandsTest {

    private static final String KERNEL_HASH = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    private static final String ROOTFS_HASH = "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210";

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
    void create_mapsEveryFlagIntoTheRequest_andPrintsTheSnapshotId() {
        daemon.checkpointResponse = CheckpointResponse.newBuilder().setSnapshotId("snap-1")
                .setSnapshotDir("/var/lib/arcbox/snapshots/snap-1").setSizeBytes(1 << 20).build();

        Cli.Result r = cli.run("snapshot", "create", "sb-1", "--name", "base", "--label", "app=web",
                "--label", "v=a=b", "--stop");

        assertThat(r.err()).isEmpty();
        assertThat(r.exit()).isZero();
        assertThat(r.out()).isEqualTo("snap-1\n");
        assertThat(daemon.requests).containsExactly(CheckpointRequest.newBuilder()
                .setSandboxId("sb-1").setName("base").putLabels("app", "web").putLabels("v", "a=b").setStop(true)
                .build());
        // writing the memory out may take a while: the long deadline
        assertThat(daemon.deadlinesMillis.getFirst()).isBetween(60_001L, 600_000L);
    }

    @Test
    void create_withoutFlags_sendsOnlyTheSandbox() {
        daemon.checkpointResponse = CheckpointResponse.newBuilder().setSnapshotId("snap-2").build();

        Cli.Result r = cli.run("snapshot", "create", "sb-1");

        assertThat(r.out()).isEqualTo("snap-2\n");
        assertThat(daemon.requests).containsExactly(CheckpointRequest.newBuilder().setSandboxId("sb-1").build());
    }

    @Test
    void create_malformedLabel_isAUsageError_andSendsNothing() {
        Cli.Result r = cli.run("snapshot", "create", "sb-1", "--label", "novalue");

        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).startsWith("arcbox: ").contains("--label").contains("'novalue'");
        assertThat(r.err().lines()).hasSize(1);
        assertThat(cli.run("snapshot", "create").exit()).isEqualTo(2);
        assertThat(daemon.requests).isEmpty();
    }

    @Test
    void restore_fork_mapsEveryFlag_andPrintsEveryNewId() {
        daemon.restoreResponse = RestoreResponse.newBuilder().setId("web-0")
                .addIds("web-0").addIds("web-1").addIds("web-2").setTookMillis(80).build();

        Cli.Result r = cli.run("snapshot", "restore", "snap-1", "--id", "web", "--count", "3",
                "--label", "app=web", "--label", "tier=x", "--ttl", "600", "--wait");

        assertThat(r.err()).isEmpty();
        assertThat(r.exit()).isZero();
        assertThat(r.out()).isEqualTo("web-0\nweb-1\nweb-2\n");
        assertThat(daemon.requests).containsExactly(RestoreRequest.newBuilder()
                .setSnapshotId("snap-1").setId("web").setCount(3)
                .putLabels("app", "web").putLabels("tier", "x").setTtlSeconds(600)
                .setNetworkOverride(true)
                .build());
        // restore returns once the sandboxes are ready: the long deadline, --wait or not
        assertThat(daemon.deadlinesMillis.getFirst()).isBetween(60_001L, 600_000L);
    }

    @Test
    void restore_withoutFlags_asksForOneSandbox_andWaitChangesNothing() {
        daemon.restoreResponse = RestoreResponse.newBuilder().setId("generated").addIds("generated").build();

        Cli.Result plain = cli.run("snapshot", "restore", "snap-1");
        Cli.Result waited = cli.run("snapshot", "restore", "snap-1", "--wait");

        assertThat(plain.out()).isEqualTo("generated\n");
        assertThat(waited.out()).isEqualTo("generated\n");
        RestoreRequest expected = RestoreRequest.newBuilder().setSnapshotId("snap-1").setNetworkOverride(true).build();
        assertThat(daemon.requests).containsExactly(expected, expected);
        assertThat(daemon.deadlinesMillis).allMatch(ms -> ms > 60_000L);
    }

    @Test
    void restore_aResponseWithoutIds_printsItsId() {
        daemon.restoreResponse = RestoreResponse.newBuilder().setId("only").build();

        assertThat(cli.run("snapshot", "restore", "snap-1").out()).isEqualTo("only\n");
    }

    @ParameterizedTest
    @ValueSource(strings = {"0", "65", "-1", "1000", "many", ""})
    void restore_countOutside1To64_isAUsageError_andSendsNothing(String count) {
        Cli.Result r = cli.run("snapshot", "restore", "snap-1", "--count", count);

        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).startsWith("arcbox: ").contains("--count");
        assertThat(r.err().lines()).hasSize(1);
        assertThat(r.out()).isEmpty();
        assertThat(daemon.requests).isEmpty();
    }

    @Test
    void restore_countAtTheBounds_isSent() {
        daemon.restoreResponse = RestoreResponse.newBuilder().setId("x").addIds("x").build();

        assertThat(cli.run("snapshot", "restore", "snap-1", "--count", "1").exit()).isZero();
        assertThat(cli.run("snapshot", "restore", "snap-1", "--count", "64").exit()).isZero();

        assertThat(daemon.requests(RestoreRequest.class)).extracting(RestoreRequest::getCount).containsExactly(1, 64);
    }

    @Test
    void restore_help_saysWaitIsForSymmetry() {
        Cli.Result r = cli.run("snapshot", "restore", "--help");

        assertThat(r.exit()).isZero();
        assertThat(r.out().replaceAll("\\s+", " "))
                .contains("--wait")
                .contains("restore always returns once the sandboxes are ready")
                .contains("1 to 64");
    }

    @Test
    void restore_aFailedFork_reportsTheDaemonsLine() {
        daemon.failWith = Status.RESOURCE_EXHAUSTED.withDescription("fork of 40 exceeds max_sandboxes 50 (20 exist)");

        Cli.Result r = cli.run("snapshot", "restore", "snap-1", "--count", "40");

        assertThat(r.exit()).isEqualTo(6);
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).isEqualTo("arcbox: fork of 40 exceeds max_sandboxes 50 (20 exist) (RESOURCE_EXHAUSTED)\n");
    }

    private static ListSnapshotsResponse threeSnapshots() {
        return ListSnapshotsResponse.newBuilder()
                .addSnapshots(SnapshotSummary.newBuilder().setId("snap-1").setName("base").setSandboxId("sb-1")
                        .setSizeBytes(12_900_000).setCreatedAt("2026-11-27T11:55:00Z")
                        .putLabels("team", "a").putLabels("app", "web").setSnapshotDir("/d/snap-1"))
                .addSnapshots(SnapshotSummary.newBuilder().setId("snapshot-22").setSandboxId("sandbox-22")
                        .setSizeBytes(3L << 30 | 1L << 29).setCreatedAt("2026-11-24T10:59:59.877-01:00"))
                .addSnapshots(SnapshotSummary.newBuilder().setId("s3").setSizeBytes(512))
                .build();
    }

    @Test
    void ls_printsAnAlignedTable_withHumanSizes() {
        daemon.snapshotList = threeSnapshots();

        Cli.Result r = cli.run("snapshot", "ls");

        assertThat(r.exit()).isZero();
        assertThat(r.out()).isEqualTo("""
                ID           NAME  SANDBOX     SIZE      AGE  LABELS
                snap-1       base  sb-1        12.3 MiB  5m   app=web,team=a
                snapshot-22  -     sandbox-22  3.5 GiB   3d   -
                s3           -     -           512 B     -    -
                """);
        assertThat(daemon.requests).containsExactly(ListSnapshotsRequest.getDefaultInstance());
    }

    @Test
    void ls_sendsItsFilters_andQuietPrintsOnlyIds() {
        daemon.snapshotList = threeSnapshots();

        Cli.Result r = cli.run("snapshot", "ls", "--sandbox", "sb-1", "--label", "app=web", "--label", "team=a", "-q");

        assertThat(r.out()).isEqualTo("snap-1\nsnapshot-22\ns3\n");
        assertThat(daemon.requests).containsExactly(ListSnapshotsRequest.newBuilder()
                .setSandboxId("sb-1").putLabels("app", "web").putLabels("team", "a").build());
    }

    @Test
    void ls_json_isTheResponseWithProtoFieldNames() throws Exception {
        daemon.snapshotList = threeSnapshots();

        Cli.Result r = cli.run("snapshot", "ls", "-o", "json");

        assertThat(r.exit()).isZero();
        assertThat(r.out()).contains("\"size_bytes\": \"12900000\"").contains("\"sandbox_id\": \"sb-1\"");
        ListSnapshotsResponse.Builder parsed = ListSnapshotsResponse.newBuilder();
        JsonFormat.parser().merge(r.out(), parsed);
        assertThat(parsed.build()).isEqualTo(threeSnapshots());
    }

    @Test
    void ls_empty_printsTheHeaderOnly() {
        assertThat(cli.run("snapshot", "ls").out()).isEqualTo("ID  NAME  SANDBOX  SIZE  AGE  LABELS\n");
    }

    private static SnapshotInfo info() {
        return SnapshotInfo.newBuilder().setId("snap-1").setName("base").setSandboxId("sb-1")
                .putLabels("app", "web").setSnapshotDir("/var/lib/arcbox/snapshots/snap-1")
                .setCreatedAt("2026-11-27T11:58:00Z").setSizeBytes(12_900_000)
                .setDriver("qemu").setVmmVersion("QEMU 9.2.0").setKind("full").setMemoryFormat("raw_file")
                .putAssetHashes("kernel", KERNEL_HASH).putAssetHashes("rootfs", "sha256:" + ROOTFS_HASH)
                .putAssetHashes("initrd", "abc")
                .addUsedBy("web-0").addUsedBy("web-1").setVcpus(2).setMemoryMib(512)
                .build();
    }

    @Test
    void inspect_printsKeyValueLines_withShortHashes() {
        daemon.snapshotInfo = info();

        Cli.Result r = cli.run("snapshot", "inspect", "snap-1");

        assertThat(r.exit()).isZero();
        assertThat(daemon.requests).containsExactly(InspectSnapshotRequest.newBuilder().setSnapshotId("snap-1").build());
        assertThat(r.out()).isEqualTo("""
                id:            snap-1
                name:          base
                sandbox:       sb-1
                labels:        app=web
                created:       2026-11-27T11:58:00Z (2m ago)
                size:          12.3 MiB
                kind:          full
                memory format: raw_file
                parent:        -
                used by:       web-0,web-1
                vcpus:         2
                memory:        512 MiB
                driver:        qemu
                vmm version:   QEMU 9.2.0
                asset hashes:  initrd=abc,kernel=0123456789ab,rootfs=fedcba987654
                dir:           /var/lib/arcbox/snapshots/snap-1
                """);
    }

    @Test
    void inspect_ofASnapshotWhoseOriginIsGone_showsDashes() {
        daemon.snapshotInfo = SnapshotInfo.newBuilder().setId("snap-9").build();

        Cli.Result r = cli.run("snapshot", "inspect", "snap-9");

        assertThat(r.out().lines()).contains("sandbox:       -", "used by:       -", "created:       -",
                "size:          0 B", "asset hashes:  -");
    }

    @Test
    void inspect_json_roundTrips_withFullHashes() throws Exception {
        daemon.snapshotInfo = info();

        Cli.Result r = cli.run("snapshot", "inspect", "snap-1", "-o", "json");

        assertThat(r.exit()).isZero();
        assertThat(r.out()).contains("\"memory_format\": \"raw_file\"").contains("\"used_by\": [")
                .contains(KERNEL_HASH);
        SnapshotInfo.Builder parsed = SnapshotInfo.newBuilder();
        JsonFormat.parser().merge(r.out(), parsed);
        assertThat(parsed.build()).isEqualTo(info());
    }

    @Test
    void rm_sendsTheId_andPrintsIt() {
        Cli.Result r = cli.run("snapshot", "rm", "snap-1");

        assertThat(r.exit()).isZero();
        assertThat(r.out()).isEqualTo("snap-1\n");
        assertThat(daemon.requests).containsExactly(DeleteSnapshotRequest.newBuilder().setSnapshotId("snap-1").build());
    }

    @Test
    void rm_ofASnapshotInUse_exits5_withTheDaemonsMessage() {
        daemon.failWith = Status.FAILED_PRECONDITION
                .withDescription("snapshot 'snap-1' is in use by 2 sandboxes: web-0, web-1");

        Cli.Result r = cli.run("snapshot", "rm", "snap-1");

        assertThat(r.exit()).isEqualTo(5);
        assertThat(r.out()).isEmpty();
        assertThat(r.err())
                .isEqualTo("arcbox: snapshot 'snap-1' is in use by 2 sandboxes: web-0, web-1 (FAILED_PRECONDITION)\n");
    }

    @Test
    void inspect_ofAnUnknownSnapshot_exits3() {
        daemon.failWith = Status.NOT_FOUND.withDescription("snapshot 'nope' not found");

        Cli.Result r = cli.run("snapshot", "inspect", "nope");

        assertThat(r.exit()).isEqualTo(3);
        assertThat(r.err()).isEqualTo("arcbox: snapshot 'nope' not found (NOT_FOUND)\n");
    }

    @Test
    void usageErrors_exit2_withOneLine_andSendNothing() {
        for (String[] args : new String[][] {{"snapshot", "bogus"}, {"snapshot", "rm"}, {"snapshot", "inspect"},
                {"snapshot", "restore"}, {"snapshot", "ls", "-o", "yaml"}, {"snapshot", "restore", "s", "--ttl", "-5"}}) {
            Cli.Result r = cli.run(args);

            assertThat(r.exit()).as(String.join(" ", args)).isEqualTo(2);
            assertThat(r.err().lines()).as(String.join(" ", args)).hasSize(1).allMatch(l -> l.startsWith("arcbox: "));
        }
        assertThat(daemon.requests).isEmpty();
    }

    @Test
    void prune_mapsAgeLabelsAndDryRun_andPrintsWhatWentAndWhatStayed() {
        daemon.pruneResponse = dev.arcbox.api.v1.PruneSnapshotsResponse.newBuilder().addDeleted("snap-1")
                .addSkipped("snap-2").setFreedBytes(3 << 20).build();

        Cli.Result r = cli.run("snapshot", "prune", "--older-than", "24h", "-l", "env=ci", "--dry-run");

        assertThat(r.err()).isEmpty();
        assertThat(r.exit()).isZero();
        assertThat(r.out()).isEqualTo("would remove snap-1\nskipped snap-2 (in use)\nwould free 3.0 MiB\n");
        assertThat(daemon.requests).containsExactly(dev.arcbox.api.v1.PruneSnapshotsRequest.newBuilder()
                .setOlderThanSeconds(86_400).putLabels("env", "ci").setDryRun(true).build());
    }

    @ParameterizedTest
    @ValueSource(strings = {"90s:90", "30m:1800", "7d:604800", "45:45"})
    void prune_agesWithUnits(String ageAndSeconds) {
        String[] p = ageAndSeconds.split(":");
        Cli.Result r = cli.run("snapshot", "prune", "--older-than", p[0]);
        assertThat(r.exit()).isZero();
        assertThat(daemon.requests).containsExactly(dev.arcbox.api.v1.PruneSnapshotsRequest.newBuilder()
                .setOlderThanSeconds(Long.parseLong(p[1])).build());
    }

    @Test
    void prune_withoutAFilter_isAUsageError_andSendsNothing() {
        Cli.Result r = cli.run("snapshot", "prune");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("--older-than, --label or --all");
        assertThat(daemon.requests).isEmpty();

        Cli.Result bad = cli.run("snapshot", "prune", "--older-than", "2w");
        assertThat(bad.exit()).isEqualTo(2);
        assertThat(daemon.requests).isEmpty();
    }
}
