package dev.arcbox.driver.firecracker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.arcbox.core.ArcboxException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Hybrid vsock: CONNECT/OK, retried until the guest listens, bounded by the deadline. */
@Timeout(60)
class FcVsockTest {

    @TempDir
    Path tmp;

    @Test
    void connect_retriesUntilTheGuestListens_thenTheStreamStartsAfterOk() throws Exception {
        Path uds = tmp.resolve("v.sock");
        try (FakeVsock vsock = new FakeVsock()) {
            vsock.listen(uds);
            vsock.guestListens(true);
            vsock.refuseFirst(3);
            try (SocketChannel ch = FcVsock.connect("t1", uds, 1024, Duration.ofSeconds(20))) {
                assertThat(vsock.refused()).isEqualTo(3);
                assertThat(vsock.connects()).isEqualTo(1);
                assertThat(vsock.lastPort()).isEqualTo(1024);
                ch.write(ByteBuffer.wrap("hello".getBytes(StandardCharsets.US_ASCII)));
                ByteBuffer in = ByteBuffer.allocate(5);
                while (in.hasRemaining() && ch.read(in) >= 0) {
                    // the echo of exactly what was sent: nothing of the OK line is left in the stream
                }
                assertThat(new String(in.array(), StandardCharsets.US_ASCII)).isEqualTo("hello");
            }
        }
    }

    @Test
    void aGuestThatNeverListens_isADeadlineError() throws Exception {
        Path uds = tmp.resolve("v.sock");
        try (FakeVsock vsock = new FakeVsock()) {
            vsock.listen(uds);
            assertThatThrownBy(() -> FcVsock.connect("t1", uds, 1024, Duration.ofMillis(300)))
                    .isInstanceOf(ArcboxException.DeadlineExceeded.class)
                    .hasMessageContaining("guest did not accept vsock port 1024")
                    .hasMessageContaining("closed before answering");
            assertThat(vsock.connects()).isZero();
        }
    }

    @Test
    void noSocketAtAll_isADeadlineError() {
        assertThatThrownBy(() -> FcVsock.connect("t1", tmp.resolve("none.sock"), 1024, Duration.ofMillis(200)))
                .isInstanceOf(ArcboxException.DeadlineExceeded.class);
    }
}
