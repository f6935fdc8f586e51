package dev.arcbox.core.agent;

/** Frame type codes of agent protocol version 1 (docs/agent-protocol.md §3). */
final class FrameType {
    static final int HELLO = 0x01;
    static final int HELLO_ACK = 0x02;
    static final int PING = 0x03;
    static final int PONG = 0x04;
    static final int SHUTDOWN = 0x05;
    static final int SHUTDOWN_ACK = 0x06;
    static final int ERROR = 0x07;
    static final int EXEC_START = 0x10;
    static final int EXEC_STARTED = 0x11;
    static final int STDIN = 0x12;
    static final int STDIN_EOF = 0x13;
    static final int STDOUT = 0x14;
    static final int STDERR = 0x15;
    static final int EXIT = 0x16;
    static final int CREDIT = 0x17;
    static final int SIGNAL = 0x18;
    static final int ATTACH = 0x19;
    static final int RELEASE = 0x1A;
    static final int RESIZE = 0x1B;
    static final int EXEC_LIST = 0x1C;
    static final int EXEC_LIST_ACK = 0x1D;
    static final int WAIT = 0x1E;
    static final int SIGNAL_ACK = 0x1F;
    static final int DETACH = 0x20;
    static final int RESYNC = 0x30;
    static final int RESYNC_ACK = 0x31;
    static final int NET_CONFIG = 0x32;
    static final int NET_CONFIG_ACK = 0x33;
    static final int FILE_WRITE = 0x40;
    static final int FILE_DATA = 0x41;
    static final int FILE_END = 0x42;
    static final int FILE_READ = 0x43;
    static final int FILE_INFO = 0x44;
    static final int FILE_STAT = 0x45;
    static final int FILE_LIST = 0x46;
    static final int FILE_LIST_ACK = 0x47;
    static final int FILE_MKDIR = 0x48;
    static final int FILE_REMOVE = 0x49;
    static final int FILE_RENAME = 0x4A;
    static final int FILE_ACK = 0x4B;

    private FrameType() {}

    static String name(int type) {
        return switch (type) {
            case HELLO -> "HELLO";
            case HELLO_ACK -> "HELLO_ACK";
            case PING -> "PING";
            case PONG -> "PONG";
            case SHUTDOWN -> "SHUTDOWN";
            case SHUTDOWN_ACK -> "SHUTDOWN_ACK";
            case ERROR -> "ERROR";
            case EXEC_START -> "EXEC_START";
            case EXEC_STARTED -> "EXEC_STARTED";
            case STDIN -> "STDIN";
            case STDIN_EOF -> "STDIN_EOF";
            case STDOUT -> "STDOUT";
            case STDERR -> "STDERR";
            case EXIT -> "EXIT";
            case CREDIT -> "CREDIT";
            case SIGNAL -> "SIGNAL";
            case ATTACH -> "ATTACH";
            case RELEASE -> "RELEASE";
            case RESYNC -> "RESYNC";
            case RESYNC_ACK -> "RESYNC_ACK";
            case NET_CONFIG -> "NET_CONFIG";
            case NET_CONFIG_ACK -> "NET_CONFIG_ACK";
            case RESIZE -> "RESIZE";
            case EXEC_LIST -> "EXEC_LIST";
            case EXEC_LIST_ACK -> "EXEC_LIST_ACK";
            case WAIT -> "WAIT";
            case SIGNAL_ACK -> "SIGNAL_ACK";
            case DETACH -> "DETACH";
            case FILE_WRITE -> "FILE_WRITE";
            case FILE_DATA -> "FILE_DATA";
            case FILE_END -> "FILE_END";
            case FILE_READ -> "FILE_READ";
            case FILE_INFO -> "FILE_INFO";
            case FILE_STAT -> "FILE_STAT";
            case FILE_LIST -> "FILE_LIST";
            case FILE_LIST_ACK -> "FILE_LIST_ACK";
            case FILE_MKDIR -> "FILE_MKDIR";
            case FILE_REMOVE -> "FILE_REMOVE";
            case FILE_RENAME -> "FILE_RENAME";
            case FILE_ACK -> "FILE_ACK";
            default -> String.format("0x%02x", type);
        };
    }
}
