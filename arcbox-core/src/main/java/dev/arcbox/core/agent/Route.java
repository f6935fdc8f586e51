package dev.arcbox.core.agent;

import java.util.List;
import java.util.concurrent.CompletableFuture;

/** Who waits for frames on a stream. */
sealed interface Route {

    /** A request that expects one reply frame of {@code expected} type (or ERROR). */
    record Reply(String operation, Class<? extends AgentMessage> expected, CompletableFuture<AgentMessage> future)
            implements Route {}

    /** An execution started or attached on this stream. */
    record Exec(Execution execution) implements Route {}

    /** A directory listing: FILE_LIST_ACK batches until one without MORE. Entries are added on the reader thread only. */
    record Listing(String operation, List<GuestFile> entries, CompletableFuture<List<GuestFile>> future)
            implements Route {}

    /** A file upload or download. */
    record Transfer(FileTransfer transfer) implements Route {}
}
