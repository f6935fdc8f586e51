package dev.arcbox.core.agent;

import dev.arcbox.core.ArcboxException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Maps agent frames to {@link AgentMessage}s and {@link HostMessage}s to frames (agent protocol version 1,
 * docs/agent-protocol.md §3). Pure. Decoding checks shape (required tags, widths); a frame that fails is
 * rejected with {@link ArcboxException.ProtocolViolation} and the caller decides what it costs.
 */
final class MessageCodec {

    static final int VERSION = 1;
    /** Longest MESSAGE, AGENT or CAPS text the host reads from the guest. */
    static final int MAX_TEXT_BYTES = 1024;
    private static final int OFFSET_BYTES = 8;

    private MessageCodec() {}

    /** @throws ArcboxException.ProtocolViolation when the frame is malformed */
    static AgentMessage decode(Frame frame) {
        int s = frame.stream();
        byte[] p = frame.payload();
        return switch (frame.type()) {
            case FrameType.HELLO_ACK -> helloAck(s, TlvPayload.parse(p));
            case FrameType.PONG -> new AgentMessage.Pong(s, p);
            case FrameType.SHUTDOWN_ACK -> new AgentMessage.ShutdownAck(s);
            case FrameType.ERROR -> {
                TlvPayload t = TlvPayload.parse(p);
                yield new AgentMessage.Error(s, t.u32(Tag.ERRNO, 0), t.string(Tag.MESSAGE, MAX_TEXT_BYTES));
            }
            case FrameType.EXEC_STARTED -> {
                TlvPayload t = TlvPayload.parse(p);
                long pid = t.has(Tag.PID) ? Integer.toUnsignedLong(t.u32(Tag.PID, 0)) : -1;
                yield new AgentMessage.ExecStarted(s, required(t, Tag.EXEC_ID, frame), pid);
            }
            case FrameType.STDOUT, FrameType.STDERR -> output(frame);
            case FrameType.EXIT -> exit(s, TlvPayload.parse(p), frame);
            case FrameType.CREDIT -> {
                if (p.length < 4) {
                    throw malformed(frame, "credit needs 4 bytes");
                }
                yield new AgentMessage.Credit(s, Integer.toUnsignedLong(TlvPayload.readInt(p, 0)));
            }
            case FrameType.RESYNC_ACK -> new AgentMessage.ResyncAck(s, TlvPayload.parse(p).u32(Tag.ERRNO, 0));
            case FrameType.NET_CONFIG_ACK -> new AgentMessage.NetConfigAck(s, TlvPayload.parse(p).u32(Tag.ERRNO, 0));
            case FrameType.EXEC_LIST_ACK -> execList(s, TlvPayload.parse(p), frame);
            case FrameType.SIGNAL_ACK -> new AgentMessage.SignalAck(s);
            case FrameType.FILE_INFO -> new AgentMessage.FileInfo(s, fileInfo(TlvPayload.parse(p), "", frame));
            case FrameType.FILE_LIST_ACK -> fileList(s, TlvPayload.parse(p), frame);
            case FrameType.FILE_DATA -> new AgentMessage.FileData(s, p);
            case FrameType.FILE_END -> new AgentMessage.FileEnd(s, TlvPayload.parse(p).u64(Tag.SIZE, -1));
            case FrameType.FILE_ACK -> new AgentMessage.FileAck(s);
            default -> new AgentMessage.Unknown(s, frame.type());
        };
    }

