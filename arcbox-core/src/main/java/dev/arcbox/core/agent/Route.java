package dev.arcbox.core.agent;

import java.util.concurrent.CompletableFuture;

/** Who waits for frames on a stream. */
sealed interface Route {

    /** A request that expects one reply frame of {@code expected} type (or ERROR). */
    record Reply(String operation, Class<? extends AgentMessage> expected, CompletableFuture<AgentMessage> future)
            implements Route {}

    /** An execution started or attached on this stream. */
    record Exec(Execution execution) implements Route {}
}
