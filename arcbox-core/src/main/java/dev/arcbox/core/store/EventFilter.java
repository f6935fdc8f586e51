package dev.arcbox.core.store;

import java.util.Set;

/**
 * Which events {@link Store#readEvents} returns: about the given sandbox (by user id and/or uid;
 * any when null) with one of {@code actions} (any when empty).
 */
public record EventFilter(String sandboxId, String sandboxUid, Set<String> actions) {

    public static final EventFilter ALL = new EventFilter(null, null, Set.of());

    public EventFilter {
        actions = Set.copyOf(actions);
    }

    public static EventFilter forSandbox(String sandboxId) {
        return new EventFilter(sandboxId, null, Set.of());
    }
}
