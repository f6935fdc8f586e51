package dev.arcbox.client;

import dev.arcbox.api.v1.FilesServiceGrpc;
import dev.arcbox.api.v1.ProcessServiceGrpc;
import dev.arcbox.api.v1.SandboxServiceGrpc;
import dev.arcbox.api.v1.SnapshotServiceGrpc;
import io.grpc.Channel;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The stubs of one channel with the client's deadlines and executor. Streaming calls run their
 * callbacks on {@code executor} (virtual threads), never on the transport's threads, because an
 * execution's output callbacks may block to hold back a fast process (flow control).
 */
final class Calls {

    private final Channel channel;
    private final Executor executor;
    private final Duration unaryDeadline;
    private final Duration waitDeadline;

    Calls(Channel channel, Executor executor, Duration unaryDeadline, Duration waitDeadline) {
        this.channel = channel;
        this.executor = executor;
        this.unaryDeadline = unaryDeadline;
        this.waitDeadline = waitDeadline;
    }

    Channel channel() {
        return channel;
    }

    Duration unaryDeadline() {
        return unaryDeadline;
    }

    Duration waitDeadline() {
        return waitDeadline;
    }

    SandboxServiceGrpc.SandboxServiceBlockingStub sandboxes(Duration deadline) {
        return SandboxServiceGrpc.newBlockingStub(channel).withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Sandbox streams (Run, Events): no deadline; they end with the process or when cancelled. */
    SandboxServiceGrpc.SandboxServiceBlockingStub sandboxStreams() {
        return SandboxServiceGrpc.newBlockingStub(channel);
    }

    SnapshotServiceGrpc.SnapshotServiceBlockingStub snapshots(Duration deadline) {
        return SnapshotServiceGrpc.newBlockingStub(channel).withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS);
    }

    ProcessServiceGrpc.ProcessServiceBlockingStub processes(Duration deadline) {
        return ProcessServiceGrpc.newBlockingStub(channel).withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Exec streams: callbacks on our executor, no deadline. */
    ProcessServiceGrpc.ProcessServiceStub processStreams() {
        return ProcessServiceGrpc.newStub(channel).withExecutor(executor);
    }

    FilesServiceGrpc.FilesServiceBlockingStub files(Duration deadline) {
        return FilesServiceGrpc.newBlockingStub(channel).withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** File streams: their length is the file's, so no deadline. */
    FilesServiceGrpc.FilesServiceBlockingStub fileReads() {
        return FilesServiceGrpc.newBlockingStub(channel);
    }

    FilesServiceGrpc.FilesServiceStub fileWrites() {
        return FilesServiceGrpc.newStub(channel).withExecutor(executor);
    }

    /** Runs a blocking call, turning a failed status into an {@link ArcboxClientException}. */
    static <T> T call(Supplier<T> call) {
        try {
            return call.get();
        } catch (StatusRuntimeException e) {
            throw ArcboxClientException.of(e);
        }
    }
}
