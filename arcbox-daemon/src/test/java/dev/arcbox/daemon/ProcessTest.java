package dev.arcbox.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.arcbox.api.v1.CreateSandboxRequest;
import dev.arcbox.api.v1.ExecExit;
import dev.arcbox.api.v1.ExecutionInfo;
import dev.arcbox.api.v1.ListExecutionsRequest;
import dev.arcbox.api.v1.NetworkSpec;
import dev.arcbox.api.v1.ProcessServiceGrpc;
import dev.arcbox.api.v1.ResourceLimits;
import dev.arcbox.api.v1.SignalExecutionRequest;
import dev.arcbox.api.v1.WaitExecutionRequest;
import dev.arcbox.api.v1.WindowSize;
import dev.arcbox.core.testing.TestRun;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/** ProcessService on a real VM: stdin, tty, signals, users, timeouts, detach and re-attach, executions by id. */
@Tag("vm")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class ProcessTest {

    private static final Duration STEP = Duration.ofSeconds(60);
    private static final int RING = 1 << 20;

    private DaemonProcess daemon;
    private String box;

    @BeforeAll
    void sandbox() throws Exception {
        TestRun.assumeQemuHost();
        daemon = new DaemonProcess("proc-" + TestRun.id(), DaemonProcess.netns(), "").start();
        box = "proc-" + TestRun.vmId();
        daemon.sandboxes().create(CreateSandboxRequest.newBuilder().setId(box).setWait(true)
                .setLimits(ResourceLimits.newBuilder().setVcpus(1).setMemoryMib(256))
                .setNetwork(NetworkSpec.newBuilder().setMode("none")).build());
    }

    @AfterAll
    void cleanUp() {
        if (daemon != null) {
            daemon.removeAllSandboxes();
            daemon.close();
        }
    }

    private ExecStream exec() {
        return new ExecStream(daemon.channel());
    }

    private ProcessServiceGrpc.ProcessServiceBlockingStub processes() {
        return ProcessServiceGrpc.newBlockingStub(daemon.channel()).withDeadlineAfter(2, TimeUnit.MINUTES);
    }

    @Test
    void stdin_thenEof_reachesTheProcess_andStdoutStderrExitComeBack() throws Exception {
        try (ExecStream cat = exec()) {
            cat.start(ExecStream.start(box, "cat").setStdin(true));
            cat.awaitStarted(STEP);
            cat.stdin("hello ").stdin("world\n");
            cat.awaitOutput("hello world\n", STEP);
            cat.eof();
            ExecExit exit = cat.finish(STEP);
            assertThat(cat.text()).isEqualTo("hello world\n");
            assertThat(exit.getExitCode()).isZero();
            assertThat(exit.getStdoutTotal()).isEqualTo(12);
        }
        try (ExecStream sh = exec()) {
            sh.start(ExecStream.start(box, "sh", "-c", "echo out; echo err >&2; pwd; echo $HOME; exit 3"));
            ExecExit exit = sh.finish(STEP);
            assertThat(sh.started.getExecutionId()).isPositive();
            assertThat(sh.text()).isEqualTo("out\n/root\n/root\n");
            assertThat(sh.stderr.toString()).isEqualTo("err\n");
            assertThat(exit.getExitCode()).isEqualTo(3);
        }
    }

    @Test
    void tty_followsResize_asSttySizeShows_andCtrlCInterruptsOnlyTheForegroundCommand() throws Exception {
        try (ExecStream sh = exec()) {
            sh.start(ExecStream.start(box, "sh").setTty(true).setStdin(true)
                    .setWindow(WindowSize.newBuilder().setRows(24).setCols(80)));
            sh.awaitStarted(STEP);
            sh.stdin("stty size; echo TERM=$TERM\n");
            sh.awaitOutput("TERM=xterm", STEP);
            assertThat(sh.text()).contains("24 80");
            sh.resize(50, 132).stdin("stty size\n");
            sh.awaitOutput("50 132", STEP);
            sh.stdin("sleep 1000\n");
            Awaitility.await("sleep running").atMost(STEP).pollInterval(Duration.ofMillis(500))
                    .until(() -> runOut("sh", "-c", "ps -o args | grep -c '^sleep 1000' || true").strip().equals("1"));
            sh.stdin("\u0003");
            sh.stdin("echo status=$?\n");
            sh.awaitOutput("status=130", STEP);
            sh.stdin("echo still-$((40+2))\n");
            sh.awaitOutput("still-42", STEP);
            sh.stdin("exit 7\n");
            ExecExit exit = sh.finish(STEP);
            assertThat(exit.getExitCode()).isEqualTo(7);
            assertThat(sh.stderr.size()).as("a tty has no separate stderr").isZero();
        }
    }

    @Test
    void signal_reachesTheProcessGroup_ofASleepUnderAShell() throws Exception {
        try (ExecStream sh = exec()) {
            sh.start(ExecStream.start(box, "sh", "-c", "echo ready; sleep 1000; echo never"));
            sh.awaitOutput("ready", STEP);
            sh.signal(2);
            ExecExit exit = sh.finish(STEP);
            assertThat(exit.getSignal()).isEqualTo(2);
            assertThat(exit.getExitCode()).isEqualTo(130);
            assertThat(sh.text()).doesNotContain("never");
        }
    }

    @Test
    void user_byName_andByUidGid_withHomeAndEnvironment() throws Exception {
        assertThat(runOut(ExecStream.start(box, "sh", "-c", "id; echo $HOME $USER $LOGNAME").setUser("nobody")))
                .isEqualTo("uid=65534(nobody) gid=65534(nobody) groups=65534(nobody)\n/nonexistent nobody nobody\n");
        assertThat(runOut(ExecStream.start(box, "sh", "-c", "id; pwd").setUser("1000:1000").setWorkingDir("/tmp")))
                .isEqualTo("uid=1000 gid=1000 groups=1000\n/tmp\n");
        assertThat(runOut(ExecStream.start(box, "id", "-u").setUser("root"))).isEqualTo("0\n");
        assertThatThrownBy(() -> runOut(ExecStream.start(box, "id").setUser("no-such-user")))
                .isInstanceOf(StatusRuntimeException.class)
                .satisfies(e -> assertThat(((StatusRuntimeException) e).getStatus().getCode())
                        .isEqualTo(Status.Code.INVALID_ARGUMENT));
        runOut("sh", "-c", "printf '#!/bin/sh\\necho hi\\n' > /root/script; chmod 755 /root/script");
        assertThatThrownBy(() -> runOut(ExecStream.start(box, "/root/script").setUser("nobody").setWorkingDir("/tmp")))
                .isInstanceOf(StatusRuntimeException.class)
                .satisfies(e -> assertThat(((StatusRuntimeException) e).getStatus().getCode())
                        .isEqualTo(Status.Code.PERMISSION_DENIED));
    }

    @Test
    void timeout_killsTheProcessGroup_andSaysSo() throws Exception {
        try (ExecStream sh = exec()) {
            sh.start(ExecStream.start(box, "sh", "-c", "sleep 1000").setTimeoutSeconds(1));
            ExecExit exit = sh.finish(STEP);
            assertThat(exit.getTimedOut()).isTrue();
            assertThat(exit.getSignal()).isEqualTo(9);
        }
    }

    @Test
    void severalExecutionsAtOnce_eachGetsItsOwnOutput() throws Exception {
        List<ExecStream> calls = new ArrayList<>();
        try {
            for (int i = 0; i < 4; i++) {
                ExecStream s = exec();
                calls.add(s);
                s.start(ExecStream.start(box, "sh", "-c", "sleep 1; echo call-" + i + "; exit " + i));
            }
            for (int i = 0; i < 4; i++) {
                ExecExit exit = calls.get(i).finish(STEP);
                assertThat(calls.get(i).text()).isEqualTo("call-" + i + "\n");
                assertThat(exit.getExitCode()).isEqualTo(i);
            }
        } finally {
            calls.forEach(ExecStream::close);
        }
    }

    @Test
    void detach_thenAttachById_losesNothingWithinTheBuffer_andSaysHowMuchWasLostBeyondIt() throws Exception {
        int id;
        long received;
        runOut("mkfifo", "/root/go");
        try (ExecStream first = exec()) {
            first.start(ExecStream.start(box, "sh", "-c",
                    "head -c 100000 /dev/zero | tr '\\0' a; read x < /root/go; head -c 300000 /dev/zero | tr '\\0' b"));
            id = first.awaitStarted(STEP).getExecutionId();
            first.awaitOutput("a", STEP);
            received = first.stdout.size();
            first.cancel();
        }
        runOut("sh", "-c", "echo go > /root/go; rm /root/go");
        Awaitility.await("execution " + id + " finished").atMost(STEP).pollInterval(Duration.ofMillis(300))
                .until(() -> !execution(id).getRunning());
        assertThat(execution(id).getAttached()).isFalse();
        try (ExecStream again = exec()) {
            again.attach(box, id, received, 0);
            ExecExit exit = again.finish(STEP);
            assertThat(again.started.getExecutionId()).isEqualTo(id);
            assertThat(again.lostBytes).isZero();
            assertThat(received + again.stdout.size()).isEqualTo(400_000);
            assertThat(exit.getStdoutTotal()).isEqualTo(400_000);
            byte[] rest = again.stdout.toByteArray();
            for (int i = 0; i < rest.length; i++) {
                char expected = received + i < 100_000 ? 'a' : 'b';
                if (rest[i] != expected) {
                    throw new AssertionError("byte " + (received + i) + " is " + rest[i] + ", expected " + expected);
                }
            }
        }
        int big;
        try (ExecStream all = exec()) {
            all.start(ExecStream.start(box, "sh", "-c", "head -c 3000000 /dev/zero | tr '\\0' c"));
            assertThat(all.finish(STEP).getStdoutTotal()).isEqualTo(3_000_000);
            big = all.started.getExecutionId();
        }
        try (ExecStream replay = exec()) {
            replay.attach(box, big, 0, 0);
            ExecExit exit = replay.finish(STEP);
            assertThat(replay.lostBytes).as("bytes no longer held").isEqualTo(3_000_000 - RING);
            assertThat(replay.stdout.size()).isEqualTo(RING);
            assertThat(exit.getStdoutTotal()).isEqualTo(3_000_000);
        }
    }

    @Test
    void aClientThatDoesNotRead_stallsOnlyItsOwnProcess_andLosesNothing() throws Exception {
        int total = 5_000_000;
        try (ExecStream slow = new ExecStream(daemon.channel(), true)) {
            slow.start(ExecStream.start(box, "sh", "-c", "head -c " + total + " /dev/zero; echo done >&2"));
            int id = slow.awaitStarted(STEP).getExecutionId();
            assertThat(runOut("echo", "meanwhile")).isEqualTo("meanwhile\n");
            Awaitility.await("output stalls").during(Duration.ofSeconds(3)).atMost(STEP)
                    .pollInterval(Duration.ofMillis(500))
                    .until(() -> execution(id).getRunning());
            ExecutionInfo stalled = execution(id);
            assertThat(stalled.getRunning()).as("blocked writing, not finished").isTrue();
            slow.request(Integer.MAX_VALUE);
            ExecExit exit = slow.finish(STEP);
            assertThat(exit.getExitCode()).isZero();
            assertThat(slow.stdout.size()).isEqualTo(total);
            assertThat(slow.lostBytes).isZero();
            assertThat(slow.stderr.toString()).isEqualTo("done\n");
        }
    }

    @Test
    void listWaitSignal_byExecutionId() throws Exception {
        int id;
        try (ExecStream s = exec()) {
            s.start(ExecStream.start(box, "sleep", "999"));
            id = s.awaitStarted(STEP).getExecutionId();
            s.cancel();
        }
        ExecutionInfo info = execution(id);
        assertThat(info.getRunning()).isTrue();
        assertThat(info.getCmdList()).containsExactly("sleep", "999");
        assertThat(info.getPid()).isPositive();
        assertThat(info.getStartedAt()).isPositive();
        processes().signal(SignalExecutionRequest.newBuilder().setSandboxId(box).setExecutionId(id).setSignal(15).build());
        ExecExit exit = processes().wait(WaitExecutionRequest.newBuilder().setSandboxId(box).setExecutionId(id).build());
        assertThat(exit.getSignal()).isEqualTo(15);
        ExecutionInfo after = execution(id);
        assertThat(after.getRunning()).isFalse();
        assertThat(after.getExit().getSignal()).isEqualTo(15);
        assertThat(code(() -> processes().signal(SignalExecutionRequest.newBuilder().setSandboxId(box)
                .setExecutionId(id).setSignal(15).build()))).isEqualTo(Status.Code.FAILED_PRECONDITION);
        assertThat(code(() -> processes().signal(SignalExecutionRequest.newBuilder().setSandboxId(box)
                .setExecutionId(999_999).setSignal(15).build()))).isEqualTo(Status.Code.NOT_FOUND);
        assertThat(code(() -> processes().wait(WaitExecutionRequest.newBuilder().setSandboxId(box)
                .setExecutionId(999_999).build()))).isEqualTo(Status.Code.NOT_FOUND);
        int sleeping = sleeper();
        assertThat(code(() -> ProcessServiceGrpc.newBlockingStub(daemon.channel()).withDeadlineAfter(2, TimeUnit.SECONDS)
                .wait(WaitExecutionRequest.newBuilder().setSandboxId(box).setExecutionId(sleeping).build())))
                .isEqualTo(Status.Code.DEADLINE_EXCEEDED);
    }

    @Test
    void badInput_isInvalidArgument_namingTheField() throws Exception {
        assertThat(refusal(s -> s.start(ExecStream.start(box)))).startsWith("cmd:");
        assertThat(refusal(s -> s.start(ExecStream.start(box, "true").setWorkingDir("tmp")))).startsWith("working_dir:");
        assertThat(refusal(s -> s.stdin("x"))).startsWith("stdin: the first message must be start or attach");
        assertThat(refusal(ExecStream::halfClose)).startsWith("start: the call ended before a start or attach");
        assertThat(refusal(s -> s.start(ExecStream.start(box, "sleep", "5")).start(ExecStream.start(box, "true"))))
                .startsWith("start: only the first message");
        assertThat(refusal(s -> s.start(ExecStream.start(box, "sleep", "5")).stdin("x"))).startsWith("stdin:");
        assertThat(refusal(s -> s.start(ExecStream.start(box, "sleep", "5")).signal(0))).startsWith("signal:");
        assertThat(refusal(s -> s.start(ExecStream.start(box, "sleep", "5")).resize(10, 10))).startsWith("resize:");
        assertThat(code(() -> processes().signal(SignalExecutionRequest.newBuilder().setSandboxId(box)
                .setExecutionId(1).setSignal(0).build()))).isEqualTo(Status.Code.INVALID_ARGUMENT);
    }

    // ---- helpers ---------------------------------------------------------------------------------

    private interface Sending {
        void accept(ExecStream s);
    }

    /** The INVALID_ARGUMENT description of a call that sends what {@code send} sends. */
    private String refusal(Sending send) throws Exception {
        try (ExecStream s = exec()) {
            send.accept(s);
            try {
                s.finish(STEP);
            } catch (StatusRuntimeException e) {
                assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
                return e.getStatus().getDescription();
            }
            throw new AssertionError("not refused; stdout: " + s.text());
        }
    }

    private int sleeper() throws Exception {
        try (ExecStream s = exec()) {
            s.start(ExecStream.start(box, "sleep", "30"));
            int id = s.awaitStarted(STEP).getExecutionId();
            s.cancel();
            return id;
        }
    }

    private ExecutionInfo execution(int id) {
        return processes().listExecutions(ListExecutionsRequest.newBuilder().setSandboxId(box).build())
                .getExecutionsList().stream().filter(e -> e.getExecutionId() == id).findFirst()
                .orElseThrow(() -> new AssertionError("execution " + id + " not listed"));
    }

    private String runOut(String... cmd) throws Exception {
        return runOut(ExecStream.start(box, cmd));
    }

    /** Runs to the end; asserts exit 0; returns stdout. */
    private String runOut(dev.arcbox.api.v1.ExecStart.Builder start) throws Exception {
        try (ExecStream s = exec()) {
            s.start(start);
            ExecExit exit = s.finish(STEP);
            assertThat(exit.getExitCode()).as("exit of %s (stderr %s)", start.getCmdList(), s.stderr).isZero();
            return s.text();
        }
    }

    private static Status.Code code(Runnable call) {
        try {
            call.run();
        } catch (StatusRuntimeException e) {
            return e.getStatus().getCode();
        }
        return Status.Code.OK;
    }
}
