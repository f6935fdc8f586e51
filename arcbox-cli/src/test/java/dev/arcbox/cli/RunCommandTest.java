package dev.arcbox.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.arcbox.api.v1.RunOutput;
import dev.arcbox.api.v1.RunRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RunCommandTest {

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

    private static RunOutput chunk(String stream, byte... data) {
        return RunOutput.newBuilder().setStream(stream).setData(ByteString.copyFrom(data)).build();
    }

    private static RunOutput chunk(String stream, String text) {
        return chunk(stream, text.getBytes(StandardCharsets.UTF_8));
    }

    private static RunOutput exit(int code) {
        return RunOutput.newBuilder().setStream("exit").setExitCode(code).setDone(true).build();
    }

    @Test
    void run_sendsItsFields_withoutKillOnDisconnect() {
        daemon.runOutputs = List.of(exit(0));

        Cli.Result r = cli.run("sandbox", "run", "sb-1", "--env", "A=1", "--workdir", "/srv", "--timeout", "30",
                "--", "sh", "-c", "echo hi --not-an-option");

        assertThat(r.exit()).isZero();
        assertThat(daemon.requests(RunRequest.class)).containsExactly(RunRequest.newBuilder()
                .setId("sb-1").addCmd("sh").addCmd("-c").addCmd("echo hi --not-an-option")
                .putEnv("A", "1").setWorkingDir("/srv").setTimeoutSeconds(30).setKillOnDisconnect(false)
                .build());
        assertThat(daemon.deadlinesMillis).containsExactly(-1L);
    }

    @Test
    void run_killOnDisconnect_onlyWhenAsked() {
        daemon.runOutputs = List.of(exit(0));

        cli.run("sandbox", "run", "--kill-on-disconnect", "sb-1", "--", "true");

        assertThat(daemon.requests(RunRequest.class).getFirst().getKillOnDisconnect()).isTrue();
    }

    @Test
    void run_copiesStdoutAndStderrSeparatelyAsRawBytes_andExitsWithTheCommandsCode() {
        daemon.runOutputs = List.of(
                chunk("stdout", "out1 "),
                chunk("stderr", "err1\n"),
                chunk("stdout", (byte) 0xff, (byte) 0x00, (byte) '\n'),
                exit(3));

        Cli.Result r = cli.run("sandbox", "run", "sb-1", "--", "cmd");

        assertThat(r.exit()).isEqualTo(3);
        assertThat(r.outBytes()).containsExactly('o', 'u', 't', '1', ' ', 0xff, 0x00, '\n');
        assertThat(r.err()).isEqualTo("err1\n");
    }

    @Test
    void run_killedBySignal_exits128PlusTheSignal() {
        daemon.runOutputs = List.of(RunOutput.newBuilder().setStream("exit").setSignal(9).setDone(true).build());

        assertThat(cli.run("sandbox", "run", "sb-1", "--", "sleep", "1000").exit()).isEqualTo(137);
    }

    @Test
    void run_timedOut_exitsWithTheTimeoutCode() {
        daemon.runOutputs = List.of(
                RunOutput.newBuilder().setStream("exit").setSignal(9).setTimedOut(true).setDone(true).build());

        assertThat(cli.run("sandbox", "run", "sb-1", "--timeout", "1", "--", "sleep", "1000").exit())
                .isEqualTo(ExitCodes.RUN_TIMED_OUT);
    }

    @Test
    void run_streamEndingWithoutExit_isAnError() {
        daemon.runOutputs = List.of(chunk("stdout", "partial"));

        Cli.Result r = cli.run("sandbox", "run", "sb-1", "--", "cmd");

        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.out()).isEqualTo("partial");
        assertThat(r.err()).isEqualTo("arcbox: the run in sandbox 'sb-1' ended without an exit status\n");
    }

    @Test
    void run_withoutCommand_isAUsageError() {
        Cli.Result r = cli.run("sandbox", "run", "sb-1");

        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("CMD");
        assertThat(daemon.requests).isEmpty();
    }

    @Test
    void ctrlC_cancelsTheCall_andExits130() throws Exception {
        daemon.runOutputs = List.of(chunk("stdout", "started\n"));
        daemon.holdStreams = true;

        Cli.Running running = cli.start("sandbox", "run", "sb-1", "--", "server");
        running.out().await(text -> text.equals("started\n"));
        cli.interrupts.interrupt();
        Cli.Result r = running.get();

        assertThat(daemon.cancelled.await(30, TimeUnit.SECONDS)).as("the daemon saw the call cancelled").isTrue();
        assertThat(r.exit()).isEqualTo(ExitCodes.INTERRUPTED);
        assertThat(r.out()).isEqualTo("started\n");
        assertThat(r.err()).isEmpty();
        assertThat(daemon.requests(RunRequest.class).getFirst().getKillOnDisconnect()).isFalse();
    }
}