    static Frame encode(int stream, HostMessage message) {
        return switch (message) {
            case HostMessage.Hello h -> new Frame(FrameType.HELLO, stream, new TlvPayload.Builder()
                    .u64(Tag.NONCE, h.nonce()).u32(Tag.VERSION, h.version()).build());
            case HostMessage.Ping p -> new Frame(FrameType.PING, stream, p.payload());
            case HostMessage.Shutdown _ -> new Frame(FrameType.SHUTDOWN, stream, new byte[0]);
            case HostMessage.ExecStart e -> new Frame(FrameType.EXEC_START, stream, execStart(e.request()));
            case HostMessage.Stdin d -> new Frame(FrameType.STDIN, stream, d.data());
            case HostMessage.StdinEof _ -> new Frame(FrameType.STDIN_EOF, stream, new byte[0]);
            case HostMessage.Credit c -> new Frame(FrameType.CREDIT, stream, TlvPayload.intBytes((int) c.bytes()));
            case HostMessage.Signal g -> new Frame(FrameType.SIGNAL, stream, new TlvPayload.Builder()
                    .u32(Tag.SIGNAL, g.signo()).build());
            case HostMessage.Attach a -> new Frame(FrameType.ATTACH, stream, new TlvPayload.Builder()
                    .u32(Tag.EXEC_ID, a.execId()).u64(Tag.STDOUT_OFFSET, a.stdoutOffset())
                    .u64(Tag.STDERR_OFFSET, a.stderrOffset()).u32(Tag.WINDOW, a.window()).build());
            case HostMessage.Release r -> new Frame(FrameType.RELEASE, stream, new TlvPayload.Builder()
                    .u32(Tag.EXEC_ID, r.execId()).build());
            case HostMessage.Resync r -> new Frame(FrameType.RESYNC, stream, new TlvPayload.Builder()
                    .u64(Tag.REALTIME_NS, r.realtimeNanos()).bytes(Tag.ENTROPY, r.entropy()).build());
            case HostMessage.ConfigureNet n -> new Frame(FrameType.NET_CONFIG, stream, netConfig(n.config()));
            case HostMessage.Resize r -> new Frame(FrameType.RESIZE, stream, new TlvPayload.Builder()
                    .u32(Tag.ROWS, r.rows()).u32(Tag.COLS, r.cols()).build());
            case HostMessage.ListExecutions _ -> new Frame(FrameType.EXEC_LIST, stream, new byte[0]);
            case HostMessage.Detach _ -> new Frame(FrameType.DETACH, stream, new byte[0]);
            case HostMessage.Wait w -> new Frame(FrameType.WAIT, stream, new TlvPayload.Builder()
                    .u32(Tag.EXEC_ID, w.execId()).build());
            case HostMessage.SignalExecution g -> new Frame(FrameType.SIGNAL, stream, new TlvPayload.Builder()
                    .u32(Tag.SIGNAL, g.signo()).u32(Tag.EXEC_ID, g.execId()).build());
            case HostMessage.FileWrite w -> new Frame(FrameType.FILE_WRITE, stream, fileWrite(w.request()));
            case HostMessage.FileData d -> new Frame(FrameType.FILE_DATA, stream, d.data());
            case HostMessage.FileEnd e -> new Frame(FrameType.FILE_END, stream,
                    e.abort() ? new TlvPayload.Builder().u8(Tag.ABORT, 1).build() : new byte[0]);
            case HostMessage.FileRead r -> new Frame(FrameType.FILE_READ, stream, new TlvPayload.Builder()
                    .string(Tag.PATH, r.path()).u64(Tag.OFFSET, r.offset()).u64(Tag.LENGTH, r.length())
                    .u32(Tag.WINDOW, r.window()).build());
            case HostMessage.FileStat f -> new Frame(FrameType.FILE_STAT, stream, new TlvPayload.Builder()
                    .string(Tag.PATH, f.path()).build());
            case HostMessage.FileList f -> new Frame(FrameType.FILE_LIST, stream, new TlvPayload.Builder()
                    .string(Tag.PATH, f.path()).build());
            case HostMessage.FileMkdir m -> new Frame(FrameType.FILE_MKDIR, stream, mkdir(m));
            case HostMessage.FileRemove r -> new Frame(FrameType.FILE_REMOVE, stream, new TlvPayload.Builder()
                    .string(Tag.PATH, r.path()).u8(Tag.RECURSIVE, r.recursive() ? 1 : 0).build());
            case HostMessage.FileRename r -> new Frame(FrameType.FILE_RENAME, stream, new TlvPayload.Builder()
                    .string(Tag.PATH, r.from()).string(Tag.TO, r.to()).u8(Tag.OVERWRITE, r.overwrite() ? 1 : 0)
                    .build());
        };
    }

