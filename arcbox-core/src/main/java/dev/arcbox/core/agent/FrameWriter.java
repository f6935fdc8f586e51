package dev.arcbox.core.agent;

import dev.arcbox.core.ArcboxException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Writes whole frames to the agent channel, one writer at a time. Waiting for the writer lock is bounded by
 * the caller's deadline; the write itself by the {@link StallWatchdog}, which closes the channel.
 *
 * <p>The channel is interruptible: interrupting a thread inside {@link #write} closes the connection (JDK
 * semantics), since the peer would otherwise see half a frame.
 */
final class FrameWriter {

    private final WritableByteChannel channel;
    private final StallWatchdog watchdog;
    private final ReentrantLock lock = new ReentrantLock();

    FrameWriter(WritableByteChannel channel, StallWatchdog watchdog) {
        this.channel = channel;
        this.watchdog = watchdog;
    }

    /**
     * Writes the bytes (one or more whole frames) in one piece.
     *
     * @throws ArcboxException.DeadlineExceeded when another writer held the lock until the deadline
     * @throws IOException when the channel failed; the connection is then unusable
     */
    void write(byte[] bytes, Deadline deadline, String operation) throws IOException {
        try {
            if (!lock.tryLock(deadline.remainingNanos(), TimeUnit.NANOSECONDS)) {
                throw deadline.exceeded(operation + ": waiting to write to the guest agent");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ArcboxException.Unavailable(operation + ": interrupted while waiting to write", e);
        }
        try {
            long token = watchdog.begin("writing a frame");
            try {
                ByteBuffer buffer = ByteBuffer.wrap(bytes);
                while (buffer.hasRemaining()) {
                    channel.write(buffer);
                }
            } finally {
                watchdog.end(token);
            }
        } finally {
            lock.unlock();
        }
    }
}
