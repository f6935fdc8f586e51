package dev.arcbox.driver.firecracker;

import dev.arcbox.core.ArcboxException;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The host side of Firecracker's hybrid vsock ({@code docs/vsock.md}): connect to the device's
 * Unix socket, send {@code CONNECT <port>\n}, read {@code OK <host port>\n}. Until the guest
 * listens, Firecracker closes the connection instead of answering; the connector then retries
 * until the deadline. Each phase (connect, send, answer) is bounded by what is left of it.
 */
final class FcVsock {

    private static final int MAX_LINE = 64;
    private static final Duration RETRY = Duration.ofMillis(20);

    private FcVsock() {}

    /** A blocking channel to the guest's {@code port}, handshake done. */
    static SocketChannel connect(String vmId, Path uds, int port, Duration deadline) {
        long end = System.nanoTime() + deadline.toNanos();
        String last = "no attempt";
        while (true) {
            try {
                return attempt(uds, port, end);
            } catch (IOException e) {
                last = e.getMessage();
            }
            if (System.nanoTime() + RETRY.toNanos() >= end) {
                throw new ArcboxException.DeadlineExceeded("vm " + vmId + ": guest did not accept vsock port " + port
                        + " on " + uds + " within " + deadline + " (last: " + last + ")");
            }
            try {
                Thread.sleep(RETRY);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ArcboxException.Unavailable("vm " + vmId + ": vsock connect interrupted", e);
            }
        }
    }

    private static SocketChannel attempt(Path uds, int port, long end) throws IOException {
        SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        boolean ok = false;
        try {
            ch.connect(UnixDomainSocketAddress.of(uds));
            ch.configureBlocking(false);
            try (Selector selector = Selector.open()) {
                ByteBuffer out = ByteBuffer.wrap(("CONNECT " + port + "\n").getBytes(StandardCharsets.US_ASCII));
                SelectionKey key = ch.register(selector, SelectionKey.OP_WRITE);
                while (out.hasRemaining()) {
                    await(selector, end, "sending CONNECT");
                    ch.write(out);
                }
                key.interestOps(SelectionKey.OP_READ);
                String answer = readLine(ch, selector, end);
                if (!answer.startsWith("OK ")) {
                    throw new IOException("unexpected answer '" + answer + "'");
                }
                key.cancel();
                selector.selectNow();
            }
            ch.configureBlocking(true);
            ok = true;
            return ch;
        } finally {
            if (!ok) {
                ch.close();
            }
        }
    }

    /** One line, byte by byte: nothing after the newline (the agent's first bytes) is consumed. */
    private static String readLine(SocketChannel ch, Selector selector, long end) throws IOException {
        StringBuilder line = new StringBuilder();
        ByteBuffer one = ByteBuffer.allocate(1);
        while (line.length() < MAX_LINE) {
            one.clear();
            int n = ch.read(one);
            if (n < 0) {
                throw new IOException("closed before answering (guest not listening yet)");
            }
            if (n == 0) {
                await(selector, end, "reading the answer");
                continue;
            }
            char c = (char) (one.get(0) & 0xff);
            if (c == '\n') {
                return line.toString();
            }
            line.append(c);
        }
        throw new IOException("answer longer than " + MAX_LINE + " bytes");
    }

    private static void await(Selector selector, long end, String phase) throws IOException {
        long left = (end - System.nanoTime()) / 1_000_000;
        if (left <= 0) {
            throw new IOException("deadline passed while " + phase);
        }
        selector.select(left);
        selector.selectedKeys().clear();
    }
}
