package dev.arcbox.daemon;

import dev.arcbox.api.v1.CheckpointRequest;
import dev.arcbox.api.v1.CheckpointResponse;
import dev.arcbox.api.v1.DeleteSnapshotRequest;
import dev.arcbox.api.v1.Empty;
import dev.arcbox.api.v1.InspectSnapshotRequest;
import dev.arcbox.api.v1.ListSnapshotsRequest;
import dev.arcbox.api.v1.ListSnapshotsResponse;
import dev.arcbox.api.v1.PruneSnapshotsRequest;
import dev.arcbox.api.v1.PruneSnapshotsResponse;
import dev.arcbox.api.v1.RestoreRequest;
import dev.arcbox.api.v1.RestoreResponse;
import dev.arcbox.api.v1.SnapshotInfo;
import dev.arcbox.api.v1.SnapshotServiceGrpc;
import dev.arcbox.api.v1.SnapshotSummary;
import dev.arcbox.core.sandbox.SandboxView;
import dev.arcbox.core.sandbox.SnapshotPrune;
import dev.arcbox.core.sandbox.SnapshotView;
import dev.arcbox.core.sandbox.Snapshots;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/** SnapshotService over gRPC. */
final class SnapshotApi extends SnapshotServiceGrpc.SnapshotServiceImplBase {

    private final Snapshots snapshots;

    SnapshotApi(Snapshots snapshots) {
        this.snapshots = snapshots;
    }

    @Override
    public void checkpoint(CheckpointRequest request, StreamObserver<CheckpointResponse> out) {
        Calls.unary(out, () -> {
            long t0 = System.nanoTime();
            SnapshotView v = snapshots.checkpoint(request.getSandboxId(), request.getName(), request.getLabelsMap(),
                    request.getStop());
            return CheckpointResponse.newBuilder().setSnapshotId(v.id()).setSnapshotDir(v.files().dir().toString())
                    .setCreatedAt(v.createdAt().toString()).setSizeBytes(v.sizeBytes())
                    .setTookMillis((System.nanoTime() - t0) / 1_000_000).build();
        });
    }

    @Override
    public void restore(RestoreRequest request, StreamObserver<RestoreResponse> out) {
        Calls.unary(out, () -> {
            long t0 = System.nanoTime();
            List<SandboxView> views = snapshots.restore(request.getSnapshotId(), request.getId(),
                    Math.max(1, request.getCount()), request.getLabelsMap(),
                    request.getTtlSeconds() > 0 ? Optional.of(Duration.ofSeconds(request.getTtlSeconds())) : Optional.empty());
            RestoreResponse.Builder b = RestoreResponse.newBuilder().setId(views.getFirst().id())
                    .setIpAddress(views.getFirst().ipAddress() == null ? "" : views.getFirst().ipAddress())
                    .setTookMillis((System.nanoTime() - t0) / 1_000_000);
            views.forEach(v -> b.addIds(v.id()));
            return b.build();
        });
    }

    @Override
    public void prune(PruneSnapshotsRequest request, StreamObserver<PruneSnapshotsResponse> out) {
        Calls.unary(out, () -> {
            if (request.getOlderThanSeconds() > Integer.MAX_VALUE) {
                throw new dev.arcbox.core.ArcboxException.InvalidArgument("older_than_seconds: at most "
                        + Integer.MAX_VALUE + ", got " + Long.toUnsignedString(request.getOlderThanSeconds()));
            }
            SnapshotPrune p = snapshots.prune(Duration.ofSeconds(request.getOlderThanSeconds()), request.getLabelsMap(),
                    request.getDryRun());
            return PruneSnapshotsResponse.newBuilder().addAllDeleted(p.deleted()).addAllSkipped(p.skipped())
                    .setFreedBytes(p.freedBytes()).build();
        });
    }

    @Override
    public void list(ListSnapshotsRequest request, StreamObserver<ListSnapshotsResponse> out) {
        Calls.unary(out, () -> {
            ListSnapshotsResponse.Builder b = ListSnapshotsResponse.newBuilder();
            for (SnapshotView v : snapshots.list(request.getSandboxId(), request.getLabelsMap())) {
                b.addSnapshots(SnapshotSummary.newBuilder().setId(v.id()).setName(v.name()).setSandboxId(v.originId())
                        .putAllLabels(v.labels()).setSnapshotDir(v.files().dir().toString())
                        .setCreatedAt(v.createdAt().toString()).setSizeBytes(v.sizeBytes()));
            }
            return b.build();
        });
    }

    @Override
    public void inspect(InspectSnapshotRequest request, StreamObserver<SnapshotInfo> out) {
        Calls.unary(out, () -> {
            SnapshotView v = snapshots.inspect(request.getSnapshotId());
            return SnapshotInfo.newBuilder().setId(v.id()).setName(v.name()).setSandboxId(v.originId())
                    .putAllLabels(v.labels()).setSnapshotDir(v.files().dir().toString())
                    .setCreatedAt(v.createdAt().toString()).setSizeBytes(v.sizeBytes())
                    .setDriver(v.files().driver()).setVmmVersion(v.files().vmmVersion())
                    .setKind(v.files().kind().name().toLowerCase(Locale.ROOT))
                    .setMemoryFormat(v.files().memoryFormat().name().toLowerCase(Locale.ROOT))
                    .putAllAssetHashes(v.files().assetHashes()).addAllUsedBy(v.usedBy())
                    .setVcpus(v.files().machine().vcpus()).setMemoryMib(v.files().machine().memoryMib()).build();
        });
    }

    @Override
    public void delete(DeleteSnapshotRequest request, StreamObserver<Empty> out) {
        Calls.unary(out, () -> {
            snapshots.delete(request.getSnapshotId());
            return Empty.getDefaultInstance();
        });
    }
}
