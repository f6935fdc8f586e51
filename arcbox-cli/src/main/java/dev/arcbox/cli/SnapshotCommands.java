package dev.arcbox.cli;

import dev.arcbox.api.v1.CheckpointRequest;
import dev.arcbox.api.v1.CheckpointResponse;
import dev.arcbox.api.v1.DeleteSnapshotRequest;
import dev.arcbox.api.v1.InspectSnapshotRequest;
import dev.arcbox.api.v1.ListSnapshotsRequest;
import dev.arcbox.api.v1.ListSnapshotsResponse;
import dev.arcbox.api.v1.PruneSnapshotsRequest;
import dev.arcbox.api.v1.PruneSnapshotsResponse;
import dev.arcbox.api.v1.RestoreRequest;
import dev.arcbox.api.v1.RestoreResponse;
import dev.arcbox.api.v1.SnapshotInfo;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code arcbox snapshot ...}: one method per subcommand, each one call to SnapshotService. */
@Command(name = "snapshot",
        description = "Snapshot sandboxes, restore (and fork) sandboxes from snapshots, list, inspect and remove them.")
final class SnapshotCommands {

    @ParentCommand
    private Arcbox arcbox;

    @Spec
    private CommandSpec spec;

    @Command(name = "create", description = "Snapshot a ready (or paused) sandbox; prints the snapshot's id.")
    int create(
            @Parameters(paramLabel = "ID", description = "the sandbox") String sandboxId,
            @Option(names = "--name", paramLabel = "N", description = "a name for the snapshot") String name,
            @Option(names = "--label", paramLabel = "K=V", converter = KeyValue.Converter.class,
                    description = "a label of the snapshot; repeatable") List<KeyValue> labels,
            @Option(names = "--stop", description = "leave the sandbox stopped afterwards instead of running")
            boolean stop) {
        CheckpointRequest.Builder request = CheckpointRequest.newBuilder()
                .setSandboxId(sandboxId)
                .putAllLabels(KeyValue.toMap(labels))
                .setStop(stop);
        if (name != null) {
            request.setName(name);
        }
        return arcbox.withClient(client -> {
            // writes the guest's memory out: may take longer than a plain call
            CheckpointResponse created = client.snapshots(Client.WAIT_DEADLINE).checkpoint(request.build());
            arcbox.output().line(created.getSnapshotId());
            return ExitCodes.OK;
        });
    }

    @Command(name = "restore", description = {
            "Create sandboxes from a snapshot; prints their ids, one a line.",
            "With --count N > 1 it forks N sandboxes: all of them or none."})
    int restore(
            @Parameters(paramLabel = "SNAPSHOT") String snapshotId,
            @Option(names = "--id", paramLabel = "ID",
                    description = "the new sandbox's id; with --count, the stem of the new ids (default: generated)")
            String id,
            @Option(names = "--count", paramLabel = "N", converter = Counts.Fork.class,
                    description = "how many sandboxes, 1 to " + Counts.MAX_FORK + " (default: 1)") Integer count,
            @Option(names = "--label", paramLabel = "K=V", converter = KeyValue.Converter.class,
                    description = "a label of the new sandboxes; repeatable") List<KeyValue> labels,
            @Option(names = "--ttl", paramLabel = "SECONDS", converter = Counts.NonNegative.class,
                    description = "remove them after this long (0: never)") Integer ttl,
            @Option(names = "--wait", description = "accepted for symmetry with 'sandbox create': restore always"
                    + " returns once the sandboxes are ready") boolean wait) {
        RestoreRequest.Builder request = RestoreRequest.newBuilder()
                .setSnapshotId(snapshotId)
                .putAllLabels(KeyValue.toMap(labels))
                .setNetworkOverride(true);
        if (id != null) {
            request.setId(id);
        }
        if (count != null) {
            request.setCount(count);
        }
        if (ttl != null) {
            request.setTtlSeconds(ttl);
        }
        return arcbox.withClient(client -> {
            RestoreResponse restored = client.snapshots(Client.WAIT_DEADLINE).restore(request.build());
            List<String> ids = restored.getIdsList().isEmpty() ? List.of(restored.getId()) : restored.getIdsList();
            Output output = arcbox.output();
            ids.forEach(output::line);
            return ExitCodes.OK;
        });
    }

