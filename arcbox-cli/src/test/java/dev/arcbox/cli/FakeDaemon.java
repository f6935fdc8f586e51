package dev.arcbox.cli;

import com.google.protobuf.Message;
import dev.arcbox.client.testing.FakeGuest;
import dev.arcbox.api.v1.CheckpointRequest;
import dev.arcbox.api.v1.CheckpointResponse;
import dev.arcbox.api.v1.CreateSandboxRequest;
import dev.arcbox.api.v1.CreateSandboxResponse;
import dev.arcbox.api.v1.DeleteSnapshotRequest;
import dev.arcbox.api.v1.Empty;
import dev.arcbox.api.v1.InfoRequest;
import dev.arcbox.api.v1.InspectSandboxRequest;
import dev.arcbox.api.v1.InspectSnapshotRequest;
import dev.arcbox.api.v1.ListSandboxesRequest;
import dev.arcbox.api.v1.ListSandboxesResponse;
import dev.arcbox.api.v1.ListSnapshotsRequest;
import dev.arcbox.api.v1.ListSnapshotsResponse;
import dev.arcbox.api.v1.LogChunk;
import dev.arcbox.api.v1.LogsRequest;
import dev.arcbox.api.v1.PauseSandboxRequest;
import dev.arcbox.api.v1.RemoveSandboxRequest;
import dev.arcbox.api.v1.RestoreRequest;
import dev.arcbox.api.v1.RestoreResponse;
import dev.arcbox.api.v1.ResumeSandboxRequest;
import dev.arcbox.api.v1.RunOutput;
import dev.arcbox.api.v1.RunRequest;
import dev.arcbox.api.v1.SandboxEvent;
import dev.arcbox.api.v1.SandboxEventsRequest;
import dev.arcbox.api.v1.SandboxInfo;
import dev.arcbox.api.v1.SandboxServiceGrpc;
import dev.arcbox.api.v1.SnapshotInfo;
import dev.arcbox.api.v1.SnapshotServiceGrpc;
import dev.arcbox.api.v1.StartSandboxRequest;
import dev.arcbox.api.v1.StopSandboxRequest;
import dev.arcbox.api.v1.SystemInfo;
import dev.arcbox.api.v1.SystemServiceGrpc;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A stand-in arcboxd: a real gRPC server on a Unix socket (Netty epoll, as the daemon uses) whose
 * services (sandboxes, snapshots, system; processes and files through {@link FakeGuest}) record every request, answer with canned data, fail with
 * a chosen status, and stream canned Run output and events (optionally holding the stream open
 * until the client cancels).
 */
final class FakeDaemon implements AutoCloseable {

    final Path socket;
    /** Every request, in arrival order. */
    final List<Message> requests = new CopyOnWriteArrayList<>();
    /** Milliseconds left to the deadline of each unary call, in arrival order; -1 for none. */
    final List<Long> deadlinesMillis = new CopyOnWriteArrayList<>();
    /** Counted down once a stream has sent its canned messages. */
    final CountDownLatch streamed = new CountDownLatch(1);
    /** Counted down when the client cancels a held stream. */
    final CountDownLatch cancelled = new CountDownLatch(1);

    volatile Status failWith;
    volatile CreateSandboxResponse createResponse = CreateSandboxResponse.getDefaultInstance();
    volatile ListSandboxesResponse listResponse = ListSandboxesResponse.getDefaultInstance();
    volatile SandboxInfo info = SandboxInfo.getDefaultInstance();
    volatile SystemInfo systemInfo = SystemInfo.getDefaultInstance();
    volatile CheckpointResponse checkpointResponse = CheckpointResponse.getDefaultInstance();
    volatile dev.arcbox.api.v1.PruneSnapshotsResponse pruneResponse =
            dev.arcbox.api.v1.PruneSnapshotsResponse.getDefaultInstance();
    volatile RestoreResponse restoreResponse = RestoreResponse.getDefaultInstance();
    volatile ListSnapshotsResponse snapshotList = ListSnapshotsResponse.getDefaultInstance();
    volatile SnapshotInfo snapshotInfo = SnapshotInfo.getDefaultInstance();
    volatile List<RunOutput> runOutputs = List.of();
    volatile List<SandboxEvent> events = List.of();
    volatile List<LogChunk> logChunks = List.of();
    /** Keep Run and Events open after the canned messages, until the client cancels. */
    volatile boolean holdStreams;
    /** The guest behind ProcessService and FilesService. */
    final FakeGuest guest = new FakeGuest();

    private final EventLoopGroup boss = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    private final EventLoopGroup workers = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    private final Server server;

