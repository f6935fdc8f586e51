package dev.arcbox.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Status;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ErrorsTest {

    @TempDir
    Path dir;
    private FakeDaemon daemon;
    private Cli cli;

    @BeforeEach
    void start() throws Exception {
        daemon = FakeDaemon.start(dir.resolve("arcbox.sock"));
        cli = Cli.at(daemon.socket);
    }

    @AfterEach
    void stop() throws Exception {
        daemon.close();
    }

    static Stream<Arguments> statuses() {
        return Stream.of(
                Arguments.of(Status.Code.INVALID_ARGUMENT, 2),
                Arguments.of(Status.Code.NOT_FOUND, 3),
                Arguments.of(Status.Code.ALREADY_EXISTS, 4),
                Arguments.of(Status.Code.FAILED_PRECONDITION, 5),
                Arguments.of(Status.Code.RESOURCE_EXHAUSTED, 6),
                Arguments.of(Status.Code.DEADLINE_EXCEEDED, 7),
                Arguments.of(Status.Code.UNAVAILABLE, 8),
                Arguments.of(Status.Code.PERMISSION_DENIED, 9),
                Arguments.of(Status.Code.UNAUTHENTICATED, 9),
                Arguments.of(Status.Code.INTERNAL, 1),
                Arguments.of(Status.Code.UNIMPLEMENTED, 1));
    }

    @ParameterizedTest
    @MethodSource("statuses")
    void aFailedCall_printsOneLineWithTheDaemonsMessage_andExitsWithItsCode(Status.Code code, int exit) {
        daemon.failWith = code.toStatus().withDescription("sandbox 'x' said no");

        Cli.Result r = cli.run("sandbox", "inspect", "x");

        assertThat(r.exit()).isEqualTo(exit);
        assertThat(r.err()).isEqualTo("arcbox: sandbox 'x' said no (" + code + ")\n");
        assertThat(r.out()).isEmpty();
    }

    @Test
    void notFound_readsAsTheIssueSays() {
        daemon.failWith = Status.NOT_FOUND.withDescription("sandbox 'x' not found");

        Cli.Result r = cli.run("sandbox", "rm", "x");

        assertThat(r.exit()).isEqualTo(3);
        assertThat(r.err()).isEqualTo("arcbox: sandbox 'x' not found (NOT_FOUND)\n");
    }

    @Test
    void aStreamFailingBeforeItsFirstMessage_isReportedTheSameWay() {
        daemon.failWith = Status.FAILED_PRECONDITION.withDescription("sandbox 'x' is stopped");

        Cli.Result r = cli.run("sandbox", "run", "x", "--", "true");

        assertThat(r.exit()).isEqualTo(5);
        assertThat(r.err()).isEqualTo("arcbox: sandbox 'x' is stopped (FAILED_PRECONDITION)\n");
    }

    @Test
    void aStatusWithoutDescription_isNamedByItsCode() {
        daemon.failWith = Status.RESOURCE_EXHAUSTED;

        Cli.Result r = cli.run("system", "info");

        assertThat(r.err()).isEqualTo("arcbox: resource exhausted (RESOURCE_EXHAUSTED)\n");
        assertThat(r.exit()).isEqualTo(6);
    }

    @Test
    void daemonNotRunning_exits8_sayingWhereItLooked() {
        Path nobody = dir.resolve("nobody.sock");

        Cli.Result r = cli.run("--socket", nobody.toString(), "sandbox", "ls");

        assertThat(r.exit()).isEqualTo(8);
        assertThat(r.err()).isEqualTo("arcbox: cannot reach arcboxd at " + nobody + ": is it running? (UNAVAILABLE)\n");
    }

    @Test
    void usageErrors_exit2_withOneLine() {
        for (String[] args : new String[][] {{"sandbox", "bogus"}, {"sandbox", "ls", "--nope"}, {"sandbox", "inspect"},
                {"sandbox", "ls", "-o", "yaml"}, {}}) {
            Cli.Result r = cli.run(args);

            assertThat(r.exit()).as(String.join(" ", args)).isEqualTo(2);
            assertThat(r.err().lines()).as(String.join(" ", args)).hasSize(1).allMatch(l -> l.startsWith("arcbox: "));
        }
        assertThat(daemon.requests).isEmpty();
    }

    @Test
    void help_documentsTheExitCodes() {
        Cli.Result r = cli.run("--help");

        assertThat(r.exit()).isZero();
        assertThat(r.out()).contains("Exit codes:", "  3   NOT_FOUND", "  8   UNAVAILABLE, arcboxd not reachable",
                "  9   PERMISSION_DENIED, UNAUTHENTICATED", "124 if it ran past --timeout");
        assertThat(cli.run("sandbox", "run", "--help").out()).contains("Exit codes:");
    }
}
