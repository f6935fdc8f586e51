package dev.arcbox.daemon;

import dev.arcbox.api.v1.SandboxEvent;
import dev.arcbox.api.v1.SandboxEventsRequest;
import dev.arcbox.core.ArcboxException;
import dev.arcbox.core.sandbox.SandboxEvents;
import dev.arcbox.core.store.EventFilter;
import dev.arcbox.core.store.EventPage;
import dev.arcbox.core.store.EventRow;
import io.grpc.stub.ServerCallStreamObserver;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One Events call: replays stored events from the requested sequence number, then follows live
 * ones, in order and without gaps or duplicates (it subscribes before replaying and skips what the
 * replay already sent). Memory is bounded: a client that falls more than {@link #BUFFER} events
 * behind is ended with RESOURCE_EXHAUSTED naming the sequence number to resume from.
 */
final class EventStream {

    static final int BUFFER = 1024;
    private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

    private final SandboxEvents events;
    private final SandboxEventsRequest request;
    private final FlowGate<SandboxEvent> gate;
    private final BlockingQueue<EventRow> live = new ArrayBlockingQueue<>(BUFFER);
    private final AtomicBoolean overflow = new AtomicBoolean();
    private final EventFilter filter;
    private AutoCloseable subscription;

    EventStream(SandboxEvents events, SandboxEventsRequest request, ServerCallStreamObserver<SandboxEvent> out) {
        this.events = events;
        this.request = request;
        this.filter = new EventFilter(request.getId().isEmpty() ? null : request.getId(), null,
                request.getAction().isEmpty() ? Set.of() : Set.of(request.getAction()));
        this.gate = new FlowGate<>(out, this::unsubscribe);
    }

    void start() {
        subscription = events.subscribe(row -> {
            if (matches(row) && !live.offer(row)) {
                overflow.set(true);
            }
        });
        Thread.ofVirtual().name("events").start(this::serve);
    }

    private boolean matches(EventRow row) {
        return (filter.sandboxId() == null || filter.sandboxId().equals(row.sandboxId()))
                && (filter.actions().isEmpty() || filter.actions().contains(row.action()));
    }

    private void serve() {
        try {
            long next = request.getFromSeq() == 0 ? events.lastSeq() + 1 : request.getFromSeq();
            while (request.getFromSeq() != 0) {
                EventPage page = events.read(next, 256, filter);
                for (EventRow row : page.events()) {
                    if (!gate.send(message(row))) {
                        return;
                    }
                }
                if (page.nextSeq() <= next || page.events().isEmpty()) {
                    break;
                }
                next = page.nextSeq();
            }
            while (!gate.cancelled()) {
                if (overflow.get()) {
                    throw new ArcboxException.ResourceExhausted("events: client fell more than " + BUFFER
                            + " events behind; resume with from_seq=" + next);
                }
                EventRow row = live.poll(1, TimeUnit.SECONDS);
                if (row == null || row.seq() < next) {
                    continue;
                }
                if (!gate.send(message(row))) {
                    return;
                }
                next = row.seq() + 1;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            gate.error(e);
        } finally {
            unsubscribe();
        }
    }

    private void unsubscribe() {
        AutoCloseable s = subscription;
        if (s != null) {
            try {
                s.close();
            } catch (Exception ignored) {
                // removing a listener cannot fail
            }
        }
    }

    private static SandboxEvent message(EventRow row) {
        SandboxEvent.Builder b = SandboxEvent.newBuilder().setSeq(row.seq()).setSandboxId(row.sandboxId())
                .setAction(row.action())
                .setTimestamp(row.at().getEpochSecond() * 1_000_000_000L + row.at().getNano());
        try {
            JSON.readTree(row.dataJson()).properties().forEach((Map.Entry<String, com.fasterxml.jackson.databind.JsonNode> e) ->
                    b.putAttributes(e.getKey(), e.getValue().isTextual() ? e.getValue().asText() : e.getValue().toString()));
        } catch (java.io.IOException e) {
            b.putAttributes("data", row.dataJson());
        }
        return b.build();
    }
}
