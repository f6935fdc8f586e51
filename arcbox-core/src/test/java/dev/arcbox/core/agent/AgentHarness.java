package dev.arcbox.core.agent;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ExecutorService;

/** A Unix socket in a temp dir: the host end goes to an {@link AgentClient}, the other to a {@link FakeAgent}. */
final class AgentHarness implements AutoCloseable {

    static final AgentClient.Timings FAST = new AgentClient.Timings(Duration.ofMillis(100), Duration.ofSeconds(3));

    private final ServerSocketChannel server;
    private final UnixDomainSocketAddress address;
    private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
    private final List<java.io.Closeable> owned = new ArrayList<>();

    AgentHarness(Path dir) throws IOException {
        address = UnixDomainSocketAddress.of(dir.resolve("agent.sock"));
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX).bind(address);
    }

    /** A connected pair; the caller drives both sides. */
    Pair pair() throws IOException {
        SocketChannel host = SocketChannel.open(address);
        FakeAgent agent = new FakeAgent(server.accept());
        owned.add(agent);
        owned.add(host);
        return new Pair(host, agent);
    }

    /** A client connected to a fake that answers the first HELLO with the given execution ids. */
    Connected connect(List<Integer> execIds) throws Exception {
        Pair pair = pair();
        CompletableFuture<Long> nonce = CompletableFuture.supplyAsync(() -> {
            try {
                return pair.agent().handshake(execIds);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }, threads);
        AgentClient client = AgentClient.connect(pair.host(), Duration.ofSeconds(5), FAST);
        owned.add(client::close);
        return new Connected(client, pair.agent(), nonce.get());
    }

    Connected connect() throws Exception {
        return connect(List.of());
    }

    <T> CompletableFuture<T> async(java.util.concurrent.Callable<T> task) {
        CompletableFuture<T> f = new CompletableFuture<>();
        threads.execute(() -> {
            try {
                f.complete(task.call());
            } catch (Throwable t) {
                f.completeExceptionally(t);
            }
        });
        return f;
    }

    @Override
    public void close() throws IOException {
        for (java.io.Closeable c : owned.reversed()) {
            c.close();
        }
        threads.shutdownNow();
        server.close();
    }

    record Pair(SocketChannel host, FakeAgent agent) {}

    record Connected(AgentClient client, FakeAgent agent, long nonce) {}
}
