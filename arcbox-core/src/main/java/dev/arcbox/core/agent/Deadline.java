package dev.arcbox.core.agent;

import dev.arcbox.core.ArcboxException;
import java.time.Duration;

/** A point on the monotonic clock by which an operation must finish; {@code budget} is what the caller gave. */
record Deadline(long atNanos, Duration budget) {

    /** Longest budget honoured (about 73 years); longer ones are clamped so nanoTime arithmetic cannot overflow. */
    private static final long MAX_NANOS = Long.MAX_VALUE / 4;

    static Deadline after(Duration budget) {
        if (budget == null || budget.isNegative()) {
            throw new ArcboxException.InvalidArgument("deadline: must be a non-negative duration, got " + budget);
        }
        long nanos = budget.compareTo(Duration.ofNanos(MAX_NANOS)) > 0 ? MAX_NANOS : budget.toNanos();
        return new Deadline(System.nanoTime() + nanos, budget);
    }

    long remainingNanos() {
        return Math.max(0, atNanos - System.nanoTime());
    }

    boolean expired() {
        return remainingNanos() == 0;
    }

    ArcboxException.DeadlineExceeded exceeded(String operation) {
        return new ArcboxException.DeadlineExceeded(operation + ": deadline of " + budget.toMillis() + " ms exceeded");
    }
}
