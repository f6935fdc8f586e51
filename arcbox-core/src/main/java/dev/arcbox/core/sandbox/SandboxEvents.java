package dev.arcbox.core.sandbox;

import dev.arcbox.core.ArcboxException;
import dev.arcbox.core.store.EventFilter;
import dev.arcbox.core.store.EventPage;
import dev.arcbox.core.store.EventRow;
import dev.arcbox.core.store.Store;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * Lifecycle events: durable in the store (sequence numbers never reused), pushed to live
 * subscribers after their transaction committed. Retention is bounded: events older than the last
 * {@link #RETAIN} are trimmed, and asking to resume below the oldest kept one is OUT_OF_RANGE.
 */
public final class SandboxEvents {

    /** How many events the store keeps. */
    public static final int RETAIN = 10_000;

    private final Store store;
    private final CopyOnWriteArrayList<Consumer<EventRow>> subscribers = new CopyOnWriteArrayList<>();
    private long appended;

    SandboxEvents(Store store) {
        this.store = store;
    }

    /** Records an event in its own transaction and notifies subscribers. */
    long emit(String sandboxId, String uid, String action, String dataJson) {
        long seq = store.appendEvent(sandboxId, uid, action, dataJson == null ? "{}" : dataJson);
        published(seq);
        return seq;
    }

    /** Notifies subscribers of an event appended inside a caller's (now committed) transaction. */
    void published(long seq) {
        EventPage page = store.readEventsFrom(seq, 1, EventFilter.ALL);
        for (EventRow row : page.events()) {
            subscribers.forEach(s -> s.accept(row));
        }
        synchronized (this) {
            if (++appended % 1000 == 0) {
                store.trimEvents(RETAIN);
            }
        }
    }

    /** Adds a live subscriber; returns the handle that removes it. */
    public AutoCloseable subscribe(Consumer<EventRow> subscriber) {
        subscribers.add(subscriber);
        return () -> subscribers.remove(subscriber);
    }

    /**
     * Stored events from {@code fromSeq} (inclusive), at most {@code limit}.
     *
     * @throws ArcboxException.InvalidArgument as OUT_OF_RANGE when {@code fromSeq} was trimmed
     */
    public EventPage read(long fromSeq, int limit, EventFilter filter) {
        EventPage page = store.readEventsFrom(fromSeq, limit, filter);
        if (fromSeq > 0 && page.oldestSeq() > 0 && fromSeq < page.oldestSeq()) {
            throw new ArcboxException.OutOfRange("events before seq " + page.oldestSeq()
                    + " are no longer kept (asked for " + fromSeq + ")");
        }
        return page;
    }

    /** The last sequence number handed out, 0 when none. */
    public long lastSeq() {
        return store.read(tx -> tx.lastEventSeq());
    }
}
