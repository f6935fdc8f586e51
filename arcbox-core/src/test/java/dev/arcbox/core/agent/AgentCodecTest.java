package dev.arcbox.core.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.arcbox.core.ArcboxException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The pure codec: framing, sync, TLVs, messages, errno mapping, request validation. Byte arrays only. */
class AgentCodecTest {

    private static final long NONCE = 0x0102030405060708L;
    private static final HexFormat HEX = HexFormat.of();

    // ---- golden bytes ----------------------------------------------------------------------------

    @Test
    void helloFrame_matchesGoldenBytes() {
        byte[] frame = MessageCodec.encode(0, new HostMessage.Hello(NONCE, 1)).encode();

        assertThat(HEX.formatHex(frame)).isEqualTo(
                "00000018" + "01" + "00000000"              // length 24, HELLO, stream 0
                + "0001" + "00000008" + "0102030405060708"  // NONCE
                + "0002" + "00000004" + "00000001");        // VERSION 1
        assertThat(HEX.formatHex(Frame.HELLO_MARKER)).isEqualTo("4142584845 4c4f31".replace(" ", ""));
    }

    @Test
    void execStartFrame_matchesGoldenBytes() {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("A", "1");
        ExecRequest request = new ExecRequest(List.of("echo", "hi"), env, "/tmp", Duration.ofMillis(1500), true, 4096);

        byte[] frame = MessageCodec.encode(1, new HostMessage.ExecStart(request)).encode();

        assertThat(HEX.formatHex(frame)).isEqualTo(
                "00000040" + "10" + "00000001"           // length 64, EXEC_START, stream 1
                + "0010" + "00000004" + "6563686f"       // ARG echo
                + "0010" + "00000002" + "6869"           // ARG hi
                + "0011" + "00000003" + "413d31"         // ENV A=1
                + "0012" + "00000004" + "2f746d70"       // CWD /tmp
                + "0013" + "00000004" + "000005dc"       // TIMEOUT_MS 1500
                + "0014" + "00000001" + "01"             // STDIN 1
                + "0015" + "00000004" + "00001000");     // WINDOW 4096
    }

    @Test
    void execStart_omitsDefaults() {
        byte[] payload = MessageCodec.encode(3, new HostMessage.ExecStart(ExecRequest.of("true"))).payload();
        TlvPayload t = TlvPayload.parse(payload);

        assertThat(t.strings(Tag.ARG)).containsExactly("true");
        assertThat(t.has(Tag.CWD) || t.has(Tag.TIMEOUT_MS) || t.has(Tag.STDIN) || t.has(Tag.ENV)).isFalse();
        assertThat(t.u32(Tag.WINDOW, 0)).isEqualTo(ExecRequest.DEFAULT_WINDOW);
    }

    // ---- sync and framing ------------------------------------------------------------------------

    @Test
    void decoder_skipsGarbageAndForeignMarkersUntilItsOwnMarker_evenFedByteByByte() {
        byte[] stream = FakeAgent.concat(
                FakeAgent.ascii("noise\0\0\0\0\u00ff"),
                FrameDecoder.syncMarker(0x7777L),            // a previous session's marker: ignored while hunting
                new Frame(FrameType.PONG, 9, new byte[] {1}).encode(),  // its frames too
                FakeAgent.ascii("ABXSYABXSYNC"),             // partial markers that overlap the real one
                FrameDecoder.syncMarker(NONCE),
                pong(5, 42), pong(6, 43));
        FrameDecoder decoder = new FrameDecoder(NONCE);
        List<Frame> frames = new ArrayList<>();

        for (byte b : stream) {
            decoder.feed(new byte[] {b}, 0, 1, frames::add);
        }

        assertThat(frames).containsExactly(new Frame(FrameType.PONG, 5, new byte[] {42}),
                new Frame(FrameType.PONG, 6, new byte[] {43}));
        assertThat(decoder.midFrame()).isFalse();
    }

    @Test
    void decoder_handlesEverySplitPointOfMarkerAndFrames() {
        byte[] stream = FakeAgent.concat(FakeAgent.ascii("xxABX"), FrameDecoder.syncMarker(NONCE), pong(1, 7),
                FrameDecoder.syncMarker(NONCE), pong(2, 8));
        for (int split = 0; split <= stream.length; split++) {
            FrameDecoder decoder = new FrameDecoder(NONCE);
            List<Frame> frames = new ArrayList<>();
            decoder.feed(stream, 0, split, frames::add);
            decoder.feed(stream, split, stream.length - split, frames::add);
            assertThat(frames).as("split at %d", split).extracting(Frame::stream).containsExactly(1, 2);
        }
    }

    @Test
    void decoder_reportsAPartialFrame() {
        FrameDecoder decoder = new FrameDecoder(NONCE);
        byte[] stream = FakeAgent.concat(FrameDecoder.syncMarker(NONCE), pong(1, 7));
        decoder.feed(stream, 0, stream.length - 1, f -> { });

        assertThat(decoder.synced()).isTrue();
        assertThat(decoder.midFrame()).isTrue();
    }

