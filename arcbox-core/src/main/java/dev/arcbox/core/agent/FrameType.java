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
    static final int RESYNC = 0x30;
    static final int RESYNC_ACK = 0x31;
    static final int NET_CONFIG = 0x32;
    static final int NET_CONFIG_ACK = 0x33;

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
            default -> String.format("0x%02x", type);
        };
    }
}
