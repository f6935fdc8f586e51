package dev.arcbox.daemon;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.arcbox.core.ArcboxException;
import dev.arcbox.core.config.DaemonConfig;
import dev.arcbox.core.metrics.Telemetry;
import dev.arcbox.core.sandbox.SandboxService;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.BaseUnits;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The daemon's Prometheus metrics (Micrometer), served as text at {@code http://ADDRESS/metrics}
 * by the JDK's HTTP server on virtual threads when {@code [metrics] address} is set. Names follow
 * Prometheus conventions: prefix {@code arcbox_}, base units seconds and bytes, {@code _total} only
 * on counters. What costs a store read or a disk walk is computed at most once per
 * {@link #CACHE} and shared by the series of one scrape.
 */
final class MetricsEndpoint implements AutoCloseable {

    /** How long a computed value (sandbox counts, data dir usage) serves scrapes. */
    static final Duration CACHE = Duration.ofSeconds(2);
    private static final List<String> STATES = List.of("starting", "ready", "running", "paused", "stopping",
            "stopped", "failed");
    private static final Duration[] LATENCY_BUCKETS = {Duration.ofMillis(50), Duration.ofMillis(100),
        Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofSeconds(2),
        Duration.ofSeconds(4), Duration.ofSeconds(8), Duration.ofSeconds(15), Duration.ofSeconds(30),
        Duration.ofSeconds(60), Duration.ofSeconds(120)};

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final ApiMetrics api = new ApiMetrics(registry);
    private HttpServer server;
    private ExecutorService executor;

    MetricsEndpoint(DaemonConfig config, SandboxService sandboxes) {
        bindSandboxes(sandboxes);
        bindTelemetry(sandboxes.telemetry());
        bindHost(config, sandboxes);
    }

    /** The interceptor that times API calls into this registry. */
    ApiMetrics api() {
        return api;
    }

    /** The text a scrape returns (Prometheus text format). */
    String scrape() {
        return registry.scrape();
    }

    private void bindSandboxes(SandboxService sandboxes) {
        Supplier<Map<String, Integer>> counts = cached(sandboxes::countByState);
        for (String state : STATES) {
            Gauge.builder("arcbox.sandboxes", () -> counts.get().getOrDefault(state, 0))
                    .description("sandboxes by state (running = ready with executions in flight)")
                    .tag("state", state).register(registry);
        }
    }

    private void bindTelemetry(Telemetry telemetry) {
        Map<Telemetry.Latency, Timer> latencies = new EnumMap<>(Telemetry.Latency.class);
        latencies.put(Telemetry.Latency.BOOT, latency("arcbox.sandbox.boot", "cold boot: create or start to ready"));
        latencies.put(Telemetry.Latency.RESTORE, latency("arcbox.sandbox.restore",
                "restore of one sandbox from a snapshot to ready"));
        latencies.put(Telemetry.Latency.FORK, latency("arcbox.sandbox.fork",
                "a whole fork (restore with count > 1) to all clones ready"));
        telemetry.onLatency((kind, took) -> latencies.get(kind).record(took));
        FunctionCounter.builder("arcbox.agent.reconnects", telemetry, Telemetry::agentReconnects)
                .description("guest agent connections made again after the earlier one closed").register(registry);
        for (Telemetry.ExecStream stream : Telemetry.ExecStream.values()) {
            FunctionCounter.builder("arcbox.exec.bytes", telemetry, t -> t.execBytes(stream))
                    .description("bytes through executions (Run, Exec) by stream").baseUnit(BaseUnits.BYTES)
                    .tag("stream", stream.name().toLowerCase(Locale.ROOT)).register(registry);
        }
        for (Telemetry.FileDirection direction : Telemetry.FileDirection.values()) {
            FunctionCounter.builder("arcbox.file.bytes", telemetry, t -> t.fileBytes(direction))
                    .description("bytes through file calls by direction").baseUnit(BaseUnits.BYTES)
                    .tag("direction", direction.name().toLowerCase(Locale.ROOT)).register(registry);
        }
    }

    private Timer latency(String name, String description) {
        return Timer.builder(name).description(description).serviceLevelObjectives(LATENCY_BUCKETS).register(registry);
    }

    private void bindHost(DaemonConfig config, SandboxService sandboxes) {
        Gauge.builder("arcbox.daemon.rss", MetricsEndpoint::rssBytes).description("resident memory of arcboxd")
                .baseUnit(BaseUnits.BYTES).register(registry);
        Supplier<Long> dataDir = cached(() -> allocatedBytes(config.dataDir()));
        Gauge.builder("arcbox.data.dir.usage", () -> dataDir.get()).baseUnit(BaseUnits.BYTES)
                .description("host bytes allocated under the data dir").register(registry);
        Supplier<long[]> snapshots = cached(() -> sandboxes.snapshots().usage());
        Gauge.builder("arcbox.snapshots.usage", () -> snapshots.get()[1]).baseUnit(BaseUnits.BYTES)
                .description("host bytes taken by published snapshots").register(registry);
        Gauge.builder("arcbox.snapshots", () -> snapshots.get()[0])
                .description("published snapshots").register(registry);
        Supplier<Long> consoles = cached(sandboxes::consoleLogBytes);
        Gauge.builder("arcbox.console.logs.usage", () -> consoles.get()).baseUnit(BaseUnits.BYTES)
                .description("bytes all sandboxes' console logs keep on disk").register(registry);
    }

    /** Serves {@code /metrics} on {@code address} ({@code host:port}). */
    MetricsEndpoint serve(String address) {
        int colon = address.lastIndexOf(':');
        String host = address.substring(0, colon).replace("[", "").replace("]", "");
        int port = Integer.parseInt(address.substring(colon + 1));
        try {
            executor = Executors.newVirtualThreadPerTaskExecutor();
            server = HttpServer.create(new InetSocketAddress(host, port), 16);
            server.setExecutor(executor);
            server.createContext("/metrics", this::handle);
            server.start();
        } catch (IOException | RuntimeException e) {
            throw new ArcboxException.HostFailure("metrics.address: serving on " + address + ": " + e.getMessage(), e);
        }
        return this;
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            if (!exchange.getRequestMethod().equals("GET") && !exchange.getRequestMethod().equals("HEAD")) {
                exchange.sendResponseHeaders(405, -1);
                return;
            }
            byte[] body = scrape().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
            boolean head = exchange.getRequestMethod().equals("HEAD");
            exchange.sendResponseHeaders(200, head ? -1 : body.length);
            if (!head) {
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(body);
                }
            }
        }
    }

    @Override
    public void close() {
        if (server != null) {
            server.stop(0);
            executor.shutdownNow();
        }
        registry.close();
    }

    /** {@code supplier}'s value, computed again only when older than {@link #CACHE}. */
    static <T> Supplier<T> cached(Supplier<T> supplier) {
        return new Supplier<>() {
            private T value;
            private long at;

            @Override
            public synchronized T get() {
                long now = System.nanoTime();
                if (value == null || now - at > CACHE.toNanos()) {
                    value = supplier.get();
                    at = now;
                }
                return value;
            }
        };
    }

    static long rssBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | NumberFormatException e) {
            return 0;
        }
        return 0;
    }

    /** Allocated bytes of a tree ({@code du}: sparse disks and memory files count what they use). */
    static long allocatedBytes(Path dir) {
        try {
            Process du = new ProcessBuilder("du", "-s", "--block-size=1", dir.toString())
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
            String out = new String(du.getInputStream().readNBytes(4096), StandardCharsets.UTF_8);
            if (!du.waitFor(30, TimeUnit.SECONDS)) {
                du.destroyForcibly();
                return 0;
            }
            return Optional.of(out.strip().split("\\s+")[0]).filter(s -> s.matches("[0-9]+")).map(Long::parseLong)
                    .orElse(0L);
        } catch (IOException e) {
            return 0;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 0;
        }
    }
}
