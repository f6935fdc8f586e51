package dev.arcbox.core.metrics;

import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.LongAdder;

/**
 * What core counts and times for the daemon's metrics, without depending on a metrics library:
 * counters are cheap {@link LongAdder}s the exporter reads, latencies go to a {@link LatencySink}
 * the exporter installs (none: dropped). The API layer (Run, Exec, files) reports the bytes it
 * moves through {@link #execBytes} and {@link #fileBytes}. Thread safe.
 */
public final class Telemetry {

    /** Latencies core measures. */
    public enum Latency {
        /** Create or start to ready: a cold boot. */
        BOOT,
        /** One sandbox restored from a snapshot, to ready (each clone of a fork counts once). */
        RESTORE,
        /** A whole fork (restore with count > 1), to all clones ready. */
        FORK
    }

    /** Streams of an execution. */
    public enum ExecStream {
        STDIN,
        STDOUT,
        STDERR
    }

    /** Directions of a file transfer, seen from the guest. */
    public enum FileDirection {
        READ,
        WRITE
    }

    /** Receives every latency measured; must be fast and thread safe. */
    @FunctionalInterface
    public interface LatencySink {
        void record(Latency kind, Duration took);
    }

    private final LongAdder agentReconnects = new LongAdder();
    private final Map<ExecStream, LongAdder> execBytes = new EnumMap<>(ExecStream.class);
    private final Map<FileDirection, LongAdder> fileBytes = new EnumMap<>(FileDirection.class);
    private volatile LatencySink sink = (kind, took) -> { };

    public Telemetry() {
        for (ExecStream s : ExecStream.values()) {
            execBytes.put(s, new LongAdder());
        }
        for (FileDirection d : FileDirection.values()) {
            fileBytes.put(d, new LongAdder());
        }
    }

    /** Installs the receiver of latencies (the metrics exporter). */
    public void onLatency(LatencySink sink) {
        this.sink = Objects.requireNonNull(sink, "sink");
    }

    public void latency(Latency kind, Duration took) {
        sink.record(kind, took);
    }

    /** A guest agent was connected again after its earlier connection closed. */
    public void agentReconnected() {
        agentReconnects.increment();
    }

    public long agentReconnects() {
        return agentReconnects.sum();
    }

    /** Bytes moved through an execution's stream (Run, Exec). */
    public void execBytes(ExecStream stream, long bytes) {
        execBytes.get(stream).add(bytes);
    }

    public long execBytes(ExecStream stream) {
        return execBytes.get(stream).sum();
    }

    /** Bytes moved by a file call. */
    public void fileBytes(FileDirection direction, long bytes) {
        fileBytes.get(direction).add(bytes);
    }

    public long fileBytes(FileDirection direction) {
        return fileBytes.get(direction).sum();
    }
}
