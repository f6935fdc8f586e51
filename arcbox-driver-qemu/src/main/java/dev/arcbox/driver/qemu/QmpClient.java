package dev.arcbox.driver.qemu;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.arcbox.core.ArcboxException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * A QMP client: JSON objects, one per line, over QEMU's Unix control socket. Commands carry an id
 * and are answered in any order with events in between; one reader thread dispatches both.
 * Everything QEMU sends is bounded (a line may not exceed 1 MiB).
 */
final class QmpClient implements AutoCloseable {

    private static final int MAX_LINE = 1 << 20;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String vmId;
    private final SocketChannel channel;
    private final InputStream in;
    private final OutputStream out;
    private final AtomicLong ids = new AtomicLong();
    private final Map<String, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();
    private final CopyOnWriteArrayList<Consumer<JsonNode>> eventListeners = new CopyOnWriteArrayList<>();
    private final CompletableFuture<Void> closed = new CompletableFuture<>();
    private final Object writeLock = new Object();

    private QmpClient(String vmId, SocketChannel channel) {
        this.vmId = vmId;
        this.channel = channel;
        this.in = new java.io.BufferedInputStream(Channels.newInputStream(channel), 8192);
        this.out = Channels.newOutputStream(channel);
    }

    /**
     * Connects to the QMP socket at {@code path}, retrying until it accepts or {@code deadline}
     * passes, reads the greeting and leaves capability negotiation mode.
     */
    static QmpClient connect(String vmId, Path path, Duration deadline, CompletableFuture<?> processExit) {
        long end = System.nanoTime() + deadline.toNanos();
        long backoffMillis = 2;
        while (true) {
            if (processExit.isDone()) {
                throw new ArcboxException.Unavailable("vm " + vmId + ": qemu exited before its qmp socket opened", null);
            }
            SocketChannel ch = null;
            try {
                ch = SocketChannel.open(StandardProtocolFamily.UNIX);
                ch.connect(UnixDomainSocketAddress.of(path));
                QmpClient client = new QmpClient(vmId, ch);
                client.handshake(end);
                return client;
            } catch (IOException e) {
                closeQuietly(ch);
                if (System.nanoTime() > end) {
                    throw new ArcboxException.DeadlineExceeded(
                            "vm " + vmId + ": qmp socket " + path + " not ready after " + deadline.toMillis() + " ms");
                }
                try {
                    Thread.sleep(backoffMillis);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw new ArcboxException.Unavailable("vm " + vmId + ": interrupted connecting to qmp", ie);
                }
                backoffMillis = Math.min(backoffMillis * 2, 50);
            }
        }
    }

    private void handshake(long endNanos) throws IOException {
        JsonNode greeting = JSON.readTree(readLine());
        if (!greeting.has("QMP")) {
            throw new IOException("not a qmp greeting");
        }
        Thread.ofVirtual().name("qmp-" + vmId).start(this::readLoop);
        execute("qmp_capabilities", null, Duration.ofNanos(Math.max(endNanos - System.nanoTime(), 1_000_000_000L)));
    }

    /** Registers a listener for asynchronous events ({@code {"event": NAME, ...}}). */
    void onEvent(Consumer<JsonNode> listener) {
        eventListeners.add(listener);
    }

    /**
     * The next event matching {@code match}, registered now (before the command that causes it);
     * fails when the connection closes first.
     */
    CompletableFuture<JsonNode> nextEvent(java.util.function.Predicate<JsonNode> match) {
        CompletableFuture<JsonNode> event = new CompletableFuture<>();
        Consumer<JsonNode> listener = new Consumer<>() {
            @Override
            public void accept(JsonNode message) {
                if (match.test(message)) {
                    eventListeners.remove(this);
                    event.complete(message);
                }
            }
        };
        eventListeners.add(listener);
        closed.thenRun(() -> {
            eventListeners.remove(listener);
            event.completeExceptionally(new IOException("qmp connection closed"));
        });
        return event;
    }

    /** Completes when the connection ends (QEMU exited or closed the socket). */
    CompletableFuture<Void> closed() {
        return closed;
    }

    /** Runs {@code command} and returns its "return" value; QMP errors become exceptions. */
    JsonNode execute(String command, Map<String, ?> arguments, Duration deadline) {
        String id = Long.toString(ids.incrementAndGet());
        ObjectNode request = JSON.createObjectNode().put("execute", command).put("id", id);
        if (arguments != null && !arguments.isEmpty()) {
            request.set("arguments", JSON.valueToTree(arguments));
        }
        CompletableFuture<JsonNode> reply = new CompletableFuture<>();
        pending.put(id, reply);
        try {
            byte[] line = (JSON.writeValueAsString(request) + "\n").getBytes(StandardCharsets.UTF_8);
            synchronized (writeLock) {
                out.write(line);
                out.flush();
            }
            JsonNode response = reply.get(deadline.toNanos(), TimeUnit.NANOSECONDS);
            if (response.has("error")) {
                JsonNode error = response.get("error");
                throw new ArcboxException.FailedPrecondition("vm " + vmId + ": qmp " + command + ": "
                        + error.path("class").asText() + ": " + error.path("desc").asText());
            }
            return response.path("return");
        } catch (IOException e) {
            throw new ArcboxException.Unavailable("vm " + vmId + ": qmp " + command + ": " + e.getMessage(), e);
        } catch (TimeoutException e) {
            throw new ArcboxException.DeadlineExceeded(
                    "vm " + vmId + ": qmp " + command + " not answered in " + deadline.toMillis() + " ms");
        } catch (ExecutionException e) {
            throw new ArcboxException.Unavailable("vm " + vmId + ": qmp " + command + ": connection closed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ArcboxException.Unavailable("vm " + vmId + ": qmp " + command + ": interrupted", e);
        } finally {
            pending.remove(id);
        }
    }

    private void readLoop() {
        try {
            while (true) {
                JsonNode message = JSON.readTree(readLine());
                if (message.has("event")) {
                    for (Consumer<JsonNode> listener : eventListeners) {
                        listener.accept(message);
                    }
                } else if (message.has("id")) {
                    CompletableFuture<JsonNode> reply = pending.get(message.get("id").asText());
                    if (reply != null) {
                        reply.complete(message);
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            close();
        }
    }

    /** One line, without its terminator; bounded. */
    private String readLine() throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream(256);
        while (true) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("qmp connection closed");
            }
            if (b == '\n') {
                return line.toString(StandardCharsets.UTF_8);
            }
            if (line.size() >= MAX_LINE) {
                throw new IOException("qmp line longer than " + MAX_LINE + " bytes");
            }
            line.write(b);
        }
    }

    @Override
    public void close() {
        closeQuietly(channel);
        IOException gone = new IOException("qmp connection closed");
        pending.values().forEach(f -> f.completeExceptionally(gone));
        closed.complete(null);
    }

    private static void closeQuietly(SocketChannel ch) {
        if (ch != null) {
            try {
                ch.close();
            } catch (IOException ignored) {
                // closing a socket that failed is best effort
            }
        }
    }
}
