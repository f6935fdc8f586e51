package dev.arcbox.core.agent;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * Fires once when an activity (a partial frame being read, a frame being written) lasts longer than the
 * limit. Reads and writes on the agent channel block, so this is what bounds them: the callback closes the
 * channel, which unblocks both. One virtual thread; it sleeps on a condition while nothing is in progress.
 */
final class StallWatchdog implements AutoCloseable {

    private record Activity(String what, long startNanos) {}

    private final long limitNanos;
    private final Consumer<String> onStall;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final Map<Long, Activity> active = new LinkedHashMap<>();
    private long nextToken = 1;
    private boolean closed;

    StallWatchdog(Duration limit, Consumer<String> onStall) {
        this.limitNanos = limit.toNanos();
        this.onStall = onStall;
    }

    void start(ThreadFactory threads) {
        threads.newThread(this::watch).start();
    }

    /** Marks the start of an activity; pass the token to {@link #end}. */
    long begin(String what) {
        lock.lock();
        try {
            long token = nextToken++;
            active.put(token, new Activity(what, System.nanoTime()));
            if (active.size() == 1) {
                changed.signalAll();
            }
            return token;
        } finally {
            lock.unlock();
        }
    }

    void end(long token) {
        lock.lock();
        try {
            active.remove(token);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void close() {
        lock.lock();
        try {
            closed = true;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    private void watch() {
        String stalled = null;
        lock.lock();
        try {
            while (!closed && stalled == null) {
                Activity oldest = active.isEmpty() ? null : active.values().iterator().next();
                if (oldest == null) {
                    changed.await();
                    continue;
                }
                long waitNanos = oldest.startNanos() + limitNanos - System.nanoTime();
                if (waitNanos <= 0) {
                    stalled = oldest.what() + " for more than " + TimeUnit.NANOSECONDS.toMillis(limitNanos) + " ms";
                } else {
                    changed.awaitNanos(waitNanos);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        } finally {
            lock.unlock();
        }
        if (stalled != null) {
            onStall.accept(stalled);
        }
    }
}