    private FakeDaemon(Path socket) throws IOException {
        Client.nettyLogsToJul();
        this.socket = socket;
        this.server = NettyServerBuilder.forAddress(new DomainSocketAddress(socket.toString()))
                .channelType(EpollServerDomainSocketChannel.class)
                .bossEventLoopGroup(boss)
                .workerEventLoopGroup(workers)
                .directExecutor()
                .addService(new Sandboxes())
                .addService(new Snapshots())
                .addService(new Systems())
                .addService(guest.services().get(0))
                .addService(guest.services().get(1))
                .build()
                .start();
    }

    static FakeDaemon start(Path socket) throws IOException {
        return new FakeDaemon(socket);
    }

    /** The requests of one type, in order. */
    <T extends Message> List<T> requests(Class<T> type) {
        return requests.stream().filter(type::isInstance).map(type::cast).toList();
    }

    @Override
    public void close() {
        server.shutdownNow();
        try {
            server.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        boss.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        workers.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }

    /** Records the request; true if the call should go on, false if it was failed. */
    private boolean accept(Message request, StreamObserver<?> response) {
        requests.add(request);
        Deadline deadline = Context.current().getDeadline();
        deadlinesMillis.add(deadline == null ? -1 : deadline.timeRemaining(TimeUnit.MILLISECONDS));
        Status status = failWith;
        if (status != null) {
            response.onError(status.asRuntimeException());
            return false;
        }
        return true;
    }

    private <T> void reply(Message request, StreamObserver<T> response, T value) {
        if (accept(request, response)) {
            response.onNext(value);
            response.onCompleted();
        }
    }

    private <T> void stream(Message request, StreamObserver<T> response, List<T> values) {
        if (!accept(request, response)) {
            return;
        }
        ServerCallStreamObserver<T> call = (ServerCallStreamObserver<T>) response;
        call.setOnCancelHandler(cancelled::countDown);
        values.forEach(call::onNext);
        streamed.countDown();
        if (!holdStreams) {
            call.onCompleted();
        }
    }

    private final class Sandboxes extends SandboxServiceGrpc.SandboxServiceImplBase {
        @Override
        public void create(CreateSandboxRequest request, StreamObserver<CreateSandboxResponse> response) {
            reply(request, response, createResponse);
        }

        @Override
        public void inspect(InspectSandboxRequest request, StreamObserver<SandboxInfo> response) {
            reply(request, response, info);
        }

        @Override
        public void list(ListSandboxesRequest request, StreamObserver<ListSandboxesResponse> response) {
            reply(request, response, listResponse);
        }

        @Override
        public void stop(StopSandboxRequest request, StreamObserver<SandboxInfo> response) {
            reply(request, response, info);
        }

        @Override
        public void start(StartSandboxRequest request, StreamObserver<SandboxInfo> response) {
            reply(request, response, info);
        }

        @Override
        public void remove(RemoveSandboxRequest request, StreamObserver<Empty> response) {
            reply(request, response, Empty.getDefaultInstance());
        }

        @Override
        public void pause(PauseSandboxRequest request, StreamObserver<SandboxInfo> response) {
            reply(request, response, info);
        }

        @Override
        public void resume(ResumeSandboxRequest request, StreamObserver<SandboxInfo> response) {
            reply(request, response, info);
        }

        @Override
        public void run(RunRequest request, StreamObserver<RunOutput> response) {
            stream(request, response, runOutputs);
        }

        @Override
        public void events(SandboxEventsRequest request, StreamObserver<SandboxEvent> response) {
            stream(request, response, events);
        }

        @Override
        public void logs(LogsRequest request, StreamObserver<LogChunk> response) {
            stream(request, response, logChunks);
        }
    }

    private final class Snapshots extends SnapshotServiceGrpc.SnapshotServiceImplBase {
        @Override
        public void checkpoint(CheckpointRequest request, StreamObserver<CheckpointResponse> response) {
            reply(request, response, checkpointResponse);
        }

        @Override
        public void restore(RestoreRequest request, StreamObserver<RestoreResponse> response) {
            reply(request, response, restoreResponse);
        }

        @Override
        public void list(ListSnapshotsRequest request, StreamObserver<ListSnapshotsResponse> response) {
            reply(request, response, snapshotList);
        }

        @Override
        public void inspect(InspectSnapshotRequest request, StreamObserver<SnapshotInfo> response) {
            reply(request, response, snapshotInfo);
        }

        @Override
        public void delete(DeleteSnapshotRequest request, StreamObserver<Empty> response) {
            reply(request, response, Empty.getDefaultInstance());
        }

        @Override
        public void prune(dev.arcbox.api.v1.PruneSnapshotsRequest request,
                StreamObserver<dev.arcbox.api.v1.PruneSnapshotsResponse> response) {
            reply(request, response, pruneResponse);
        }
    }

    private final class Systems extends SystemServiceGrpc.SystemServiceImplBase {
        @Override
        public void info(InfoRequest request, StreamObserver<SystemInfo> response) {
            reply(request, response, systemInfo);
        }
    }
}
