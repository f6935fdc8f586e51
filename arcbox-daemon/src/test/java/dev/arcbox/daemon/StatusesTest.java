package dev.arcbox.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import dev.arcbox.core.ArcboxException;
import io.grpc.Status;
import org.junit.jupiter.api.Test;

class StatusesTest {

    @Test
    void aMessageQuotingHugeInput_isCappedSoTheCodeReachesTheClient() {
        String id = "y".repeat(100_000);
        var status = Statuses.toStatus(new ArcboxException.NotFound("sandbox '" + id + "' not found")).getStatus();
        assertThat(status.getCode()).isEqualTo(Status.Code.NOT_FOUND);
        assertThat(status.getDescription()).startsWith("sandbox 'yyy").endsWith("(98996 more characters)")
                .hasSizeLessThan(Statuses.MAX_MESSAGE_CHARS + 40);
    }

    @Test
    void aCutNeverSplitsASurrogatePair() {
        String message = "x".repeat(Statuses.MAX_MESSAGE_CHARS - 1) + "\uD83D\uDE00" + "tail";
        String capped = Statuses.cap(message);
        assertThat(capped).startsWith("x".repeat(Statuses.MAX_MESSAGE_CHARS - 1) + "…");
        assertThat(Statuses.cap("short")).isEqualTo("short");
    }
}
