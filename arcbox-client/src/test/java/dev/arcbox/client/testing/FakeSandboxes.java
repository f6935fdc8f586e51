package dev.arcbox.client.testing;

import com.google.protobuf.ByteString;
import com.google.protobuf.Message;
import dev.arcbox.api.v1.CheckpointRequest;
import dev.arcbox.api.v1.CheckpointResponse;
import dev.arcbox.api.v1.CreateSandboxRequest;
import dev.arcbox.api.v1.CreateSandboxResponse;
import dev.arcbox.api.v1.DeleteSnapshotRequest;
import dev.arcbox.api.v1.Empty;
import dev.arcbox.api.v1.InspectSandboxRequest;
import dev.arcbox.api.v1.RemoveSandboxRequest;
import dev.arcbox.api.v1.RestoreRequest;
import dev.arcbox.api.v1.RestoreResponse;
import dev.arcbox.api.v1.RunOutput;
import dev.arcbox.api.v1.RunRequest;
import dev.arcbox.api.v1.SandboxInfo;
import dev.arcbox.api.v1.SandboxServiceGrpc;
import dev.arcbox.api.v1.SnapshotServiceGrpc;
import io.grpc.BindableService;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Stand-in SandboxService and SnapshotService for the client's tests: sandboxes exist once
 * created (ready at once), Run prints its argv to stdout and exits 0 ("false" exits 1),
 * checkpoints and restores make ids.
 */
public final class FakeSandboxes {

    public final List<Message> requests = new CopyOnWriteArrayList<>();
    public final Set<String> live = ConcurrentHashMap.newKeySet();

    public List<BindableService> services() {
        return List.of(new Sandboxes(), new Snapshots());
    }

    public <T extends Message> List<T> requests(Class<T> type) {
        return requests.stream().filter(type::isInstance).map(type::cast).toList();
    }

    private boolean known(String id, StreamObserver<?> response) {
        if (!live.contains(id)) {
            response.onError(Status.NOT_FOUND.withDescription("sandbox '" + id + "' not found").asRuntimeException());
            return false;
        }
        return true;
    }

    private final class Sandboxes extends SandboxServiceGrpc.SandboxServiceImplBase {
        @Override
        public void create(CreateSandboxRequest request, StreamObserver<CreateSandboxResponse> response) {
            requests.add(request);
            String id = request.getId().isEmpty() ? "sb-" + live.size() : request.getId();
            live.add(id);
            response.onNext(CreateSandboxResponse.newBuilder().setId(id).setState("ready").build());
            response.onCompleted();
        }

        @Override
        public void inspect(InspectSandboxRequest request, StreamObserver<SandboxInfo> response) {
            requests.add(request);
            if (known(request.getId(), response)) {
                response.onNext(SandboxInfo.newBuilder().setId(request.getId()).setState("ready").build());
                response.onCompleted();
            }
        }

        @Override
        public void remove(RemoveSandboxRequest request, StreamObserver<Empty> response) {
            requests.add(request);
            if (known(request.getId(), response)) {
                live.remove(request.getId());
                response.onNext(Empty.getDefaultInstance());
                response.onCompleted();
            }
        }

        @Override
        public void run(RunRequest request, StreamObserver<RunOutput> response) {
            requests.add(request);
            if (!known(request.getId(), response)) {
                return;
            }
            response.onNext(RunOutput.newBuilder().setStream("stdout")
                    .setData(ByteString.copyFromUtf8(String.join(" ", request.getCmdList()) + "\n")).build());
            response.onNext(RunOutput.newBuilder().setStream("exit")
                    .setExitCode(request.getCmd(0).equals("false") ? 1 : 0).setDone(true).build());
            response.onCompleted();
        }
    }

    private final class Snapshots extends SnapshotServiceGrpc.SnapshotServiceImplBase {
        @Override
        public void checkpoint(CheckpointRequest request, StreamObserver<CheckpointResponse> response) {
            requests.add(request);
            if (known(request.getSandboxId(), response)) {
                response.onNext(CheckpointResponse.newBuilder().setSnapshotId("snap-1").setSnapshotDir("/snapshots/snap-1")
                        .setSizeBytes(1 << 20).build());
                response.onCompleted();
            }
        }

        @Override
        public void restore(RestoreRequest request, StreamObserver<RestoreResponse> response) {
            requests.add(request);
            RestoreResponse.Builder b = RestoreResponse.newBuilder();
            for (int i = 0; i < Math.max(1, request.getCount()); i++) {
                String id = request.getSnapshotId() + "-clone-" + i;
                live.add(id);
                b.addIds(id);
            }
            response.onNext(b.setId(b.getIds(0)).build());
            response.onCompleted();
        }

        @Override
        public void delete(DeleteSnapshotRequest request, StreamObserver<Empty> response) {
            requests.add(request);
            response.onNext(Empty.getDefaultInstance());
            response.onCompleted();
        }
    }
}
