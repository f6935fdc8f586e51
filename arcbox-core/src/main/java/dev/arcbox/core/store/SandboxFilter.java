package dev.arcbox.core.store;

import java.util.Map;
import java.util.Set;

/**
 * Which sandboxes {@link Store#listSandboxes} returns: those in any of {@code states} (all when
 * empty) that carry every one of {@code labels}.
 */
public record SandboxFilter(Set<String> states, Map<String, String> labels) {

    public static final SandboxFilter ALL = new SandboxFilter(Set.of(), Map.of());

    public SandboxFilter {
        states = Set.copyOf(states);
        labels = Map.copyOf(labels);
    }

    public static SandboxFilter inState(String... states) {
        return new SandboxFilter(Set.of(states), Map.of());
    }

    public static SandboxFilter withLabels(Map<String, String> labels) {
        return new SandboxFilter(Set.of(), labels);
    }
}
