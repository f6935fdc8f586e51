package dev.arcbox.client;

import dev.arcbox.api.v1.CreateSandboxRequest;
import dev.arcbox.api.v1.DeleteSnapshotRequest;
import dev.arcbox.api.v1.InfoRequest;
import dev.arcbox.api.v1.ListSandboxesRequest;
import dev.arcbox.api.v1.ListSnapshotsRequest;
import dev.arcbox.api.v1.RestoreRequest;
import dev.arcbox.api.v1.RestoreResponse;
import dev.arcbox.api.v1.SandboxSummary;
import dev.arcbox.api.v1.SnapshotSummary;
import dev.arcbox.api.v1.SystemInfo;
import io.grpc.Channel;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyChannelBuilder;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * A connection to arcboxd: the entry point of the Java client. Opens sandboxes (new, existing,
 * restored or forked from a snapshot), each a {@link Sandbox} with runs, interactive executions
 * and files.
 *
 * <pre>{@code
 * try (ArcboxClient arcbox = ArcboxClient.connect();
 *      Sandbox sandbox = arcbox.newSandbox().memoryMib(256).create()) {
 *     System.out.print(sandbox.run("uname", "-a").stdoutText());
 * }
 * }</pre>
 *
 * Owns its channel, event loop and callback executor unless made with {@link #over(Channel)};
 * {@link #close()} releases them. Thread-safe. Every failed call throws
 * {@link ArcboxClientException} with the gRPC code.
 */
public final class ArcboxClient implements AutoCloseable {

    /** Where arcboxd listens by default. */
    public static final Path DEFAULT_SOCKET = Path.of("/run/arcbox/arcbox.sock");
    /** Deadline of a plain call. */
    public static final Duration UNARY_DEADLINE = Duration.ofSeconds(60);
    /** Deadline of a call that waits for a boot or a snapshot. */
    public static final Duration WAIT_DEADLINE = Duration.ofMinutes(10);
    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(2);

    private final ManagedChannel owned;
    private final EventLoopGroup group;
    private final ExecutorService executor;
    private final Calls calls;

    private ArcboxClient(Channel channel, ManagedChannel owned, EventLoopGroup group) {
        this.owned = owned;
        this.group = group;
        this.executor = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("arcbox-client-", 0).factory());
        this.calls = new Calls(channel, executor, UNARY_DEADLINE, WAIT_DEADLINE);
    }

    /** arcboxd on its default socket, /run/arcbox/arcbox.sock. */
    public static ArcboxClient connect() {
        return connect(DEFAULT_SOCKET);
    }

    /**
     * arcboxd on a Unix socket. Connecting is lazy: a daemon that is not there shows as
     * UNAVAILABLE on the first call.
     */
    public static ArcboxClient connect(Path socket) {
        Objects.requireNonNull(socket, "socket");
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        ManagedChannel channel = NettyChannelBuilder.forAddress(new DomainSocketAddress(socket.toString()))
                .eventLoopGroup(group)
                .channelType(EpollDomainSocketChannel.class)
                // gRPC sets SO_KEEPALIVE on every channel; a Unix socket has none and Netty warns each connect
                .withOption(ChannelOption.SO_KEEPALIVE, null)
                .usePlaintext()
                .build();
        return new ArcboxClient(channel, channel, group);
    }

    /**
     * arcboxd's TCP listener: TLS, the server's certificate checked against {@code trustedCertificates}
     * (PEM), and {@code token} sent as {@code authorization: Bearer} on every call.
     */
    public static ArcboxClient connectTcp(String host, int port, Path trustedCertificates, String token) {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(trustedCertificates, "trustedCertificates");
        if (token == null || token.isBlank()) {
            throw new IllegalArgumentException("token: required on the TCP listener");
        }
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        try {
            ManagedChannel channel = NettyChannelBuilder.forAddress(host, port)
                    .eventLoopGroup(group)
                    .channelType(EpollSocketChannel.class)
                    .sslContext(GrpcSslContexts.forClient().trustManager(trustedCertificates.toFile()).build())
                    .intercept(new BearerToken(token))
                    .build();
            return new ArcboxClient(channel, channel, group);
        } catch (IOException e) {
            group.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
            throw new UncheckedIOException("reading trusted certificates " + trustedCertificates, e);
        } catch (RuntimeException e) {
            group.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
            throw e;
        }
    }

    /** A client over a channel the caller owns (and closes); {@link #close()} leaves it open. */
    public static ArcboxClient over(Channel channel) {
        return new ArcboxClient(Objects.requireNonNull(channel, "channel"), null, null);
    }

    /** A new sandbox, described fluently; {@link SandboxCreation#create()} sends it. */
    public SandboxCreation newSandbox() {
        return new SandboxCreation(this);
    }

    /**
     * Creates a sandbox from a full request. With {@code wait} set it returns once the sandbox is
     * ready (or throws if it failed); otherwise use {@link Sandbox#awaitReady(Duration)}.
     */
    public Sandbox create(CreateSandboxRequest request) {
        Duration deadline = request.getWait() ? calls.waitDeadline() : calls.unaryDeadline();
        String id = Calls.call(() -> calls.sandboxes(deadline).create(request)).getId();
        return new Sandbox(calls, id);
    }

    /** A handle on an existing sandbox; no call is made. */
    public Sandbox sandbox(String id) {
        return new Sandbox(calls, Objects.requireNonNull(id, "id"));
    }

    public List<SandboxSummary> list() {
        return Calls.call(() -> calls.sandboxes(calls.unaryDeadline())
                .list(ListSandboxesRequest.getDefaultInstance())).getSandboxesList();
    }

    /** A new sandbox from a snapshot; returns once it is ready. */
    public Sandbox restore(String snapshotId) {
        return fork(snapshotId, 1).getFirst();
    }

    /** {@code count} new sandboxes from one snapshot, all or nothing; returns once they are ready. */
    public List<Sandbox> fork(String snapshotId, int count) {
        if (count < 1) {
            throw new IllegalArgumentException("count: must be ≥ 1, got " + count);
        }
        RestoreResponse restored = Calls.call(() -> calls.snapshots(calls.waitDeadline()).restore(
                RestoreRequest.newBuilder().setSnapshotId(snapshotId).setCount(count).setNetworkOverride(true).build()));
        List<String> ids = restored.getIdsCount() > 0 ? restored.getIdsList() : List.of(restored.getId());
        return ids.stream().map(id -> new Sandbox(calls, id)).toList();
    }

    public List<SnapshotSummary> snapshots() {
        return Calls.call(() -> calls.snapshots(calls.unaryDeadline())
                .list(ListSnapshotsRequest.getDefaultInstance())).getSnapshotsList();
    }

    /** Refused (FAILED_PRECONDITION) while sandboxes restored from it are alive. */
    public void deleteSnapshot(String snapshotId) {
        Calls.call(() -> calls.snapshots(calls.unaryDeadline())
                .delete(DeleteSnapshotRequest.newBuilder().setSnapshotId(snapshotId).build()));
    }

    public SystemInfo info() {
        return Calls.call(() -> dev.arcbox.api.v1.SystemServiceGrpc.newBlockingStub(channel())
                .withDeadlineAfter(calls.unaryDeadline().toMillis(), TimeUnit.MILLISECONDS)
                .info(InfoRequest.getDefaultInstance()));
    }

    Channel channel() {
        return calls.channel();
    }

    /**
     * Lets cancelled calls reach the daemon, then stops the channel (if owned), its event loop and
     * the callback executor. Sandboxes are not removed: close each {@link Sandbox} for that.
     */
    @Override
    public void close() {
        try {
            if (owned != null) {
                owned.shutdown();
                if (!owned.awaitTermination(CLOSE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                    owned.shutdownNow();
                }
            }
        } catch (InterruptedException e) {
            owned.shutdownNow();
            Thread.currentThread().interrupt();
        } finally {
            executor.shutdownNow();
            if (group != null) {
                group.shutdownGracefully(0, CLOSE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
                        .awaitUninterruptibly(CLOSE_TIMEOUT.toMillis());
            }
        }
    }

    /** Adds {@code authorization: Bearer <token>} to every call. */
    private static final class BearerToken implements io.grpc.ClientInterceptor {
        private static final Metadata.Key<String> AUTHORIZATION =
                Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
        private final String value;

        BearerToken(String token) {
            this.value = "Bearer " + token;
        }

        @Override
        public <Q, R> io.grpc.ClientCall<Q, R> interceptCall(io.grpc.MethodDescriptor<Q, R> method,
                io.grpc.CallOptions options, Channel next) {
            return new io.grpc.ForwardingClientCall.SimpleForwardingClientCall<>(next.newCall(method, options)) {
                @Override
                public void start(Listener<R> listener, Metadata headers) {
                    headers.put(AUTHORIZATION, value);
                    super.start(listener, headers);
                }
            };
        }
    }
}
