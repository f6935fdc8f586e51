package dev.arcbox.driver.firecracker;

import com.fasterxml.jackson.databind.JsonNode;
import dev.arcbox.core.ArcboxException;
import dev.arcbox.driver.firecracker.api.FcJson;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.Pipe;
import java.nio.channels.ReadableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Firecracker's logger and metrics FIFOs, drained continuously so Firecracker never blocks on
 * them or drops lines: the log is appended to a file (kept under {@link #LOG_LIMIT}, the older
 * half dropped when it grows past it), each metrics line (a JSON object) replaces the latest
 * counters. The driver opens each FIFO read-write, so the open never blocks and Firecracker's
 * non-blocking open for writing always finds a reader. Closed when the VM is gone.
 *
 * <p>A third FIFO is Firecracker's standard output, where the guest's serial console goes (on a
 * cold boot without {@code serial_out_path}, and always after a snapshot load, which takes no
 * {@code /serial}). A platform thread moves it into an in-process pipe, and {@link #console()}
 * hands that pipe's readable end to the daemon's console drain, which keeps it in the sandbox's
 * capped console log — so a guest writing its console without end cannot fill the host's disk.
 * (The drain runs on a virtual thread; a blocking read of the FIFO itself would hold a carrier
 * thread for the VM's whole life, and a few hundred VMs would starve the daemon's virtual threads.
 * The pipe's end is selectable, so a virtual thread waits on it without a carrier.) While nobody
 * reads, the pipes fill and Firecracker (whose standard output is non-blocking) drops console
 * bytes; it never stalls the guest.
 */
final class FcPipes implements AutoCloseable {

    static final long LOG_LIMIT = 4L << 20;
    private static final System.Logger LOG = System.getLogger(FcPipes.class.getName());

    private final String vmId;
    private final FileChannel logIn;
    private final FileChannel metricsIn;
    private final FileChannel consoleIn;
    private final Pipe console;
    private final Path consoleFifo;
    private final Path logFile;
    private final AtomicReference<Map<String, Long>> latest = new AtomicReference<>(Map.of());
    private final AtomicLong metricLines = new AtomicLong();

    private FcPipes(String vmId, FileChannel logIn, FileChannel metricsIn, FileChannel consoleIn, Pipe console,
            Path consoleFifo, Path logFile) {
        this.vmId = vmId;
        this.logIn = logIn;
        this.metricsIn = metricsIn;
        this.consoleIn = consoleIn;
        this.console = console;
        this.consoleFifo = consoleFifo;
        this.logFile = logFile;
    }

    /**
     * Creates the FIFOs when missing (logger and metrics owned by {@code owner} when jailed;
     * the console FIFO stays root's: Firecracker inherits it as its standard output, it never
     * opens it), opens them and starts the drains.
     */
    static FcPipes open(String vmId, Path logFifo, Path metricsFifo, Path consoleFifo, Path logFile, FcJail owner) {
        try {
            mkfifo(logFifo);
            mkfifo(metricsFifo);
            mkfifo(consoleFifo);
            if (owner != null) {
                owner.own(logFifo);
                owner.own(metricsFifo);
            }
            FileChannel log = FileChannel.open(logFifo, StandardOpenOption.READ, StandardOpenOption.WRITE);
            FileChannel metrics = FileChannel.open(metricsFifo, StandardOpenOption.READ, StandardOpenOption.WRITE);
            FileChannel console = FileChannel.open(consoleFifo, StandardOpenOption.READ, StandardOpenOption.WRITE);
            FcPipes pipes = new FcPipes(vmId, log, metrics, console, Pipe.open(), consoleFifo, logFile);
            Thread.ofPlatform().daemon().name("fc-log-" + vmId).start(pipes::drainLog);
            Thread.ofPlatform().daemon().name("fc-metrics-" + vmId).start(pipes::drainMetrics);
            Thread.ofPlatform().daemon().name("fc-console-" + vmId).start(pipes::pumpConsole);
            return pipes;
        } catch (IOException e) {
            throw new ArcboxException.HostFailure("vm " + vmId + ": opening firecracker's log, metrics and console fifos: "
                    + e.getMessage(), e);
        }
    }

    private static void mkfifo(Path fifo) throws IOException {
        if (Files.exists(fifo)) {
            return;
        }
        Process p = new ProcessBuilder("mkfifo", "-m", "0600", "--", fifo.toString()).redirectErrorStream(true).start();
        try {
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
                p.destroyForcibly();
                throw new IOException("mkfifo " + fifo + ": " + out);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("mkfifo " + fifo + ": interrupted", e);
        }
    }

    private void drainLog() {
        byte[] buf = new byte[8192];
        try (var in = Channels.newInputStream(logIn)) {
            OutputStream out = Files.newOutputStream(logFile, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            try {
                int n;
                while ((n = in.read(buf)) > 0) {
                    out.write(buf, 0, n);
                    out.flush();
                    if (Files.size(logFile) > LOG_LIMIT) {
                        out.close();
                        keepNewerHalf();
                        out = Files.newOutputStream(logFile, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
                    }
                }
            } finally {
                out.close();
            }
        } catch (IOException e) {
            stopped("log", e);
        }
    }

    private void keepNewerHalf() throws IOException {
        byte[] all = Files.readAllBytes(logFile);
        Files.write(logFile, java.util.Arrays.copyOfRange(all, all.length / 2, all.length));
    }

    /** FIFO to pipe, until the FIFO closes; then the pipe's end, so its reader sees the end of the stream. */
    private void pumpConsole() {
        ByteBuffer buf = ByteBuffer.allocate(8192);
        try (Pipe.SinkChannel out = console.sink()) {
            while (consoleIn.read(buf.clear()) > 0) {
                buf.flip();
                while (buf.hasRemaining()) {
                    out.write(buf); // waits while the daemon's reader is behind: the FIFO fills, Firecracker drops
                }
            }
        } catch (IOException e) {
            stopped("console", e);
        }
    }

    private void drainMetrics() {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(metricsIn),
                StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                accept(line);
            }
        } catch (IOException e) {
            stopped("metrics", e);
        }
    }

    /** Takes one metrics line; lines that are not JSON objects are skipped. */
    void accept(String line) {
        try {
            JsonNode node = FcJson.MAPPER.readTree(line);
            if (node != null && node.isObject()) {
                latest.set(flatten(node));
                metricLines.incrementAndGet();
            }
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, "vm " + vmId + ": unreadable metrics line: " + e.getMessage());
        }
    }

    /** {@code {"net":{"rx_bytes":1}}} as {@code net.rx_bytes=1}: numeric leaves only. */
    static Map<String, Long> flatten(JsonNode node) {
        Map<String, Long> out = new TreeMap<>();
        flatten("", node, out);
        return Collections.unmodifiableMap(out);
    }

    private static void flatten(String prefix, JsonNode node, Map<String, Long> out) {
        if (node.isObject()) {
            node.properties().forEach(e -> flatten(prefix.isEmpty() ? e.getKey() : prefix + "." + e.getKey(),
                    e.getValue(), out));
        } else if (node.isIntegralNumber()) {
            out.put(prefix, node.asLong());
        }
    }

    private void stopped(String what, IOException e) {
        if (logIn.isOpen() && metricsIn.isOpen()) {
            LOG.log(System.Logger.Level.WARNING, "vm " + vmId + ": draining firecracker " + what + ": " + e.getMessage());
        }
    }

    /** The latest metrics, flattened; empty before the first line. */
    Map<String, Long> latest() {
        return latest.get();
    }

    /** How many metrics lines were read. */
    long metricLines() {
        return metricLines.get();
    }

    Path logFile() {
        return logFile;
    }

    /**
     * Firecracker's standard output (the serial console) for one reader at a time. Closing the view
     * leaves the stream open, so a reader that goes away loses only what it did not read; reads end
     * (end of stream, or an {@link IOException}) once the VM is gone.
     */
    ReadableByteChannel console() {
        Pipe.SourceChannel in = console.source();
        return new ReadableByteChannel() {
            @Override
            public int read(ByteBuffer dst) throws IOException {
                return in.read(dst);
            }

            @Override
            public boolean isOpen() {
                return in.isOpen();
            }

            @Override
            public void close() {
                // the FIFO belongs to the VM, not to one reader
            }
        };
    }

    /**
     * What Firecracker wrote to its standard output and nobody read yet, its last {@code max}
     * bytes: for the error of a start that failed (Firecracker logs there until its logger is set
     * up). Writes an end mark into the FIFO (this end also writes) and reads up to it, so it never
     * waits for Firecracker; call it only while no console reader runs. Output a live Firecracker
     * writes after the mark may be read with it and is dropped.
     */
    String unreadConsole(int max) {
        byte[] mark = ("\n" + vmId + ":end-of-unread-console:" + System.nanoTime() + "\n").getBytes(StandardCharsets.UTF_8);
        Thread writer = Thread.ofVirtual().name("fc-console-mark-" + vmId).start(() -> {
            try {
                // a descriptor of its own: a FileChannel's reads and writes share one lock, and the read below blocks
                try (FileChannel out = FileChannel.open(consoleFifo, StandardOpenOption.WRITE)) {
                    out.write(ByteBuffer.wrap(mark)); // waits while the pipe is full, until the reader below makes room
                }
            } catch (IOException e) {
                LOG.log(System.Logger.Level.DEBUG, "vm " + vmId + ": marking the console's end: " + e.getMessage());
            }
        });
        java.io.ByteArrayOutputStream seen = new java.io.ByteArrayOutputStream();
        ByteBuffer buf = ByteBuffer.allocate(8192);
        try {
            while (console.source().read(buf.clear()) > 0) {
                seen.write(buf.array(), 0, buf.position());
                if (indexOf(seen, mark) >= 0) {
                    break;
                }
                if (seen.size() > 2 * (max + mark.length)) { // keep the tail, and any part of the mark in it
                    byte[] keep = java.util.Arrays.copyOfRange(seen.toByteArray(), seen.size() - max - mark.length,
                            seen.size());
                    seen.reset();
                    seen.write(keep, 0, keep.length);
                }
            }
            writer.join();
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, "vm " + vmId + ": reading the console: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        byte[] all = seen.toByteArray();
        int end = indexOf(seen, mark);
        end = end < 0 ? all.length : end;
        String text = new String(all, 0, end, StandardCharsets.UTF_8).strip();
        return text.length() <= max ? text : text.substring(text.length() - max);
    }

    /** Where {@code mark} starts in what was read, or -1. */
    private static int indexOf(java.io.ByteArrayOutputStream seen, byte[] mark) {
        byte[] all = seen.toByteArray();
        for (int i = 0; i + mark.length <= all.length; i++) {
            if (java.util.Arrays.equals(all, i, i + mark.length, mark, 0, mark.length)) {
                return i;
            }
        }
        return -1;
    }

    @Override
    public void close() {
        for (java.nio.channels.Channel ch : new java.nio.channels.Channel[] {logIn, metricsIn, consoleIn,
                console.source()}) {
            try {
                ch.close();
            } catch (IOException e) {
                LOG.log(System.Logger.Level.DEBUG, "vm " + vmId + ": closing fifo: " + e.getMessage());
            }
        }
    }
}
