package dev.arcbox.core.console;

import dev.arcbox.core.ArcboxException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A sandbox's serial console on the host, bounded: the current segment {@code console.log} and one
 * previous segment {@code console.log.1}; a segment holds at most half of {@code maxBytes}, so the
 * bytes kept on disk never exceed {@code maxBytes} however much the guest writes.
 *
 * <p>Offsets count the console's whole output as this log received it (bytes the VMM dropped while
 * nobody drained the console are not counted). The offset of the current segment's first byte is
 * kept in {@code console.log.base}; a rotation writes the new base to {@code console.log.base.tmp}
 * first, renames the segment, then the base file, so {@link #open} can finish (or discard) a
 * rotation a crash interrupted.
 *
 * <p>One writer ({@link #append}), any number of readers ({@link #read}, {@link #awaitBeyond}).
 * Thread safe: one lock guards the files, so a reader never sees a half-done rotation.
 */
public final class ConsoleLog implements AutoCloseable {

    /** The suffix of the previous segment. */
    public static final String PREVIOUS = ".1";
    private static final String BASE = ".base";
    private static final String BASE_TMP = ".base.tmp";

    private final Path file;
    private final Path previous;
    private final Path baseFile;
    private final Path baseTmp;
    private final long segmentBytes;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition grown = lock.newCondition();
    private FileChannel writer;
    private long base;
    private long currentBytes;
    private long previousBytes;
    private boolean closed;

    private ConsoleLog(Path file, long maxBytes) {
        this.file = file;
        this.previous = sibling(file, PREVIOUS);
        this.baseFile = sibling(file, BASE);
        this.baseTmp = sibling(file, BASE_TMP);
        this.segmentBytes = Math.max(1, maxBytes / 2);
    }

    /**
     * Opens the log at {@code file} (its directory need not exist yet), finishing a rotation a
     * crash interrupted. Nothing is created until the first {@link #append}.
     *
     * @param maxBytes what the two segments may hold together on disk
     */
    public static ConsoleLog open(Path file, long maxBytes) {
        if (maxBytes < 2) {
            throw new IllegalArgumentException("maxBytes: must be at least 2, got " + maxBytes);
        }
        ConsoleLog log = new ConsoleLog(file, maxBytes);
        try {
            log.recover();
        } catch (IOException e) {
            throw new ArcboxException.HostFailure("opening console log " + file + ": " + e.getMessage(), e);
        }
        return log;
    }

    private void recover() throws IOException {
        if (Files.exists(baseTmp)) {
            if (Files.exists(file)) {
                Files.delete(baseTmp);      // crashed before the segment moved: the rotation never happened
            } else {
                Files.move(baseTmp, baseFile, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            }
        }
        base = readBase();
        currentBytes = size(file);
        previousBytes = size(previous);
    }

    private long readBase() throws IOException {
        try {
            return Long.parseLong(Files.readString(baseFile, StandardCharsets.US_ASCII).strip());
        } catch (NoSuchFileException e) {
            return 0;
        } catch (NumberFormatException e) {
            return 0;                       // a damaged base file costs offsets, not output
        }
    }

    private static long size(Path p) throws IOException {
        try {
            return Files.size(p);
        } catch (NoSuchFileException e) {
            return 0;
        }
    }

    private static Path sibling(Path file, String suffix) {
        return file.resolveSibling(file.getFileName() + suffix);
    }

    /**
     * Appends console output, rotating whenever the current segment would pass its share of the
     * cap. A no-op once closed.
     */
    public void append(byte[] data, int offset, int length) {
        lock.lock();
        try {
            if (closed) {
                return;
            }
            int at = offset;
            int left = length;
            while (left > 0) {
                if (currentBytes >= segmentBytes) {
                    rotate();
                }
                int n = (int) Math.min(left, segmentBytes - currentBytes);
                ByteBuffer buf = ByteBuffer.wrap(data, at, n);
                FileChannel w = writer();
                while (buf.hasRemaining()) {
                    w.write(buf);
                }
                currentBytes += n;
                at += n;
                left -= n;
            }
            grown.signalAll();
        } catch (IOException e) {
            throw new ArcboxException.HostFailure("writing console log " + file + ": " + e.getMessage(), e);
        } finally {
            lock.unlock();
        }
    }

    private FileChannel writer() throws IOException {
        if (writer == null) {
            writer = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
            currentBytes = writer.size();
        }
        return writer;
    }

    private void rotate() throws IOException {
        long newBase = base + currentBytes;
        Files.writeString(baseTmp, Long.toString(newBase), StandardCharsets.US_ASCII);
        if (writer != null) {
            writer.close();
            writer = null;
        }
        Files.move(file, previous, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        Files.move(baseTmp, baseFile, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        previousBytes = currentBytes;
        currentBytes = 0;
        base = newBase;
    }

    /**
     * Up to {@code maxBytes} retained bytes from offset {@code from}. When {@code from} was
     * rotated away, the chunk starts at the oldest retained byte and says how many were lost.
     * An empty chunk when nothing is retained at or after {@code from}, or the log is closed (its
     * files are about to go with the sandbox).
     */
    public Chunk read(long from, int maxBytes) {
        lock.lock();
        try {
            if (closed) {
                return new Chunk(from, new byte[0], 0);
            }
            long start = base - previousBytes;
            long end = base + currentBytes;
            long lost = Math.max(0, start - from);
            long at = Math.max(from, start);
            if (at >= end || maxBytes <= 0) {
                return new Chunk(at, new byte[0], lost);
            }
            Path segment = at < base ? previous : file;
            long position = at < base ? at - start : at - base;
            long available = at < base ? base - at : end - at;
            byte[] data = readAt(segment, position, (int) Math.min(maxBytes, available));
            return new Chunk(at, data, lost);
        } catch (IOException e) {
            throw new ArcboxException.HostFailure("reading console log " + file + ": " + e.getMessage(), e);
        } finally {
            lock.unlock();
        }
    }

    private static byte[] readAt(Path segment, long position, int length) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(length);
        try (FileChannel ch = FileChannel.open(segment, StandardOpenOption.READ)) {
            while (buf.hasRemaining()) {
                if (ch.read(buf, position + buf.position()) < 0) {
                    break;
                }
            }
        }
        byte[] data = new byte[buf.position()];
        buf.flip().get(data);
        return data;
    }

    /**
     * Waits until output past {@code offset} exists, the log is closed, or {@code timeout} passed.
     *
     * @return whether output past {@code offset} exists
     */
    public boolean awaitBeyond(long offset, Duration timeout) throws InterruptedException {
        long nanos = timeout.toNanos();
        lock.lock();
        try {
            while (!closed && base + currentBytes <= offset && nanos > 0) {
                nanos = grown.awaitNanos(nanos);
            }
            return base + currentBytes > offset;
        } finally {
            lock.unlock();
        }
    }

    /** The offset just past the last byte received. */
    public long endOffset() {
        lock.lock();
        try {
            return base + currentBytes;
        } finally {
            lock.unlock();
        }
    }

    /** The offset of the oldest byte still retained. */
    public long startOffset() {
        lock.lock();
        try {
            return base - previousBytes;
        } finally {
            lock.unlock();
        }
    }

    /** Bytes kept on disk (both segments). */
    public long retainedBytes() {
        lock.lock();
        try {
            return previousBytes + currentBytes;
        } finally {
            lock.unlock();
        }
    }

    /** Whether the log was closed (its sandbox is gone). */
    public boolean isClosed() {
        lock.lock();
        try {
            return closed;
        } finally {
            lock.unlock();
        }
    }

    /** Stops writing and wakes every follower; the files stay. Idempotent. */
    @Override
    public void close() {
        lock.lock();
        try {
            closed = true;
            if (writer != null) {
                writer.close();
                writer = null;
            }
        } catch (IOException e) {
            // nothing was buffered: the log's bytes are on disk already
        } finally {
            grown.signalAll();
            lock.unlock();
        }
    }

    /** Bytes of a console log at {@code file} on disk, both segments, without opening it. */
    public static long bytesOnDisk(Path file) {
        try {
            return size(file) + size(sibling(file, PREVIOUS));
        } catch (IOException e) {
            return 0;
        }
    }

    /**
     * A piece of console output.
     *
     * @param offset of the first byte in the console's whole output
     * @param data the bytes
     * @param lostBytes bytes before {@code offset} that were asked for but rotated away
     */
    public record Chunk(long offset, byte[] data, long lostBytes) {}
}
