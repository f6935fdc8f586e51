package dev.arcbox.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.arcbox.api.v1.ExecExit;
import dev.arcbox.api.v1.ExecRequest;
import dev.arcbox.api.v1.ExecStart;
import dev.arcbox.api.v1.ExecutionInfo;
import dev.arcbox.api.v1.SignalExecutionRequest;
import dev.arcbox.client.testing.FakeGuest;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ExecCommandTest {

    @TempDir
    Path dir;
    private FakeDaemon daemon;
    private Cli cli;
    private FakeTerminal terminal;

    @BeforeEach
    void start() throws Exception {
        daemon = FakeDaemon.start(dir.resolve("arcbox.sock"));
        cli = Cli.at(daemon.socket);
        terminal = new FakeTerminal(true);
        cli.terminal = terminal;
    }

    @AfterEach
    void stop() {
        daemon.close();
    }

    private List<ExecRequest> sent() {
        return daemon.guest.requests(ExecRequest.class);
    }

    @Test
    void everyFlag_reachesTheStart_andTheTerminalIsRawOnlyWhileItRuns() throws Exception {
        Cli.Running running = cli.start("sandbox", "exec", "-it", "-e", "A=1", "--env", "B=x=y", "-w", "/srv",
                "-u", "app", "--timeout", "9", "--kill-on-disconnect", "sb", "--", "cat", "-n");
        assertThat(daemon.guest.started.await(30, TimeUnit.SECONDS)).isTrue();
        assertThat(terminal.raw()).isTrue();
        terminal.type("hi".getBytes(StandardCharsets.UTF_8));
        running.out().await(text -> text.equals("hi"));
        terminal.endOfInput();
        Cli.Result r = running.get();

        assertThat(r.exit()).isZero();
        assertThat(r.err()).isEmpty();
        assertThat(terminal.raw()).isFalse();
        assertThat(terminal.restored).isEqualTo(1);
        ExecStart start = sent().getFirst().getStart();
        assertThat(start.getSandboxId()).isEqualTo("sb");
        assertThat(start.getCmdList()).containsExactly("cat", "-n");
        assertThat(start.getEnvMap()).isEqualTo(Map.of("A", "1", "B", "x=y"));
        assertThat(start.getWorkingDir()).isEqualTo("/srv");
        assertThat(start.getUser()).isEqualTo("app");
        assertThat(start.getTimeoutSeconds()).isEqualTo(9);
        assertThat(start.getKillOnDisconnect()).isTrue();
        assertThat(start.getTty()).isTrue();
        assertThat(start.getStdin()).isTrue();
        assertThat(start.getWindow().getRows()).isEqualTo(24);
        assertThat(start.getWindow().getCols()).isEqualTo(80);
        assertThat(sent().getLast().getStdinEof()).isTrue();
    }

    @Test
    void everythingAfterTheId_isTheCommand_withOrWithoutDoubleDash() {
        Cli.Result r = cli.run("sandbox", "exec", "sb", "echo", "-n", "--x");

        assertThat(r.exit()).isZero();
        assertThat(r.out()).isEqualTo("-n --x\n");
        assertThat(sent().getFirst().getStart().getStdin()).isFalse();
        assertThat(sent().getFirst().getStart().getTty()).isFalse();
        assertThat(terminal.opened).as("no -t: the terminal is left alone").isZero();
    }

    @Test
    void theProcessesExitCodeAndStderr_areOurs() {
        Cli.Result r = cli.run("sandbox", "exec", "sb", "--", "fail");

        assertThat(r.exit()).isEqualTo(3);
        assertThat(r.err()).isEqualTo("boom\n");
    }

    @Test
    void withoutTty_ctrlC_sendsSigintToTheProcess_andItsDeathIs130() throws Exception {
        Cli.Running running = cli.start("sandbox", "exec", "sb", "--", "wait");
        assertThat(daemon.guest.started.await(30, TimeUnit.SECONDS)).isTrue();

        assertThat(terminal.interrupt()).isTrue();
        Cli.Result r = running.get();

        assertThat(r.exit()).isEqualTo(130);
        assertThat(sent()).extracting(ExecRequest::getSignal).contains(ExecSession.SIGINT);
    }

    @Test
    void withTty_resizesFollow_andCtrlCIsAByteForTheGuest_notASignal() throws Exception {
        Cli.Running running = cli.start("sandbox", "exec", "-it", "sb", "--", "wait");
        assertThat(daemon.guest.started.await(30, TimeUnit.SECONDS)).isTrue();

        terminal.resize(40, 120);
        running.out().await(text -> text.contains("resize 40x120\n"));
        assertThat(terminal.interrupt()).as("raw mode: no SIGINT handler of ours").isFalse();
        terminal.type((byte) 3);
        running.out().await(text -> text.endsWith("\u0003"));
        terminal.endOfInput();
        Cli.Result r = running.get();

        assertThat(r.exit()).isZero();
        assertThat(sent()).extracting(ExecRequest::getMsgCase).doesNotContain(ExecRequest.MsgCase.SIGNAL);
        assertThat(sent()).filteredOn(ExecRequest::hasResize).singleElement()
                .satisfies(q -> assertThat(q.getResize().getRows()).isEqualTo(40));
        assertThat(terminal.raw()).isFalse();
    }

    @Test
    void aFailedStart_stillRestoresTheTerminal_andExitsWithTheTablesCode() {
        Cli.Result r = cli.run("sandbox", "exec", "-it", FakeGuest.MISSING, "--", "sh");

        assertThat(r.exit()).isEqualTo(3);
        assertThat(r.err()).isEqualTo("arcbox: sandbox 'missing' not found (NOT_FOUND)\n");
        assertThat(terminal.opened).isEqualTo(1);
        assertThat(terminal.raw()).isFalse();
    }

    @Test
    void stdin_isForwardedOnlyWithI() {
        cli.stdin = new ByteArrayInputStream("piped\n".getBytes(StandardCharsets.UTF_8));

        Cli.Result r = cli.run("sandbox", "exec", "-i", "sb", "--", "cat");

        assertThat(r.out()).isEqualTo("piped\n");
        assertThat(r.exit()).isZero();
        assertThat(sent()).extracting(ExecRequest::getMsgCase)
                .containsExactly(ExecRequest.MsgCase.START, ExecRequest.MsgCase.STDIN, ExecRequest.MsgCase.STDIN_EOF);
    }

    @Test
    void tty_withoutATerminal_isAUsageError_andSendsNothing() {
        cli.terminal = new FakeTerminal(false);

        Cli.Result r = cli.run("sandbox", "exec", "-t", "sb", "--", "sh");

        assertThat(r.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.err()).startsWith("arcbox: -t needs a terminal");
        assertThat(sent()).isEmpty();
    }

    @Test
    void usageErrors() {
        assertThat(cli.run("sandbox", "exec", "sb").exit()).isEqualTo(2);
        assertThat(cli.run("sandbox", "exec", "sb", "--").exit()).isEqualTo(2);
        assertThat(cli.run("sandbox", "exec", "-d", "-i", "sb", "--", "x").exit()).isEqualTo(2);
        assertThat(cli.run("sandbox", "exec", "--timeout", "-1", "sb", "--", "x").exit()).isEqualTo(2);
        assertThat(sent()).isEmpty();
    }

    @Test
    void detach_printsTheExecutionId_andLeavesItRunning() {
        Cli.Result r = cli.run("sandbox", "exec", "-d", "sb", "--", "wait");

        assertThat(r.exit()).isZero();
        assertThat(r.out()).isEqualTo(FakeGuest.EXECUTION_ID + "\n");
        assertThat(sent().getFirst().getStart().getKillOnDisconnect()).isFalse();
    }

    @Test
    void attach_printsWhatTheGuestHolds_andSaysWhatWasLost() {
        Cli.Result r = cli.run("sandbox", "attach", "sb", Integer.toString(FakeGuest.EXECUTION_ID));

        assertThat(r.exit()).isZero();
        assertThat(r.out()).isEqualTo("attached\n");
        assertThat(r.err()).isEqualTo("arcbox: 10 bytes of stdout are no longer held by the guest\n");
        assertThat(cli.run("sandbox", "attach", "sb", "99").exit()).isEqualTo(3);
    }

    @Test
    void ps_showsATable_andJson() {
        daemon.guest.executions = List.of(
                ExecutionInfo.newBuilder().setExecutionId(7).setPid(42).addCmd("sleep").addCmd("100").setRunning(true)
                        .setStartedAt(Cli.NOW.getEpochSecond() - 90).build(),
                ExecutionInfo.newBuilder().setExecutionId(8).setPid(43).addCmd("false").setTty(true)
                        .setExit(ExecExit.newBuilder().setExitCode(1)).setStartedAt(Cli.NOW.getEpochSecond() - 5).build());

        Cli.Result r = cli.run("sandbox", "ps", "sb");

        assertThat(r.exit()).isZero();
        assertThat(r.out()).isEqualTo("""
                EXEC_ID  PID  STATE       TTY  STARTED  COMMAND
                7        42   running     no   1m       sleep 100
                8        43   exited (1)  yes  5s       false
                """);
        assertThat(cli.run("sandbox", "ps", "sb", "-o", "json").out()).contains("\"execution_id\": 7");
    }

    @Test
    void kill_sendsTheSignalByNameOrNumber() {
        assertThat(cli.run("sandbox", "kill", "sb", "7").exit()).isZero();
        assertThat(cli.run("sandbox", "kill", "sb", "7", "-s", "KILL").exit()).isZero();
        assertThat(cli.run("sandbox", "kill", "sb", "7", "-s", "SIGint").exit()).isZero();
        assertThat(cli.run("sandbox", "kill", "sb", "7", "-s", "34").exit()).isZero();
        Cli.Result bogus = cli.run("sandbox", "kill", "sb", "7", "-s", "BOGUS");
        Cli.Result gone = cli.run("sandbox", "kill", "sb", "8");

        assertThat(daemon.guest.requests(SignalExecutionRequest.class)).extracting(SignalExecutionRequest::getSignal)
                .containsExactly(15, 9, 2, 34, 15);
        assertThat(bogus.exit()).isEqualTo(2);
        assertThat(bogus.err()).contains("'BOGUS' is neither a signal name");
        assertThat(gone.exit()).isEqualTo(3);
    }
}
