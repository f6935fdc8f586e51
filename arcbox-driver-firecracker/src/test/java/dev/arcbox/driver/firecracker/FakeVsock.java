package dev.arcbox.driver.firecracker;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Firecracker's host side of hybrid vsock, with an echoing guest: {@code CONNECT <port>\n} is
 * answered {@code OK <host port>\n} once the guest listens, and everything after it is echoed;
 * before that the connection is closed, as Firecracker does. {@link #reset} drops every open
 * connection, as a snapshot does.
 */
final class FakeVsock implements AutoCloseable {

    private final List<ServerSocketChannel> servers = new CopyOnWriteArrayList<>();
    private final List<SocketChannel> open = new CopyOnWriteArrayList<>();
    private final AtomicInteger connects = new AtomicInteger();
    private final AtomicInteger refusals = new AtomicInteger();
    private final AtomicInteger refused = new AtomicInteger();
    private volatile boolean listening;
    private volatile int lastPort = -1;

    void listen(Path uds) {
        try {
            Files.deleteIfExists(uds);
            ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            server.bind(UnixDomainSocketAddress.of(uds));
            servers.add(server);
            Thread.ofVirtual().name("fake-vsock").start(() -> accept(server));
        } catch (IOException e) {
            throw new IllegalStateException("vsock listen on " + uds + ": " + e.getMessage(), e);
        }
    }

    void guestListens(boolean value) {
        listening = value;
    }

    /** The next {@code n} CONNECTs are closed unanswered, as before the guest listens. */
    void refuseFirst(int n) {
        refusals.set(n);
    }

    /** How many CONNECTs were closed unanswered. */
    int refused() {
        return refused.get();
    }

    /** How many CONNECTs were answered OK. */
    int connects() {
        return connects.get();
    }

    int lastPort() {
        return lastPort;
    }

    void reset() {
        open.forEach(FakeVsock::closeQuietly);
        open.clear();
    }

    private void accept(ServerSocketChannel server) {
        while (server.isOpen()) {
            try {
                SocketChannel ch = server.accept();
                Thread.ofVirtual().name("fake-vsock-conn").start(() -> serve(ch));
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(SocketChannel ch) {
        try (ch) {
            StringBuilder line = new StringBuilder();
            ByteBuffer one = ByteBuffer.allocate(1);
            while (true) {
                one.clear();
                if (ch.read(one) < 0) {
                    return;
                }
                char c = (char) one.get(0);
                if (c == '\n') {
                    break;
                }
                line.append(c);
            }
            if (!listening || !line.toString().startsWith("CONNECT ") || refusals.getAndDecrement() > 0) {
                refused.incrementAndGet();
                return;
            }
            lastPort = Integer.parseInt(line.substring("CONNECT ".length()));
            // counted before the answer: a client that saw OK must find the connect counted
            connects.incrementAndGet();
            ch.write(ByteBuffer.wrap("OK 1073741824\n".getBytes(StandardCharsets.US_ASCII)));
            open.add(ch);
            ByteBuffer buf = ByteBuffer.allocate(4096);
            while (ch.read(buf) >= 0) {
                buf.flip();
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
                buf.clear();
            }
        } catch (IOException e) {
            // reset or closed by the host
        } finally {
            open.remove(ch);
        }
    }

    private static void closeQuietly(java.io.Closeable c) {
        try {
            c.close();
        } catch (IOException e) {
            // closing anyway
        }
    }

    @Override
    public void close() {
        reset();
        servers.forEach(FakeVsock::closeQuietly);
    }
}
