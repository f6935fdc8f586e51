package dev.arcbox.core.store;

import dev.arcbox.core.ArcboxException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The exclusive lock that makes one arcboxd the owner of a data directory: an exclusive
 * {@link FileChannel#tryLock()} on {@code arcbox.lock}, held while the store is open and released
 * by the kernel when the process dies, however it dies. The file holds the owner's pid for error
 * messages only — liveness is the lock, never the pid, and the file is never deleted (deleting it
 * would let two openers lock two different files).
 *
 * <p>The lock is a POSIX record lock: the kernel drops it when <em>any</em> descriptor of the file
 * in this process is closed. So nothing in this JVM may open {@code arcbox.lock} while a store
 * holds it; a second store for the same directory in this JVM is refused from an in-memory set of
 * held directories before the file is touched.
 */
final class DataDirLock implements AutoCloseable {

    static final String FILE = "arcbox.lock";

    private static final Set<Path> HELD = ConcurrentHashMap.newKeySet();

    private final Path dir;
    private final FileChannel channel;
    private final FileLock lock;

    private DataDirLock(Path dir, FileChannel channel, FileLock lock) {
        this.dir = dir;
        this.channel = channel;
        this.lock = lock;
    }

    /** Takes the lock on {@code dir} (a real path) or throws FailedPrecondition naming the holder's pid. */
    static DataDirLock acquire(Path dir) {
        long self = ProcessHandle.current().pid();
        if (!HELD.add(dir)) {
            throw inUse(dir, self + ", this process");
        }
        Path file = dir.resolve(FILE);
        FileChannel channel = null;
        try {
            channel = FileChannel.open(file,
                    Set.of(StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE),
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            FileLock lock;
            try {
                lock = channel.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null;
            }
            if (lock == null) {
                String holder = readPid(channel);
                throw inUse(dir, holder);
            }
            byte[] pid = (self + "\n").getBytes(StandardCharsets.US_ASCII);
            channel.truncate(0);
            channel.write(ByteBuffer.wrap(pid), 0);
            channel.force(true);
            return new DataDirLock(dir, channel, lock);
        } catch (IOException e) {
            HELD.remove(dir);
            closeQuietly(channel);
            throw new ArcboxException.HostFailure("locking data dir " + dir + " (" + file + "): " + e.getMessage(), e);
        } catch (RuntimeException e) {
            HELD.remove(dir);
            closeQuietly(channel);
            throw e;
        }
    }

    @Override
    public void close() {
        try {
            lock.release();
            channel.close();
        } catch (IOException e) {
            throw new ArcboxException.HostFailure("unlocking data dir " + dir + ": " + e.getMessage(), e);
        } finally {
            HELD.remove(dir);
        }
    }

    private static String readPid(FileChannel channel) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(32);
        channel.read(buf, 0);
        String text = new String(buf.array(), 0, buf.position(), StandardCharsets.US_ASCII).strip();
        return text.matches("[0-9]+") ? text : "unknown";
    }

    private static ArcboxException.FailedPrecondition inUse(Path dir, String pid) {
        return new ArcboxException.FailedPrecondition(
                "data dir " + dir + " is in use by another arcboxd (pid " + pid + ")");
    }

    private static void closeQuietly(FileChannel channel) {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException ignored) {
                // already failing; the first error is the one reported
            }
        }
    }
}