    @Test
    void decoder_rejectsALengthOverTheLimitBeforeReadingThePayload() {
        FrameDecoder decoder = new FrameDecoder(NONCE);
        byte[] header = ByteBuffer.allocate(9).putInt(Frame.MAX_PAYLOAD + 1).put((byte) FrameType.STDOUT).putInt(1).array();
        byte[] stream = FakeAgent.concat(FrameDecoder.syncMarker(NONCE), header);

        assertThatThrownBy(() -> decoder.feed(stream, 0, stream.length, f -> { }))
                .isInstanceOf(ArcboxException.ProtocolViolation.class)
                .hasMessageContaining("exceeds the limit");
        assertThatThrownBy(() -> decoder.feed(new byte[1], 0, 1, f -> { }))
                .isInstanceOf(ArcboxException.ProtocolViolation.class);
    }

    @Test
    void decoder_acceptsAFrameOfExactlyTheLimit() {
        FrameDecoder decoder = new FrameDecoder(NONCE);
        byte[] frame = new Frame(FrameType.STDOUT, 1, new byte[Frame.MAX_PAYLOAD]).encode();
        List<Frame> frames = new ArrayList<>();
        decoder.feed(FrameDecoder.syncMarker(NONCE), 0, 16, frames::add);
        decoder.feed(frame, 0, frame.length, frames::add);

        assertThat(frames).singleElement().extracting(f -> f.payload().length).isEqualTo(Frame.MAX_PAYLOAD);
    }

    @Test
    void decoder_rejectsAForeignNonceAfterSync_andSkipsItsOwn() {
        FrameDecoder decoder = new FrameDecoder(NONCE);
        byte[] ok = FakeAgent.concat(FrameDecoder.syncMarker(NONCE), FrameDecoder.syncMarker(NONCE), pong(1, 1));
        List<Frame> frames = new ArrayList<>();
        decoder.feed(ok, 0, ok.length, frames::add);
        assertThat(frames).hasSize(1);

        byte[] foreign = FrameDecoder.syncMarker(NONCE + 1);
        assertThatThrownBy(() -> decoder.feed(foreign, 0, foreign.length, frames::add))
                .isInstanceOf(ArcboxException.ProtocolViolation.class)
                .hasMessageContaining("foreign nonce");
    }

    @Test
    void decoder_rejectsGarbageAtAFrameBoundary() {
        FrameDecoder decoder = new FrameDecoder(NONCE);
        byte[] stream = FakeAgent.concat(FrameDecoder.syncMarker(NONCE), pong(1, 1), FakeAgent.ascii("hello"));

        assertThatThrownBy(() -> decoder.feed(stream, 0, stream.length, f -> { }))
                .isInstanceOf(ArcboxException.ProtocolViolation.class)
                .hasMessageContaining("frame boundary");
    }

    // ---- messages --------------------------------------------------------------------------------

    @Test
    void unknownFrameType_decodesAsUnknown() {
        assertThat(MessageCodec.decode(new Frame(0x7F, 4, new byte[] {1, 2, 3})))
                .isEqualTo(new AgentMessage.Unknown(4, 0x7F));
        assertThat(MessageCodec.decode(new Frame(FrameType.PING, 4, new byte[0]))).isInstanceOf(AgentMessage.Unknown.class);
    }

    @Test
    void unknownTags_areSkipped() {
        byte[] payload = new TlvPayload.Builder().string(0x7ABC, "future").u32(Tag.EXEC_ID, 12).u32(Tag.PID, 345)
                .bytes(0x7ABD, new byte[100]).build();

        assertThat(MessageCodec.decode(new Frame(FrameType.EXEC_STARTED, 3, payload)))
                .isEqualTo(new AgentMessage.ExecStarted(3, 12, 345));
    }

    @Test
    void tlvRunningPastThePayload_isMalformed() {
        byte[] payload = ByteBuffer.allocate(10).putShort((short) Tag.EXEC_ID).putInt(0x7FFF_FFFF).array();

        assertThatThrownBy(() -> MessageCodec.decode(new Frame(FrameType.EXEC_STARTED, 3, payload)))
                .isInstanceOf(ArcboxException.ProtocolViolation.class)
                .hasMessageContaining("claims");
    }

    @Test
    void wrongIntegerWidth_isMalformed() {
        byte[] payload = new TlvPayload.Builder().bytes(Tag.EXEC_ID, new byte[3]).build();

        assertThatThrownBy(() -> MessageCodec.decode(new Frame(FrameType.EXEC_STARTED, 3, payload)))
                .isInstanceOf(ArcboxException.ProtocolViolation.class);
    }

