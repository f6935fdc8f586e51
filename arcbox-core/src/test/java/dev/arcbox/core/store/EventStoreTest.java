package dev.arcbox.core.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Events: sequence numbers, paged reads with filters, retention and the oldest retained seq. */
class EventStoreTest {

    @TempDir
    Path dir;

    @Test
    void append_returnsGrowingSeqs_andReadFromPagesThroughThem() {
        try (Store store = Store.open(dir, Fixtures.FAST)) {
            assertThat(store.oldestEventSeq()).as("empty store: the next seq").isEqualTo(1);
            for (int i = 1; i <= 5; i++) {
                assertThat(store.appendEvent("box", "aaaa0001", "tick", "{\"n\":" + i + "}")).isEqualTo(i);
            }

            EventPage first = store.readEventsFrom(1, 2, EventFilter.ALL);
            EventPage second = store.readEventsFrom(first.nextSeq(), 2, EventFilter.ALL);
            EventPage last = store.readEventsFrom(second.nextSeq(), 2, EventFilter.ALL);
            EventPage empty = store.readEventsFrom(last.nextSeq(), 2, EventFilter.ALL);

            assertThat(first.events()).extracting(EventRow::seq).containsExactly(1L, 2L);
            assertThat(second.events()).extracting(EventRow::seq).containsExactly(3L, 4L);
            assertThat(last.events()).extracting(EventRow::seq).containsExactly(5L);
            assertThat(last.nextSeq()).isEqualTo(6);
            assertThat(empty.events()).isEmpty();
            assertThat(empty.nextSeq()).isEqualTo(6);
            assertThat(first.events().getFirst().dataJson()).isEqualTo("{\"n\":1}");
        }
    }

    @Test
    void readFrom_filtersBySandboxAndAction() {
        try (Store store = Store.open(dir, Fixtures.FAST)) {
            store.appendEvent("a", "aaaa0001", "created", null);
            store.appendEvent("b", "bbbb0001", "created", null);
            store.appendEvent("a", "aaaa0001", "state-changed", "{\"state\":\"ready\"}");
            store.appendEvent(null, null, "daemon-started", null);
            store.appendEvent("a", "aaaa0001", "removed", null);

            assertThat(store.readEventsFrom(1, 10, EventFilter.forSandbox("a")).events())
                    .extracting(EventRow::action).containsExactly("created", "state-changed", "removed");
            EventPage page = store.readEventsFrom(1, 1, new EventFilter("a", null, Set.of("state-changed", "removed")));
            assertThat(page.events()).extracting(EventRow::seq).containsExactly(3L);
            assertThat(store.readEventsFrom(page.nextSeq(), 1,
                    new EventFilter(null, "aaaa0001", Set.of("state-changed", "removed"))).events())
                    .extracting(EventRow::seq).containsExactly(5L);
        }
    }

    @Test
    void trim_keepsTheNewest_oldestSeqMoves_andSeqsAreNeverReused() {
        try (Store store = Store.open(dir, Fixtures.FAST)) {
            for (int i = 0; i < 10; i++) {
                store.appendEvent("a", "aaaa0001", "tick", null);
            }

            assertThat(store.trimEvents(3)).isEqualTo(7);
            assertThat(store.oldestEventSeq()).isEqualTo(8);
            EventPage stale = store.readEventsFrom(2, 100, EventFilter.ALL);
            assertThat(stale.oldestSeq()).as("the caller answers OUT_OF_RANGE: 2 < 8").isEqualTo(8);
            assertThat(stale.events()).extracting(EventRow::seq).containsExactly(8L, 9L, 10L);
            assertThat(store.trimEvents(3)).isZero();

            assertThat(store.trimEvents(0)).isEqualTo(3);
            assertThat(store.oldestEventSeq()).as("nothing stored: the next seq").isEqualTo(11);
        }
        try (Store store = Store.open(dir, Fixtures.FAST)) {
            assertThat(store.appendEvent("a", "aaaa0001", "tick", null)).isEqualTo(11);
            assertThat(store.read(ReadTransaction::lastEventSeq)).isEqualTo(11);
        }
    }
}
