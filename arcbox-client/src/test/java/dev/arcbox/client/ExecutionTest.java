package dev.arcbox.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.arcbox.api.v1.ExecRequest;
import dev.arcbox.api.v1.ExecStart;
import dev.arcbox.client.testing.FakeGuest;
import io.grpc.Status;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ExecutionTest {

    private static final Duration BOUND = Duration.ofSeconds(30);

    @TempDir
    Path dir;
    private ClientFixture fx;

    @BeforeEach
    void start() throws Exception {
        fx = new ClientFixture(dir);
    }

    @AfterEach
    void stop() {
        fx.close();
    }

    @Test
    void exec_sendsEveryFieldOfTheCommand() throws Exception {
        Command command = Command.of("cat").withEnv("A", "1").withWorkingDir("/srv").withUser("1000:1000")
                .withTty(30, 100).withStdin().withTimeout(Duration.ofSeconds(9)).withKillOnDisconnect();

        try (Execution e = fx.sandbox().exec(command)) {
            assertThat(e.id()).isEqualTo(FakeGuest.EXECUTION_ID);
            assertThat(e.pid()).isEqualTo(FakeGuest.PID);
        }

        ExecStart start = fx.guest.requests(ExecRequest.class).getFirst().getStart();
        assertThat(start.getSandboxId()).isEqualTo("sb");
        assertThat(start.getCmdList()).containsExactly("cat");
        assertThat(start.getEnvMap()).containsExactly(java.util.Map.entry("A", "1"));
        assertThat(start.getWorkingDir()).isEqualTo("/srv");
        assertThat(start.getUser()).isEqualTo("1000:1000");
        assertThat(start.getTty()).isTrue();
        assertThat(start.getWindow().getRows()).isEqualTo(30);
        assertThat(start.getWindow().getCols()).isEqualTo(100);
        assertThat(start.getStdin()).isTrue();
        assertThat(start.getTimeoutSeconds()).isEqualTo(9);
        assertThat(start.getKillOnDisconnect()).isTrue();
    }

    @Test
    void stdin_isEchoedByCat_andClosingItSendsEof_thenTheExitArrives() throws Exception {
        try (Execution cat = fx.sandbox().exec(Command.of("cat").withStdin())) {
            try (OutputStream in = cat.stdin()) {
                in.write("one ".getBytes(StandardCharsets.UTF_8));
                in.write("two\n".getBytes(StandardCharsets.UTF_8));
            }
            assertThat(new String(cat.stdout().readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("one two\n");
            ExitStatus exit = cat.waitFor(BOUND);
            assertThat(exit.success()).isTrue();
            assertThat(exit.stdoutTotal()).isEqualTo(8);
        }
        assertThat(fx.guest.requests(ExecRequest.class)).extracting(ExecRequest::getMsgCase).containsExactly(
                ExecRequest.MsgCase.START, ExecRequest.MsgCase.STDIN, ExecRequest.MsgCase.STDIN,
                ExecRequest.MsgCase.STDIN_EOF);
    }

    @Test
    void stderrAndTheExitCode_reachTheListener() throws Exception {
        List<String> seen = new CopyOnWriteArrayList<>();
        try (Execution e = fx.sandbox().exec(Command.of("fail"), new OutputListener() {
            @Override
            public void stdout(byte[] data) {
                seen.add("out:" + new String(data, StandardCharsets.UTF_8));
            }

            @Override
            public void stderr(byte[] data) {
                seen.add("err:" + new String(data, StandardCharsets.UTF_8));
            }
        })) {
            assertThat(e.waitFor(BOUND).exitCode()).isEqualTo(3);
        }
        assertThat(seen).containsExactly("err:boom\n");
    }

    @Test
    void resizeAndSignal_goDownTheStream_andASignalDeathReads128PlusN() throws Exception {
        try (Execution e = fx.sandbox().exec(Command.of("wait").withTty(24, 80))) {
            e.resize(50, 120);
            byte[] line = new byte["resize 50x120\n".length()];
            assertThat(e.stdout().readNBytes(line, 0, line.length)).isEqualTo(line.length);
            assertThat(new String(line, StandardCharsets.UTF_8)).isEqualTo("resize 50x120\n");
            e.signal(2);
            ExitStatus exit = e.waitFor(BOUND);
            assertThat(exit.signal()).isEqualTo(2);
            assertThat(exit.exitCode()).isEqualTo(130);
            assertThat(exit.success()).isFalse();
        }
        assertThatThrownBy(() -> Command.of("x").withTty(-1, 80)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void largeOutput_readSlowly_arrivesWholeAndInOrder() throws Exception {
        int size = 8 << 20;
        try (Execution e = fx.sandbox().exec(Command.of("big", Integer.toString(size)))) {
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            byte[] buf = new byte[4096];
            int n;
            while ((n = e.stdout().read(buf)) > 0) {
                got.write(buf, 0, n);
            }
            assertThat(got.toByteArray()).isEqualTo(FakeGuest.pattern(size));
            assertThat(e.waitFor(BOUND).stdoutTotal()).isEqualTo(size);
        }
    }

    @Test
    void aMissingSandbox_throwsNotFound_withTheDaemonsMessage() {
        assertThatThrownBy(() -> fx.client.sandbox(FakeGuest.MISSING).exec(Command.of("true")))
                .isInstanceOfSatisfying(ArcboxClientException.class, e -> {
                    assertThat(e.code()).isEqualTo(Status.Code.NOT_FOUND);
                    assertThat(e.getMessage()).isEqualTo("sandbox 'missing' not found");
                });
    }

    @Test
    void attach_reportsLostOutput_beforeWhatFollows() throws Exception {
        List<String> seen = new CopyOnWriteArrayList<>();
        try (Execution e = fx.sandbox().attach(FakeGuest.EXECUTION_ID, new OutputListener() {
            @Override
            public void stdout(byte[] data) {
                seen.add(new String(data, StandardCharsets.UTF_8));
            }

            @Override
            public void stderr(byte[] data) {
                seen.add("err");
            }

            @Override
            public void lost(String stream, long bytes) {
                seen.add("lost " + bytes + " of " + stream);
            }
        })) {
            assertThat(e.waitFor(BOUND).exitCode()).isZero();
        }
        assertThat(seen).containsExactly("lost 10 of stdout", "attached\n");
        assertThatThrownBy(() -> fx.sandbox().attach(99, null)).isInstanceOfSatisfying(ArcboxClientException.class,
                e -> assertThat(e.code()).isEqualTo(Status.Code.NOT_FOUND));
    }

    @Test
    void close_beforeTheExit_cancelsTheCall_andFailsTheExitFuture() throws Exception {
        Execution e = fx.sandbox().exec(Command.of("wait"));
        e.close();

        assertThatThrownBy(() -> e.waitFor(BOUND)).isInstanceOfSatisfying(ArcboxClientException.class,
                x -> assertThat(x.code()).isEqualTo(Status.Code.CANCELLED));
        e.signal(9);
    }

    @Test
    void listWaitAndSignal_byExecutionId() {
        Sandbox s = fx.sandbox();
        assertThat(s.executions()).isEmpty();
        assertThat(s.waitFor(FakeGuest.EXECUTION_ID, BOUND).exitCode()).isEqualTo(5);
        s.signal(FakeGuest.EXECUTION_ID, 15);
        assertThatThrownBy(() -> s.signal(1, 15)).isInstanceOfSatisfying(ArcboxClientException.class,
                x -> assertThat(x.code()).isEqualTo(Status.Code.NOT_FOUND));
    }

    @Test
    void run_collectsOutput_andANonZeroExitIsNotAnError() {
        RunResult ok = fx.sandbox().run("echo", "hi");
        RunResult no = fx.sandbox().run("false");

        assertThat(ok.stdoutText()).isEqualTo("echo hi\n");
        assertThat(ok.exitCode()).isZero();
        assertThat(no.exitCode()).isEqualTo(1);
        assertThatThrownBy(() -> fx.sandbox().run(Command.of("cat").withStdin()))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
