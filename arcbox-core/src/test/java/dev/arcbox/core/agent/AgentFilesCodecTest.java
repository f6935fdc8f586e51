package dev.arcbox.core.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.arcbox.core.ArcboxException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The codec of the tty, executions and files additions (docs/agent-protocol.md §3, §4a): golden bytes, hostile frames. */
class AgentFilesCodecTest {

    private static final HexFormat HEX = HexFormat.of();

    @Test
    void execStart_withTtyAndUser_addsTheirTags() {
        ExecRequest r = new ExecRequest(List.of("sh"), Map.of(), null, Duration.ZERO, true, 4096)
                .withTty(50, 132).withUser("nobody");
        TlvPayload t = TlvPayload.parse(MessageCodec.encode(1, new HostMessage.ExecStart(r)).payload());

        assertThat(t.u8(Tag.TTY, 0)).isEqualTo(1);
        assertThat(t.u32(Tag.ROWS, 0)).isEqualTo(50);
        assertThat(t.u32(Tag.COLS, 0)).isEqualTo(132);
        assertThat(t.string(Tag.USER, 100)).isEqualTo("nobody");
    }

    @Test
    void execRequest_refusesBadWindowAndUser_namingThem() {
        assertThatThrownBy(() -> ExecRequest.of("sh").withTty(0, 80)).isInstanceOf(ArcboxException.InvalidArgument.class)
                .hasMessageContaining("window size");
        assertThatThrownBy(() -> ExecRequest.of("sh").withUser("a/b")).isInstanceOf(ArcboxException.InvalidArgument.class)
                .hasMessageContaining("user:");
        assertThatThrownBy(() -> ExecRequest.of("sh").withUser("")).hasMessageContaining("user:");
    }

    @Test
    void resizeAndSignalById_matchGoldenBytes() {
        assertThat(HEX.formatHex(MessageCodec.encode(2, new HostMessage.Resize(40, 100)).encode())).isEqualTo(
                "00000014" + "1b" + "00000002"
                + "0017" + "00000004" + "00000028"
                + "0018" + "00000004" + "00000064");
        assertThat(HEX.formatHex(MessageCodec.encode(3, new HostMessage.SignalExecution(7, 15)).encode())).isEqualTo(
                "00000014" + "18" + "00000003"
                + "0023" + "00000004" + "0000000f"
                + "0020" + "00000004" + "00000007");
        assertThat(HEX.formatHex(MessageCodec.encode(4, new HostMessage.FileEnd(true)).encode())).isEqualTo(
                "00000007" + "42" + "00000004" + "0054" + "00000001" + "01");
    }

    @Test
    void fileWrite_carriesEveryField() {
        FileWriteRequest w = new FileWriteRequest("/a/b", 0600, "1000:1000", true, true, false);
        TlvPayload t = TlvPayload.parse(MessageCodec.encode(5, new HostMessage.FileWrite(w)).payload());

        assertThat(t.string(Tag.PATH, 100)).isEqualTo("/a/b");
        assertThat(t.u32(Tag.MODE, 0)).isEqualTo(0600);
        assertThat(t.string(Tag.OWNER, 100)).isEqualTo("1000:1000");
        assertThat(t.u8(Tag.PARENTS, 0)).isEqualTo(1);
        assertThat(t.u8(Tag.EXCLUSIVE, 0)).isEqualTo(1);
        assertThat(t.u8(Tag.APPEND, 1)).isZero();
    }

    @Test
    void fileWriteRequest_refusesRelativePathsAndBadModes_namingTheField() {
        assertThatThrownBy(() -> new FileWriteRequest("rel", 0644, null, false, false, false))
                .isInstanceOf(ArcboxException.InvalidArgument.class).hasMessageStartingWith("path:");
        assertThatThrownBy(() -> new FileWriteRequest("/x", 010000, null, false, false, false))
                .hasMessageContaining("mode:");
        assertThatThrownBy(() -> new FileWriteRequest("/x", 0644, "a/b", false, false, false))
                .hasMessageContaining("owner:");
    }

