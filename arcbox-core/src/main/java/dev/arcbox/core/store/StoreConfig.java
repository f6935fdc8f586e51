package dev.arcbox.core.store;

import java.time.Clock;
import java.time.Duration;
import java.util.Objects;

/**
 * How a {@link Store} talks to its database file.
 *
 * @param clock the source of every timestamp the store writes
 * @param busyTimeout how long a statement waits for a lock held by another process before the
 *     store reports the database as locked ({@code PRAGMA busy_timeout})
 * @param readers number of read-only connections kept open for concurrent reads (1–16)
 */
public record StoreConfig(Clock clock, Duration busyTimeout, int readers) {

    public StoreConfig {
        Objects.requireNonNull(clock, "clock");
        Objects.requireNonNull(busyTimeout, "busyTimeout");
        if (busyTimeout.isNegative() || busyTimeout.toMillis() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("busyTimeout: must be between 0 and 24 days, got " + busyTimeout);
        }
        if (readers < 1 || readers > 16) {
            throw new IllegalArgumentException("readers: must be between 1 and 16, got " + readers);
        }
    }

    /** The system clock, a 5 s busy timeout and two readers. */
    public static StoreConfig defaults() {
        return new StoreConfig(Clock.systemUTC(), Duration.ofSeconds(5), 2);
    }

    public StoreConfig withClock(Clock newClock) {
        return new StoreConfig(newClock, busyTimeout, readers);
    }

    public StoreConfig withBusyTimeout(Duration newTimeout) {
        return new StoreConfig(clock, newTimeout, readers);
    }
}
