package dev.arcbox.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.arcbox.api.v1.SandboxEvent;
import dev.arcbox.api.v1.SandboxEventsRequest;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EventsCommandTest {

    private static final long NANOS = Cli.NOW.getEpochSecond() * 1_000_000_000L + 123_000_000L;

    @TempDir
    Path dir;
    private FakeDaemon daemon;
    private Cli cli;

    @BeforeEach
    void start() throws Exception {
        daemon = FakeDaemon.start(dir.resolve("arcbox.sock"));
        cli = Cli.at(daemon.socket);
        daemon.events = List.of(
                SandboxEvent.newBuilder().setSeq(41).setSandboxId("sb-1").setAction("create").setTimestamp(NANOS).build(),
                SandboxEvent.newBuilder().setSeq(42).setSandboxId("sb-1").setAction("ready").setTimestamp(NANOS)
                        .putAttributes("ip", "10.0.0.2").putAttributes("boot_ms", "850").build());
    }

    @AfterEach
    void stop() throws Exception {
        daemon.close();
    }

    @Test
    void events_printsOneLinePerEvent_andSendsItsFilters() {
        Cli.Result r = cli.run("sandbox", "events", "--id", "sb-1", "--action", "ready", "--from", "41");

        assertThat(r.exit()).isZero();
        assertThat(r.out()).isEqualTo("""
                2026-11-27T12:00:00.123Z 41 sb-1 create
                2026-11-27T12:00:00.123Z 42 sb-1 ready boot_ms=850 ip=10.0.0.2
                """);
        assertThat(daemon.requests(SandboxEventsRequest.class)).containsExactly(
                SandboxEventsRequest.newBuilder().setId("sb-1").setAction("ready").setFromSeq(41).build());
    }

    @Test
    void events_followsUntilInterrupted() throws Exception {
        daemon.holdStreams = true;

        Cli.Running following = cli.start("sandbox", "events");
        following.out().await(text -> text.lines().count() == 2);
        cli.interrupts.interrupt();
        Cli.Result r = following.get();

        assertThat(daemon.cancelled.await(30, TimeUnit.SECONDS)).isTrue();
        assertThat(r.exit()).isEqualTo(ExitCodes.INTERRUPTED);
        assertThat(r.out().lines()).hasSize(2);
        assertThat(r.err()).isEmpty();
        assertThat(daemon.requests(SandboxEventsRequest.class)).containsExactly(SandboxEventsRequest.getDefaultInstance());
    }
}
