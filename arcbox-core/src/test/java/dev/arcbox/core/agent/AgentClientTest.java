package dev.arcbox.core.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.arcbox.core.ArcboxException;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@link AgentClient} against a scripted {@link FakeAgent} over a Unix socket in a temp dir. */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class AgentClientTest {

    private static final Duration DEADLINE = Duration.ofSeconds(5);

    @TempDir
    Path dir;
    private AgentHarness harness;

    @BeforeEach
    void open() throws IOException {
        harness = new AgentHarness(dir);
    }

    @AfterEach
    void close() throws Exception {
        harness.close();
    }

    // ---- session start ---------------------------------------------------------------------------

    @Test
    void connect_repeatsHelloWithTheSameNonceUntilTheAgentAnswers() throws Exception {
        var pair = harness.pair();
        CompletableFuture<AgentClient> connecting =
                harness.async(() -> AgentClient.connect(pair.host(), Duration.ofSeconds(5)));

        long first = pair.agent().awaitHello();
        long second = pair.agent().awaitHello();
        pair.agent().answerHello(second, List.of(4, 7), FakeAgent.ascii("\0\0\0\u0001stale frame bytes ABXSYN"));
        AgentClient client = connecting.get(5, TimeUnit.SECONDS);

        assertThat(second).isEqualTo(first);
        AgentHello hello = client.hello();
        assertThat(hello.version()).isEqualTo(1);
        assertThat(hello.capabilities()).contains("exec", "attach", "credit");
        assertThat(hello.agent()).isEqualTo("fake-agent/1.0?[2J");
        assertThat(hello.execIds()).containsExactly(4, 7);
        assertThat(hello.uptimeNanos()).isEqualTo(3_000);
        client.close();
    }

    @Test
    void connect_whenTheAgentNeverAnswers_failsAtTheDeadlineAndClosesTheChannel() throws Exception {
        var pair = harness.pair();

        assertThatThrownBy(() -> AgentClient.connect(pair.host(), Duration.ofMillis(350), AgentHarness.FAST))
                .isInstanceOf(ArcboxException.DeadlineExceeded.class)
                .hasMessageContaining("connecting to the guest agent");

        assertThat(pair.host().isOpen()).isFalse();
        int hellos = 0;
        try {
            while (true) {
                pair.agent().awaitHello();
                hellos++;
            }
        } catch (EOFException expected) {
            // the host closed its end after the last HELLO
        }
        assertThat(hellos).isGreaterThanOrEqualTo(2);
    }

    // ---- executions ------------------------------------------------------------------------------

    @Test
    void exec_deliversStdoutStderrAndExit() throws Exception {
        var c = harness.connect();
        ExecRequest request = ExecRequest.of("sh", "-c", "work").withEnv(Map.of("K", "V")).withCwd("/srv");
        CompletableFuture<Execution> started = harness.async(() -> c.client().exec(request, DEADLINE));

        FakeAgent.ExecStart start = c.agent().acceptExec();
        c.agent().started(start.stream(), 17, 4242);
        Execution execution = started.get(5, TimeUnit.SECONDS);
        byte[] out = bytes(300_000, 1);
        byte[] err = FakeAgent.ascii("warning\n");
        CompletableFuture<Void> agentSide = harness.async(() -> {
            c.agent().sendWithinCredit(start.stream(), false, 0, out);
            c.agent().sendWithinCredit(start.stream(), true, 0, err);
            c.agent().exit(start.stream(), 3, out.length, err.length);
            return null;
        });
        ExecResult result = execution.collect(DEADLINE, 1 << 20);

        assertThat(start.argv()).containsExactly("sh", "-c", "work");
        assertThat(start.env()).containsExactly("K=V");
        assertThat(start.cwd()).isEqualTo("/srv");
        assertThat(execution.id()).isEqualTo(17);
        assertThat(execution.pid()).isEqualTo(4242);
        assertThat(result.stdout()).isEqualTo(out);
        assertThat(result.stderrText()).isEqualTo("warning\n");
        assertThat(result.status()).isEqualTo(new ExitStatus(3, null, false, out.length, err.length));
        assertThat(execution.exit().get()).isEqualTo(result.status());
        assertThat(execution.stdout().read()).isEqualTo(-1);
        agentSide.get(5, TimeUnit.SECONDS);
    }

    @Test
    void exec_whenTheGuestCannotStartIt_mapsTheErrnoAndSanitizesTheMessage() throws Exception {
        var c = harness.connect();
        CompletableFuture<Execution> started = harness.async(() -> c.client().exec(ExecRequest.of("nope"), DEADLINE));

        c.agent().error(c.agent().acceptExec().stream(), GuestError.ENOENT, "execve nope:\u001b[1m no such file");

        assertThatThrownBy(() -> join(started))
                .isInstanceOf(ArcboxException.NotFound.class)
                .hasMessage("exec nope: guest agent failed with ENOENT (errno 2): execve nope:?[1m no such file");
    }

    @Test
    void exec_whenNoAnswerInTime_failsNamingTheOperation_andKillsAProcessThatStartsLate() throws Exception {
        var c = harness.connect();

        assertThatThrownBy(() -> c.client().exec(ExecRequest.of("slow"), Duration.ofMillis(200)))
                .isInstanceOf(ArcboxException.DeadlineExceeded.class)
                .hasMessageContaining("exec slow");
        int stream = c.agent().acceptExec().stream();
        c.agent().started(stream, 5, 55);

        Frame kill = c.agent().take(FrameType.SIGNAL, stream);
        assertThat(TlvPayload.parse(kill.payload()).u32(Tag.SIGNAL, 0)).isEqualTo(9);
    }

    @Test
    void twoExecutions_aConsumerThatNeverReadsStallsOnlyItsOwnStream() throws Exception {
        var c = harness.connect();
        int window = 64 * 1024;
        Execution idle = start(c, ExecRequest.of("idle").withWindow(window), 1);
        Execution busy = start(c, ExecRequest.of("busy").withWindow(window), 2);
        byte[] idleOut = bytes(4 * window, 3);
        byte[] busyOut = bytes(5 * window, 4);
        CompletableFuture<Void> idleAgent = harness.async(() -> produce(c.agent(), 1, idleOut));
        CompletableFuture<Void> busyAgent = harness.async(() -> produce(c.agent(), 2, busyOut));

        c.agent().awaitCreditExhausted(1);
        ExecResult busyResult = busy.collect(DEADLINE, 1 << 20);

        assertThat(busyResult.stdout()).isEqualTo(busyOut);
        busyAgent.get(5, TimeUnit.SECONDS);
        assertThat(idleAgent).isNotDone();
        assertThat(idle.exit()).isNotDone();
        assertThat(c.agent().outputCredit(1)).isZero();

        assertThat(idle.collect(DEADLINE, 1 << 20).stdout()).isEqualTo(idleOut);
        idleAgent.get(5, TimeUnit.SECONDS);
    }

    @Test
    void outputBeyondTheGrantedCredit_closesTheConnection() throws Exception {
        var c = harness.connect();
        Execution execution = start(c, ExecRequest.of("greedy").withWindow(4096), 1);

        c.agent().sendOutput(1, false, 0, new byte[4097]);

        c.client().closed().get(5, TimeUnit.SECONDS);
        assertThat(c.client().isOpen()).isFalse();
        assertThatThrownBy(() -> join(execution.exit()))
                .isInstanceOf(ArcboxException.Unavailable.class)
                .hasMessageContaining("protocol violation")
                .hasMessageContaining("credit");
    }

    @Test
    void stdin_isSentOnlyWithinTheAgentsCredit_andCloseSendsEof() throws Exception {
        var c = harness.connect();
        Execution execution = start(c, ExecRequest.of("cat").withStdin(true), 1);
        byte[] input = bytes(100_000, 5);
        CompletableFuture<Void> writer = harness.async(() -> {
            try (var stdin = execution.stdin()) {
                stdin.write(input);
            }
            return null;
        });

        byte[] first = c.agent().takeStdin(1, Execution.INITIAL_STDIN_CREDIT);
        assertThat(first).hasSize(Execution.INITIAL_STDIN_CREDIT);
        assertThat(writer).isNotDone();
        c.agent().grantStdin(1, 40_000);
        byte[] rest = c.agent().takeStdin(1, input.length - first.length);
        c.agent().take(FrameType.STDIN_EOF, 1);
        writer.get(5, TimeUnit.SECONDS);

        assertThat(FakeAgent.concat(first, rest)).isEqualTo(input);
        assertThat(c.agent().violation()).isNull();
    }

    // ---- re-attach -------------------------------------------------------------------------------

    @Test
    void reattach_afterTheConnectionDrops_continuesFromTheReceivedOffsetsWithoutLoss() throws Exception {
        byte[] out = bytes(180_000, 6);
        byte[] err = bytes(20_000, 7);
        var first = harness.connect();
        Execution before = start(first, ExecRequest.of("long"), 1);
        first.agent().sendWithinCredit(1, false, 0, java.util.Arrays.copyOf(out, 100_000));
        first.agent().sendWithinCredit(1, true, 0, java.util.Arrays.copyOf(err, 5_000));
        ByteArrayOutputStream gotOut = new ByteArrayOutputStream();
        gotOut.writeBytes(before.stdout().readNBytes(30_000));
        first.agent().close();

        drainUntilDisconnect(before.stdout(), gotOut);
        ByteArrayOutputStream gotErr = new ByteArrayOutputStream();
        drainUntilDisconnect(before.stderr(), gotErr);
        assertThatThrownBy(() -> join(before.exit())).isInstanceOf(ArcboxException.Unavailable.class);

        var second = harness.connect(List.of(17));
        assertThat(second.client().hello().execIds()).containsExactly(17);
        long outFrom = before.stdoutReceived();
        long errFrom = before.stderrReceived();
        CompletableFuture<Execution> attaching =
                harness.async(() -> second.client().attach(17, outFrom, errFrom, DEADLINE));
        Frame attachFrame = second.agent().takeAttach();
        TlvPayload attach = TlvPayload.parse(attachFrame.payload());
        int stream = attachFrame.stream();
        second.agent().registerWindow(stream, attach.u32(Tag.WINDOW, 0));
        second.agent().started(stream, 17, 99);
        Execution after = attaching.get(5, TimeUnit.SECONDS);
        long overlap = Math.min(outFrom, 1_000);  // the guest re-sends a little more than asked: skipped
        CompletableFuture<Void> agentSide = harness.async(() -> {
            second.agent().sendWithinCredit(stream, false, outFrom - overlap,
                    java.util.Arrays.copyOfRange(out, (int) (outFrom - overlap), out.length));
            second.agent().sendWithinCredit(stream, true, errFrom,
                    java.util.Arrays.copyOfRange(err, (int) errFrom, err.length));
            second.agent().exit(stream, 0, out.length, err.length);
            return null;
        });
        ExecResult rest = after.collect(DEADLINE, 1 << 20);
        agentSide.get(5, TimeUnit.SECONDS);

        assertThat(attach.u32(Tag.EXEC_ID, 0)).isEqualTo(17);
        assertThat(attach.u64(Tag.STDOUT_OFFSET, -1)).isEqualTo(outFrom);
        assertThat(attach.u64(Tag.STDERR_OFFSET, -1)).isEqualTo(errFrom);
        assertThat(FakeAgent.concat(gotOut.toByteArray(), rest.stdout())).isEqualTo(out);
        assertThat(FakeAgent.concat(gotErr.toByteArray(), rest.stderr())).isEqualTo(err);
        assertThat(after.lostBytes()).isZero();
        assertThat(rest.status().success()).isTrue();
    }

    @Test
    void attach_fromAnOffsetTheGuestNoLongerHas_countsTheGapAsLost() throws Exception {
        var c = harness.connect(List.of(9));
        CompletableFuture<Execution> attaching = harness.async(() -> c.client().attach(9, 0, 0, DEADLINE));
        Frame attachFrame = c.agent().takeAttach();
        int stream = attachFrame.stream();
        byte[] tail = bytes(1_000, 8);

        c.agent().sendOutput(stream, false, 5_000, tail);   // the guest's buffer starts at 5000; no EXEC_STARTED
        Execution execution = attaching.get(5, TimeUnit.SECONDS);
        c.agent().exit(stream, 0, 6_000, 0);
        ExecResult result = execution.collect(DEADLINE, 1 << 20);

        assertThat(result.stdout()).isEqualTo(tail);
        assertThat(execution.lostBytes()).isEqualTo(5_000);
        assertThat(execution.stdoutReceived()).isEqualTo(6_000);
        assertThat(execution.id()).isEqualTo(9);
        assertThat(execution.pid()).isEqualTo(-1);
    }

    @Test
    void attach_toAnExecutionTheAgentDoesNotHold_isNotFound() throws Exception {
        var c = harness.connect();
        CompletableFuture<Execution> attaching = harness.async(() -> c.client().attach(3, 0, 0, DEADLINE));

        c.agent().error(c.agent().takeAttach().stream(), GuestError.ENOENT, "no execution 3");

        assertThatThrownBy(() -> join(attaching)).isInstanceOf(ArcboxException.NotFound.class);
    }

    // ---- connection end --------------------------------------------------------------------------

    @Test
    void close_failsPendingCallsAndOpenExecutionsWithUnavailable() throws Exception {
        var c = harness.connect();
        Execution execution = start(c, ExecRequest.of("sleep"), 1);
        c.agent().sendOutput(1, false, 0, FakeAgent.ascii("partial"));
        CompletableFuture<Duration> ping = harness.async(() -> c.client().ping(DEADLINE));
        c.agent().take(FrameType.PING);

        c.client().close();
        c.client().close();

        assertThatThrownBy(() -> join(ping)).isInstanceOf(ArcboxException.Unavailable.class);
        assertThatThrownBy(() -> join(execution.exit())).isInstanceOf(ArcboxException.Unavailable.class);
        assertThat(execution.stdout().readNBytes(7)).isEqualTo(FakeAgent.ascii("partial"));
        assertThatThrownBy(() -> execution.stdout().read())
                .isInstanceOf(IOException.class)
                .hasMessageContaining("agent disconnected");
        assertThat(c.client().closed()).isDone();
        assertThatThrownBy(() -> c.client().ping(DEADLINE)).isInstanceOf(ArcboxException.Unavailable.class);
        assertThat(c.agent().awaitEof(DEADLINE)).isTrue();
    }

    @Test
    void oversizedFrame_closesTheConnection() throws Exception {
        var c = harness.connect();

        c.agent().sendRaw(ByteBuffer.allocate(9).putInt(Frame.MAX_PAYLOAD + 1).put((byte) FrameType.PONG).putInt(1).array());

        c.client().closed().get(5, TimeUnit.SECONDS);
        assertThatThrownBy(() -> c.client().ping(DEADLINE)).isInstanceOf(ArcboxException.Unavailable.class);
    }

    @Test
    void syncMarkerWithAForeignNonce_closesTheConnection() throws Exception {
        var c = harness.connect();

        c.agent().sendRaw(FrameDecoder.syncMarker(c.nonce() ^ 1));

        c.client().closed().get(5, TimeUnit.SECONDS);
        assertThat(c.client().isOpen()).isFalse();
    }

    @Test
    void partialFrameThatNeverCompletes_closesTheConnection() throws Exception {
        var pair = harness.pair();
        var timings = new AgentClient.Timings(Duration.ofMillis(100), Duration.ofMillis(300));
        CompletableFuture<AgentClient> connecting = harness.async(() -> AgentClient.connect(pair.host(), DEADLINE, timings));
        pair.agent().handshake(List.of());
        AgentClient client = connecting.get(5, TimeUnit.SECONDS);

        pair.agent().sendRaw(new byte[] {0, 0, 0, 9, FrameType.PONG});

        client.closed().get(5, TimeUnit.SECONDS);
        assertThatThrownBy(() -> client.ping(DEADLINE))
                .isInstanceOf(ArcboxException.Unavailable.class);
    }

    // ---- control requests ------------------------------------------------------------------------

    @Test
    void unknownFrameTypes_areIgnoredAndTheSessionCarriesOn() throws Exception {
        var c = harness.connect();
        c.agent().send(0x7F, 0, new byte[] {1, 2, 3});
        c.agent().send(0x7E, 12345, new byte[0]);
        CompletableFuture<Duration> ping = harness.async(() -> c.client().ping(DEADLINE));

        Frame request = c.agent().take(FrameType.PING);
        c.agent().send(FrameType.PONG, request.stream(), request.payload());

        assertThat(ping.get(5, TimeUnit.SECONDS)).isPositive();
        assertThat(c.client().isOpen()).isTrue();
    }

    @Test
    void ping_withoutAnswer_failsAtTheDeadlineNamingTheOperation() throws Exception {
        var c = harness.connect();

        assertThatThrownBy(() -> c.client().ping(Duration.ofMillis(150)))
                .isInstanceOf(ArcboxException.DeadlineExceeded.class)
                .hasMessageStartingWith("ping:");
        assertThat(c.client().isOpen()).isTrue();
    }

    @Test
    void resyncNetConfigAndShutdown_sendTheirTlvsAndMapTheAck() throws Exception {
        var c = harness.connect();
        Instant now = Instant.ofEpochSecond(1_800_000_000L, 123);
        CompletableFuture<Void> resync = harness.async(() -> {
            c.client().resync(now, new byte[] {9, 9, 9}, DEADLINE);
            return null;
        });
        Frame r = c.agent().take(FrameType.RESYNC);
        c.agent().send(FrameType.RESYNC_ACK, r.stream(), new byte[0]);
        resync.get(5, TimeUnit.SECONDS);

        var config = new NetConfig(null, "02:ab:00:00:00:01", "10.0.0.2/24", "10.0.0.1", List.of("1.1.1.1"), "box");
        CompletableFuture<Void> net = harness.async(() -> {
            c.client().netConfig(config, DEADLINE);
            return null;
        });
        Frame n = c.agent().take(FrameType.NET_CONFIG);
        c.agent().send(FrameType.NET_CONFIG_ACK, n.stream(), new TlvPayload.Builder().u32(Tag.ERRNO, GuestError.EINVAL).build());

        CompletableFuture<Void> shutdown = harness.async(() -> {
            c.client().shutdown(DEADLINE);
            return null;
        });
        c.agent().send(FrameType.SHUTDOWN_ACK, c.agent().take(FrameType.SHUTDOWN).stream(), new byte[0]);
        shutdown.get(5, TimeUnit.SECONDS);

        TlvPayload rt = TlvPayload.parse(r.payload());
        assertThat(rt.u64(Tag.REALTIME_NS, 0)).isEqualTo(1_800_000_000_000_000_123L);
        assertThat(rt.bytes(Tag.ENTROPY)).containsExactly(9, 9, 9);
        TlvPayload nt = TlvPayload.parse(n.payload());
        assertThat(nt.has(Tag.IFACE)).isFalse();
        assertThat(nt.string(Tag.ADDR, 64)).isEqualTo("10.0.0.2/24");
        assertThat(nt.strings(Tag.DNS)).containsExactly("1.1.1.1");
        assertThatThrownBy(() -> join(net)).isInstanceOf(ArcboxException.InvalidArgument.class)
                .hasMessageContaining("net config");
    }

    // ---- helpers ---------------------------------------------------------------------------------

    /** Starts an execution and has the fake answer EXEC_STARTED; the fake sees it on {@code expectedStream}. */
    private Execution start(AgentHarness.Connected c, ExecRequest request, int expectedStream) throws Exception {
        CompletableFuture<Execution> started = harness.async(() -> c.client().exec(request, DEADLINE));
        FakeAgent.ExecStart start = c.agent().acceptExec();
        assertThat(start.stream()).isEqualTo(expectedStream);
        c.agent().started(start.stream(), 100 + start.stream(), 1000 + start.stream());
        return started.get(5, TimeUnit.SECONDS);
    }

    private static Void produce(FakeAgent agent, int stream, byte[] data) throws Exception {
        agent.sendWithinCredit(stream, false, 0, data);
        agent.exit(stream, 0, data.length, 0);
        return null;
    }

    private static void drainUntilDisconnect(InputStream in, ByteArrayOutputStream into) {
        byte[] buffer = new byte[8192];
        assertThatThrownBy(() -> {
            int n;
            while ((n = in.read(buffer)) >= 0) {
                into.write(buffer, 0, n);
            }
        }).isInstanceOf(IOException.class).hasMessageContaining("agent disconnected");
    }

    private static byte[] bytes(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static <T> T join(CompletableFuture<T> future) throws Throwable {
        try {
            return future.get(5, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw e.getCause();
        }
    }
}
