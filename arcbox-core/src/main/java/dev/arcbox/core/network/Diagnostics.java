package dev.arcbox.core.network;

import java.util.List;

/**
 * Findings about the host's network setup that do not stop arcbox but may break what sandboxes
 * can reach: human messages, each naming what was found and what to do. For logs and
 * {@code arcbox doctor}-style output; callers never branch on the text.
 */
public record Diagnostics(List<String> messages) {

    public static final Diagnostics NONE = new Diagnostics(List.of());

    public Diagnostics {
        messages = List.copyOf(messages);
    }

    public boolean isEmpty() {
        return messages.isEmpty();
    }
}
