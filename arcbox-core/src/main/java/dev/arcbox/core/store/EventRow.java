package dev.arcbox.core.store;

import java.time.Instant;

/**
 * One recorded event. Sequence numbers only grow and are never reused, also after
 * {@link Store#trimEvents trimming} and across restarts, so a client can resume a stream from the
 * last one it saw.
 *
 * @param seq the event's sequence number
 * @param at when it was recorded
 * @param sandboxId the sandbox's user id, or null for events about no sandbox
 * @param sandboxUid the sandbox's uid, or null
 * @param action what happened ({@code created}, {@code state-changed}, ...)
 * @param dataJson details as a JSON value
 */
public record EventRow(long seq, Instant at, String sandboxId, String sandboxUid, String action, String dataJson) {}