    @Test
    void fileInfo_decodes_andNeedsTypeAndName() {
        byte[] info = new TlvPayload.Builder().string(Tag.NAME, "f").u8(Tag.FTYPE, 3).u64(Tag.SIZE, 7)
                .u32(Tag.MODE, 0100777).u32(Tag.UID, -2).u32(Tag.GID, 5).u64(Tag.MTIME, 99).string(Tag.TARGET, "/t")
                .build();
        var m = (AgentMessage.FileInfo) MessageCodec.decode(new Frame(FrameType.FILE_INFO, 9, info));

        assertThat(m.file()).isEqualTo(new GuestFile("", "f", GuestFile.Type.SYMLINK, 7, 0777, 0xFFFF_FFFEL, 5, 99, "/t"));
        byte[] noType = new TlvPayload.Builder().string(Tag.NAME, "f").build();
        assertThatThrownBy(() -> MessageCodec.decode(new Frame(FrameType.FILE_INFO, 9, noType)))
                .isInstanceOf(ArcboxException.ProtocolViolation.class);
        byte[] truncated = java.util.Arrays.copyOf(info, info.length - 1);
        assertThatThrownBy(() -> MessageCodec.decode(new Frame(FrameType.FILE_INFO, 9, truncated)))
                .isInstanceOf(ArcboxException.ProtocolViolation.class);
    }

    @Test
    void fileList_refusesEntriesWithSlashesInTheirNames() {
        byte[] entry = new TlvPayload.Builder().string(Tag.NAME, "../etc").u8(Tag.FTYPE, 1).build();
        byte[] list = new TlvPayload.Builder().bytes(Tag.ENTRY, entry).build();

        assertThatThrownBy(() -> MessageCodec.decode(new Frame(FrameType.FILE_LIST_ACK, 9, list)))
                .isInstanceOf(ArcboxException.ProtocolViolation.class);
    }

    @Test
    void execList_decodesRunningAndFinished_andRefusesAFinishedOneWithoutItsExit() {
        byte[] running = new TlvPayload.Builder().u32(Tag.EXEC_ID, 4).u32(Tag.PID, 77).string(Tag.ARG, "sleep")
                .string(Tag.ARG, "9").u8(Tag.TTY, 1).u8(Tag.RUNNING, 1).u8(Tag.ATTACHED, 0).u64(Tag.STARTED_AT, 1000)
                .build();
        byte[] done = new TlvPayload.Builder().u32(Tag.EXEC_ID, 5).u8(Tag.RUNNING, 0).u32(Tag.SIGNAL, 15)
                .u64(Tag.STDOUT_TOTAL, 3).build();
        byte[] payload = new TlvPayload.Builder().bytes(Tag.EXEC_INFO, running).bytes(Tag.EXEC_INFO, done).build();
        var m = (AgentMessage.ExecList) MessageCodec.decode(new Frame(FrameType.EXEC_LIST_ACK, 2, payload));

        assertThat(m.executions()).hasSize(2);
        assertThat(m.executions().get(0)).isEqualTo(new ExecutionInfo(4, 77, List.of("sleep", "9"), true, true, false, 1000, null));
        assertThat(m.executions().get(1).exit()).isEqualTo(new ExitStatus(null, 15, false, 3, 0));
        byte[] noExit = new TlvPayload.Builder().bytes(Tag.EXEC_INFO,
                new TlvPayload.Builder().u32(Tag.EXEC_ID, 5).u8(Tag.RUNNING, 0).build()).build();
        assertThatThrownBy(() -> MessageCodec.decode(new Frame(FrameType.EXEC_LIST_ACK, 2, noExit)))
                .isInstanceOf(ArcboxException.ProtocolViolation.class);
        byte[] noId = new TlvPayload.Builder().bytes(Tag.EXEC_INFO, new TlvPayload.Builder().u8(Tag.RUNNING, 1).build())
                .build();
        assertThatThrownBy(() -> MessageCodec.decode(new Frame(FrameType.EXEC_LIST_ACK, 2, noId)))
                .isInstanceOf(ArcboxException.ProtocolViolation.class);
    }

    @Test
    void guestErrnos_ofFileCalls_mapToTheirCodes() {
        assertThat(GuestError.toException("x", 17, "m")).isInstanceOf(ArcboxException.AlreadyExists.class);
        assertThat(GuestError.toException("x", 13, "m")).isInstanceOf(ArcboxException.PermissionDenied.class);
        assertThat(GuestError.toException("x", 28, "m")).isInstanceOf(ArcboxException.ResourceExhausted.class);
        assertThat(GuestError.toException("x", 39, "m")).isInstanceOf(ArcboxException.FailedPrecondition.class);
    }
}
