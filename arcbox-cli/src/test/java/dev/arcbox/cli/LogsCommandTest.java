package dev.arcbox.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.arcbox.api.v1.LogChunk;
import dev.arcbox.api.v1.LogsRequest;
import io.grpc.Status;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LogsCommandTest {

    /** Not UTF-8: the console's bytes must reach stdout unchanged. */
    private static final byte[] RAW = {'b', 'o', 'o', 't', (byte) 0xff, (byte) 0xfe, '\r', '\n'};

    @TempDir
    Path dir;
    private FakeDaemon daemon;
    private Cli cli;

    @BeforeEach
    void start() throws Exception {
        daemon = FakeDaemon.start(dir.resolve("arcbox.sock"));
        cli = Cli.at(daemon.socket);
        daemon.logChunks = List.of(
                LogChunk.newBuilder().setOffset(0).setData(ByteString.copyFrom(RAW)).build(),
                LogChunk.newBuilder().setOffset(RAW.length).setData(ByteString.copyFromUtf8("ARCBOX_READY 1.5\n")).build());
    }

    @AfterEach
    void stop() throws Exception {
        daemon.close();
    }

    @Test
    void logs_printsTheRawBytes_andSendsIdAndTail() {
        Cli.Result r = cli.run("sandbox", "logs", "--tail", "4096", "sb-1");

        assertThat(r.exit()).isZero();
        byte[] expected = new byte[RAW.length + 17];
        System.arraycopy(RAW, 0, expected, 0, RAW.length);
        System.arraycopy("ARCBOX_READY 1.5\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII), 0, expected,
                RAW.length, 17);
        assertThat(r.outBytes()).containsExactly(expected);
        assertThat(r.errBytes()).isEmpty();
        assertThat(daemon.requests(LogsRequest.class)).containsExactly(
                LogsRequest.newBuilder().setId("sb-1").setTailBytes(4096).build());
    }

    @Test
    void logsFollow_printsUntilInterrupted_andTellsOfRotatedOutput() throws Exception {
        daemon.holdStreams = true;
        daemon.logChunks = List.of(LogChunk.newBuilder().setOffset(5000).setLostBytes(1200)
                .setData(ByteString.copyFromUtf8("flood\n")).build());

        Cli.Running following = cli.start("sandbox", "logs", "-f", "sb-1");
        following.out().await(text -> text.equals("flood\n"));
        cli.interrupts.interrupt();
        Cli.Result r = following.get();

        assertThat(daemon.cancelled.await(30, TimeUnit.SECONDS)).isTrue();
        assertThat(r.exit()).isEqualTo(ExitCodes.INTERRUPTED);
        assertThat(r.out()).isEqualTo("flood\n");
        assertThat(r.err()).isEqualTo("arcbox: 1200 bytes of console output were rotated away\n");
        assertThat(daemon.requests(LogsRequest.class)).containsExactly(
                LogsRequest.newBuilder().setId("sb-1").setFollow(true).build());
    }

    @Test
    void logs_ofAnUnknownSandbox_exitsWithNotFound() {
        daemon.failWith = Status.NOT_FOUND.withDescription("sandbox 'nope' not found");

        Cli.Result r = cli.run("sandbox", "logs", "nope");

        assertThat(r.exit()).isEqualTo(3);
        assertThat(r.err()).contains("sandbox 'nope' not found");
    }

    @Test
    void logs_negativeTail_isAUsageError() {
        Cli.Result r = cli.run("sandbox", "logs", "--tail", "-1", "sb-1");

        assertThat(r.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(daemon.requests(LogsRequest.class)).isEmpty();
    }
}