    @Command(name = "ls", description = "List snapshots.")
    int list(
            @Option(names = "--sandbox", paramLabel = "ID", description = "only those of this sandbox") String sandboxId,
            @Option(names = "--label", paramLabel = "K=V", converter = KeyValue.Converter.class,
                    description = "only those with this label (all must match)") List<KeyValue> labels,
            @Option(names = "-q", description = "print only the ids") boolean quiet,
            @Option(names = {"-o", "--output"}, paramLabel = "table|json", defaultValue = "table",
                    description = "output format (default: table)") Output.Format format) {
        ListSnapshotsRequest.Builder request = ListSnapshotsRequest.newBuilder().putAllLabels(KeyValue.toMap(labels));
        if (sandboxId != null) {
            request.setSandboxId(sandboxId);
        }
        return arcbox.withClient(client -> {
            ListSnapshotsResponse list = client.snapshots(Client.UNARY_DEADLINE).list(request.build());
            SnapshotViews.list(arcbox.output(), list, quiet, format);
            return ExitCodes.OK;
        });
    }

    @Command(name = "inspect", description = "Show one snapshot.")
    int inspect(
            @Parameters(paramLabel = "SNAPSHOT") String snapshotId,
            @Option(names = {"-o", "--output"}, paramLabel = "table|json", defaultValue = "table",
                    description = "output format (default: table)") Output.Format format) {
        InspectSnapshotRequest request = InspectSnapshotRequest.newBuilder().setSnapshotId(snapshotId).build();
        return arcbox.withClient(client -> {
            SnapshotInfo info = client.snapshots(Client.UNARY_DEADLINE).inspect(request);
            SnapshotViews.info(arcbox.output(), info, format);
            return ExitCodes.OK;
        });
    }

    @Command(name = "prune", description = {
            "Remove the snapshots older than an age and/or carrying labels; prints what it removed.",
            "Snapshots still used by running sandboxes are skipped. Without a filter, --all is needed."})
    int prune(
            @Option(names = "--older-than", paramLabel = "AGE", converter = Counts.Age.class,
                    description = "only those older than this (90s, 30m, 24h, 7d)") Long olderThan,
            @Option(names = {"-l", "--label"}, paramLabel = "K=V", converter = KeyValue.Converter.class,
                    description = "only those with this label (all must match); repeatable") List<KeyValue> labels,
            @Option(names = "--dry-run", description = "print what would be removed, remove nothing") boolean dryRun,
            @Option(names = "--all", description = "with no other filter: every snapshot not in use") boolean all) {
        if (olderThan == null && (labels == null || labels.isEmpty()) && !all) {
            throw new ParameterException(spec.commandLine(), "give --older-than, --label or --all");
        }
        PruneSnapshotsRequest request = PruneSnapshotsRequest.newBuilder()
                .setOlderThanSeconds(olderThan == null ? 0 : olderThan)
                .putAllLabels(KeyValue.toMap(labels))
                .setDryRun(dryRun)
                .build();
        return arcbox.withClient(client -> {
            PruneSnapshotsResponse pruned = client.snapshots(Client.WAIT_DEADLINE).prune(request);
            Output output = arcbox.output();
            pruned.getDeletedList().forEach(id -> output.line((dryRun ? "would remove " : "removed ") + id));
            pruned.getSkippedList().forEach(id -> output.line("skipped " + id + " (in use)"));
            output.line((dryRun ? "would free " : "freed ") + Output.bytes(pruned.getFreedBytes()));
            return ExitCodes.OK;
        });
    }

    @Command(name = "rm", description = "Remove a snapshot; refused while sandboxes restored from it still run.")
    int remove(@Parameters(paramLabel = "SNAPSHOT") String snapshotId) {
        DeleteSnapshotRequest request = DeleteSnapshotRequest.newBuilder().setSnapshotId(snapshotId).build();
        return arcbox.withClient(client -> {
            client.snapshots(Client.UNARY_DEADLINE).delete(request);
            arcbox.output().line(snapshotId);
            return ExitCodes.OK;
        });
    }
}
