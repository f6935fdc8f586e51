package dev.arcbox.core.store;

import java.util.List;

/**
 * A page of events read in one consistent snapshot.
 *
 * @param events the matching events, in sequence order
 * @param nextSeq the sequence number to read from next to continue after this page
 * @param oldestSeq the oldest sequence number still stored when the page was read; a read that
 *     asked for a smaller one has missed trimmed events (the API answers {@code OUT_OF_RANGE})
 */
public record EventPage(List<EventRow> events, long nextSeq, long oldestSeq) {

    public EventPage {
        events = List.copyOf(events);
    }
}