    @Test
    void outputAndExit_decode() {
        byte[] out = ByteBuffer.allocate(11).putLong(1L << 40).put(new byte[] {'a', 'b', 'c'}).array();
        byte[] exit = new TlvPayload.Builder().u32(Tag.SIGNAL, 9).u8(Tag.TIMED_OUT, 1).u64(Tag.STDOUT_TOTAL, 5).build();

        assertThat(MessageCodec.decode(new Frame(FrameType.STDERR, 2, out)))
                .isEqualTo(new AgentMessage.Output(2, true, 1L << 40, new byte[] {'a', 'b', 'c'}));
        assertThat(MessageCodec.decode(new Frame(FrameType.EXIT, 2, exit)))
                .isEqualTo(new AgentMessage.Exit(2, null, 9, true, 5, -1));
        assertThatThrownBy(() -> MessageCodec.decode(new Frame(FrameType.STDOUT, 2, new byte[7])))
                .isInstanceOf(ArcboxException.ProtocolViolation.class);
    }

    // ---- errors from the guest ---------------------------------------------------------------------

    @ParameterizedTest
    @CsvSource({"2, NotFound", "13, PermissionDenied", "1, PermissionDenied", "11, ResourceExhausted", "17, AlreadyExists",
            "20, FailedPrecondition", "21, FailedPrecondition", "39, FailedPrecondition", "28, ResourceExhausted",
            "122, ResourceExhausted", "36, InvalidArgument",
            "22, InvalidArgument", "7, InvalidArgument", "38, FailedPrecondition", "0, FailedPrecondition"})
    void guestErrno_mapsToTheErrorHierarchy(int errno, String type) {
        ArcboxException e = GuestError.toException("exec ls", errno, "boom");

        assertThat(e.getClass().getSimpleName()).isEqualTo(type);
        assertThat(e.getMessage()).startsWith("exec ls: guest agent failed with ").endsWith(": boom");
    }

    @Test
    void guestMessage_isSanitizedAndCapped() {
        String hostile = "bad\u001b[31mred\nline\u202Eevil" + "x".repeat(1000);

        String message = GuestError.toException("exec ls", 2, hostile).getMessage();

        assertThat(message).doesNotContain("\u001b", "\n", "\u202E").contains("bad?[31mred?line?evil");
        assertThat(message.length()).isLessThan(GuestError.MAX_MESSAGE_CHARS + 80);
    }

    // ---- request validation ----------------------------------------------------------------------

    @Test
    void execRequest_namesEveryViolation() {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("A=B", "x");
        env.put("NUL", "a\0b");

        assertThatThrownBy(() -> new ExecRequest(List.of(), env, "", Duration.ofMillis(-1), false, 0))
                .isInstanceOf(ArcboxException.InvalidArgument.class)
                .hasMessageContainingAll("argv: must have at least one entry", "env: key must be non-empty",
                        "env[\"NUL\"]: must not contain NUL", "cwd:", "timeout:", "window:");
    }

    @Test
    void execRequest_rejectsWhatDoesNotFitInOneFrame() {
        String big = "y".repeat(60_000);
        List<String> argv = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            argv.add(big);
        }

        assertThatThrownBy(() -> new ExecRequest(argv, Map.of(), null, null, false, 4096))
                .isInstanceOf(ArcboxException.InvalidArgument.class)
                .hasMessageContaining("frame limit");
    }

    @Test
    void execRequest_roundsSubMillisecondTimeoutsUp() {
        assertThat(ExecRequest.of("x").withTimeout(Duration.ofNanos(1)).timeoutMillis()).isEqualTo(1);
        assertThat(ExecRequest.of("x").timeoutMillis()).isZero();
    }

    // ---- credit and offsets ----------------------------------------------------------------------

    @Test
    void creditWindow_rejectsOverspending_andReturnsCreditInHalfWindowBatches() {
        CreditWindow credit = new CreditWindow(1000);
        credit.spend(1000, "exec x");

        assertThatThrownBy(() -> credit.spend(1, "exec x"))
                .isInstanceOf(ArcboxException.ProtocolViolation.class)
                .hasMessageContaining("only 0 bytes of credit");
        assertThat(credit.consumed(499)).isZero();
        assertThat(credit.consumed(1)).isEqualTo(500);
        assertThat(credit.available()).isEqualTo(500);
    }

    @Test
    void outputBuffer_skipsOverlapAndCountsGaps() {
        OutputBuffer buffer = new OutputBuffer(100);

        assertThat(buffer.accept(90, FakeAgent.ascii("0123456789abc"))).isEqualTo(10);
        assertThat(buffer.accept(120, FakeAgent.ascii("xyz"))).isZero();
        byte[] got = new byte[16];
        int n = buffer.take(got, 0, got.length);

        assertThat(new String(got, 0, n, java.nio.charset.StandardCharsets.US_ASCII)).isEqualTo("abcxyz");
        assertThat(buffer.lost()).isEqualTo(17);
        assertThat(buffer.received()).isEqualTo(123);
        assertThat(buffer.accept(0, new byte[50])).isEqualTo(50);
        assertThat(buffer.isEmpty()).isTrue();
    }

    private static byte[] pong(int stream, int value) {
        return new Frame(FrameType.PONG, stream, new byte[] {(byte) value}).encode();
    }
}