    private static byte[] execStart(ExecRequest r) {
        TlvPayload.Builder b = new TlvPayload.Builder();
        r.argv().forEach(a -> b.string(Tag.ARG, a));
        r.env().forEach((k, v) -> b.string(Tag.ENV, k + "=" + v));
        if (r.cwd() != null) {
            b.string(Tag.CWD, r.cwd());
        }
        if (r.timeoutMillis() > 0) {
            b.u32(Tag.TIMEOUT_MS, (int) r.timeoutMillis());
        }
        if (r.stdin()) {
            b.u8(Tag.STDIN, 1);
        }
        if (r.tty()) {
            b.u8(Tag.TTY, 1).u32(Tag.ROWS, r.rows()).u32(Tag.COLS, r.cols());
        }
        if (r.user() != null) {
            b.string(Tag.USER, r.user());
        }
        return b.u32(Tag.WINDOW, r.window()).build();
    }

    private static byte[] fileWrite(FileWriteRequest r) {
        TlvPayload.Builder b = new TlvPayload.Builder().string(Tag.PATH, r.path()).u32(Tag.MODE, r.mode())
                .u8(Tag.PARENTS, r.makeParents() ? 1 : 0).u8(Tag.EXCLUSIVE, r.exclusive() ? 1 : 0)
                .u8(Tag.APPEND, r.append() ? 1 : 0);
        if (r.owner() != null) {
            b.string(Tag.OWNER, r.owner());
        }
        return b.build();
    }

    private static byte[] mkdir(HostMessage.FileMkdir m) {
        TlvPayload.Builder b = new TlvPayload.Builder().string(Tag.PATH, m.path()).u32(Tag.MODE, m.mode())
                .u8(Tag.PARENTS, m.parents() ? 1 : 0);
        if (m.owner() != null) {
            b.string(Tag.OWNER, m.owner());
        }
        return b.build();
    }

    private static AgentMessage.ExecList execList(int s, TlvPayload t, Frame frame) {
        List<ExecutionInfo> list = new ArrayList<>();
        for (byte[] entry : t.all(Tag.EXEC_INFO)) {
            TlvPayload e = TlvPayload.parse(entry);
            if (!e.has(Tag.EXEC_ID)) {
                throw malformed(frame, "EXEC_INFO without EXEC_ID");
            }
            boolean running = e.u8(Tag.RUNNING, 0) != 0;
            ExitStatus exit = null;
            if (!running) {
                Integer code = e.has(Tag.EXIT_CODE) ? e.u32(Tag.EXIT_CODE, 0) : null;
                Integer signal = e.has(Tag.SIGNAL) ? e.u32(Tag.SIGNAL, 0) : null;
                if ((code == null) == (signal == null)) {
                    throw malformed(frame, "finished EXEC_INFO needs exactly one of EXIT_CODE and SIGNAL");
                }
                exit = new ExitStatus(code, signal, e.u8(Tag.TIMED_OUT, 0) != 0, e.u64(Tag.STDOUT_TOTAL, 0),
                        e.u64(Tag.STDERR_TOTAL, 0));
            }
            List<String> argv = e.strings(Tag.ARG).stream().map(GuestError::sanitize).toList();
            list.add(new ExecutionInfo(e.u32(Tag.EXEC_ID, 0), Integer.toUnsignedLong(e.u32(Tag.PID, 0)), argv,
                    e.u8(Tag.TTY, 0) != 0, running, e.u8(Tag.ATTACHED, 0) != 0, e.u64(Tag.STARTED_AT, 0), exit));
        }
        return new AgentMessage.ExecList(s, list);
    }

    private static AgentMessage.FileList fileList(int s, TlvPayload t, Frame frame) {
        List<GuestFile> entries = new ArrayList<>();
        for (byte[] entry : t.all(Tag.ENTRY)) {
            entries.add(fileInfo(TlvPayload.parse(entry), null, frame));
        }
        return new AgentMessage.FileList(s, entries, t.u8(Tag.MORE, 0) != 0);
    }

