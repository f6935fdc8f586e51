package dev.arcbox.cli;

import dev.arcbox.api.v1.SandboxServiceGrpc;
import dev.arcbox.client.ArcboxClient;
import dev.arcbox.api.v1.SandboxServiceGrpc.SandboxServiceBlockingStub;
import dev.arcbox.api.v1.SnapshotServiceGrpc;
import dev.arcbox.api.v1.SnapshotServiceGrpc.SnapshotServiceBlockingStub;
import dev.arcbox.api.v1.SystemServiceGrpc;
import dev.arcbox.api.v1.SystemServiceGrpc.SystemServiceBlockingStub;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.util.internal.logging.InternalLoggerFactory;
import io.netty.util.internal.logging.JdkLoggerFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Iterator;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * One gRPC channel to arcboxd over its Unix socket, with the Netty event loop it runs on. Owns
 * both: {@link #close()} shuts them down. Connecting is lazy; the first call reports a daemon that
 * is not there as UNAVAILABLE. Not shared between threads except for {@link #close()}.
 */
final class Client implements AutoCloseable {

    /** Deadline of a plain unary call. */
    static final Duration UNARY_DEADLINE = Duration.ofSeconds(60);
    /**
     * Deadline of a call that waits for a VM to boot (create --wait, start --wait, snapshot restore)
     * or for its memory to be written (snapshot create).
     */
    static final Duration WAIT_DEADLINE = Duration.ofMinutes(10);
    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(2);

    static {
        nettyLogsToJul();
    }

    private final Path socket;
    private final EventLoopGroup group;
    private final ManagedChannel channel;
    private Duration lastTimeout;
    private ArcboxClient library;
    private Deadline lastDeadline;

    private Client(Path socket) {
        this.socket = socket;
        this.group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        this.channel = NettyChannelBuilder.forAddress(new DomainSocketAddress(socket.toString()))
                .eventLoopGroup(group)
                .channelType(EpollDomainSocketChannel.class)
                // gRPC sets SO_KEEPALIVE on every channel; a Unix socket has none and Netty warns each connect
                .withOption(ChannelOption.SO_KEEPALIVE, null)
                .directExecutor()
                .usePlaintext()
                .build();
    }

    static Client connect(Path socket) {
        return new Client(socket);
    }

    /** Routes Netty's logging to java.util.logging (no SLF4J/Logback start-up cost). Idempotent. */
    static void nettyLogsToJul() {
        InternalLoggerFactory.setDefaultFactory(JdkLoggerFactory.INSTANCE);
    }

    Path socket() {
        return socket;
    }

    /** The Java client library over this channel (for exec and files); closing this client closes it. */
    ArcboxClient library() {
        if (library == null) {
            library = ArcboxClient.over(channel);
        }
        return library;
    }

    SandboxServiceBlockingStub sandboxes(Duration timeout) {
        return sandboxStreams().withDeadline(deadline(timeout));
    }

    /** For streaming calls: no deadline, they end when the server or the user ends them. */
    SandboxServiceBlockingStub sandboxStreams() {
        return SandboxServiceGrpc.newBlockingStub(channel);
    }

    SnapshotServiceBlockingStub snapshots(Duration timeout) {
        return SnapshotServiceGrpc.newBlockingStub(channel).withDeadline(deadline(timeout));
    }

    SystemServiceBlockingStub system() {
        return SystemServiceGrpc.newBlockingStub(channel).withDeadline(deadline(UNARY_DEADLINE));
    }

    /**
     * The timeout of the last unary call if its deadline has passed, so that a DEADLINE_EXCEEDED
     * can be told apart from one the daemon sent; else null.
     */
    Duration expiredTimeout() {
        return lastDeadline != null && lastDeadline.isExpired() ? lastTimeout : null;
    }

    private Deadline deadline(Duration timeout) {
        lastTimeout = timeout;
        lastDeadline = Deadline.after(timeout.toMillis(), TimeUnit.MILLISECONDS);
        return lastDeadline;
    }

    /**
     * Reads a server stream to its end, passing each message to {@code each}. A Ctrl-C (through
     * {@code interrupts}) cancels the call, which tells the daemon the client went away, and closes
     * this client. Returns false if the user interrupted it; a failed call throws.
     */
    <T> boolean follow(Interrupts interrupts, Function<SandboxServiceBlockingStub, Iterator<T>> call,
            Consumer<? super T> each) {
        Context.CancellableContext context = Context.current().withCancellation();
        AtomicBoolean interrupted = new AtomicBoolean();
        try (Interrupts.Registration _ = interrupts.onInterrupt(() -> {
            interrupted.set(true);
            context.cancel(null);
            close();
        })) {
            Context previous = context.attach();
            try {
                call.apply(sandboxStreams()).forEachRemaining(each);
                return true;
            } catch (StatusRuntimeException e) {
                if (interrupted.get()) {
                    return false;
                }
                throw e;
            } finally {
                context.detach(previous);
                context.cancel(null);
            }
        }
    }

    /** Lets a cancelled call reach the daemon, then stops the channel and its event loop. */
    @Override
    public void close() {
        if (library != null) {
            library.close();
        }
        channel.shutdown();
        try {
            if (!channel.awaitTermination(CLOSE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                channel.shutdownNow();
            }
        } catch (InterruptedException e) {
            channel.shutdownNow();
            Thread.currentThread().interrupt();
        } finally {
            group.shutdownGracefully(0, CLOSE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
                    .awaitUninterruptibly(CLOSE_TIMEOUT.toMillis());
        }
    }
}