    /** A FILE_INFO TLV set; the path is {@code path}, or the name when null (list entries). */
    private static GuestFile fileInfo(TlvPayload t, String path, Frame frame) {
        if (!t.has(Tag.FTYPE) || !t.has(Tag.NAME)) {
            throw malformed(frame, "file info needs FTYPE and NAME");
        }
        String name = t.string(Tag.NAME, GuestPaths.MAX_PATH_BYTES);
        if (name.isEmpty() || name.indexOf('\0') >= 0 || (path == null && name.indexOf('/') >= 0)) {
            throw malformed(frame, "bad file name");
        }
        GuestFile.Type type = GuestFile.Type.of(t.u8(Tag.FTYPE, 4));
        String target = type == GuestFile.Type.SYMLINK ? t.string(Tag.TARGET, GuestPaths.MAX_PATH_BYTES) : null;
        return new GuestFile(path == null ? name : path, name, type, t.u64(Tag.SIZE, 0), t.u32(Tag.MODE, 0) & 07777,
                Integer.toUnsignedLong(t.u32(Tag.UID, 0)), Integer.toUnsignedLong(t.u32(Tag.GID, 0)),
                t.u64(Tag.MTIME, 0), target);
    }

    private static byte[] netConfig(NetConfig c) {
        TlvPayload.Builder b = new TlvPayload.Builder();
        optional(b, Tag.IFACE, c.iface());
        optional(b, Tag.MAC, c.mac());
        optional(b, Tag.ADDR, c.address());
        optional(b, Tag.GATEWAY, c.gateway());
        c.dns().forEach(d -> b.string(Tag.DNS, d));
        optional(b, Tag.HOSTNAME, c.hostname());
        return b.build();
    }

    private static void optional(TlvPayload.Builder b, int tag, String value) {
        if (value != null) {
            b.string(tag, value);
        }
    }

    private static AgentMessage.HelloAck helloAck(int s, TlvPayload t) {
        byte[] nonce = t.bytes(Tag.NONCE);
        if (nonce == null || nonce.length != 8 || !t.has(Tag.VERSION)) {
            throw new ArcboxException.ProtocolViolation("HELLO_ACK: needs an 8-byte NONCE and a VERSION");
        }
        return new AgentMessage.HelloAck(s, t.u64(Tag.NONCE, 0), t.u32(Tag.VERSION, 0),
                t.string(Tag.CAPS, MAX_TEXT_BYTES), t.string(Tag.AGENT, MAX_TEXT_BYTES), t.u64(Tag.BOOT_INIT_NS, 0),
                t.u64(Tag.BOOT_READY_NS, 0), t.u64(Tag.UPTIME_NS, 0), t.u32s(Tag.EXEC_ID));
    }

    private static AgentMessage.Output output(Frame frame) {
        byte[] p = frame.payload();
        if (p.length < OFFSET_BYTES) {
            throw malformed(frame, "needs an 8-byte offset");
        }
        long offset = (long) TlvPayload.readInt(p, 0) << 32 | Integer.toUnsignedLong(TlvPayload.readInt(p, 4));
        if (offset < 0 || offset > Long.MAX_VALUE - Frame.MAX_PAYLOAD) {
            throw malformed(frame, "offset out of range");
        }
        return new AgentMessage.Output(frame.stream(), frame.type() == FrameType.STDERR, offset,
                Arrays.copyOfRange(p, OFFSET_BYTES, p.length));
    }

    private static AgentMessage.Exit exit(int s, TlvPayload t, Frame frame) {
        Integer code = t.has(Tag.EXIT_CODE) ? t.u32(Tag.EXIT_CODE, 0) : null;
        Integer signal = t.has(Tag.SIGNAL) ? t.u32(Tag.SIGNAL, 0) : null;
        if ((code == null) == (signal == null)) {
            throw malformed(frame, "needs exactly one of EXIT_CODE and SIGNAL");
        }
        long out = t.u64(Tag.STDOUT_TOTAL, -1);
        long err = t.u64(Tag.STDERR_TOTAL, -1);
        if (out < -1 || err < -1) {
            throw malformed(frame, "totals out of range");
        }
        return new AgentMessage.Exit(s, code, signal, t.u8(Tag.TIMED_OUT, 0) != 0, out, err);
    }

    private static int required(TlvPayload t, int tag, Frame frame) {
        if (!t.has(tag)) {
            throw malformed(frame, String.format("missing tag 0x%02x", tag));
        }
        return t.u32(tag, 0);
    }

    private static ArcboxException.ProtocolViolation malformed(Frame frame, String reason) {
        return new ArcboxException.ProtocolViolation(FrameType.name(frame.type()) + " on stream "
                + Integer.toUnsignedString(frame.stream()) + ": " + reason);
    }
}
