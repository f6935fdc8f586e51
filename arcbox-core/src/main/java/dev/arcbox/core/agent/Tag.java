package dev.arcbox.core.agent;

/** TLV tags of agent protocol version 1 (docs/agent-protocol.md §3, "Tags"). */
final class Tag {
    static final int NONCE = 0x01;
    static final int VERSION = 0x02;
    static final int CAPS = 0x03;
    static final int AGENT = 0x04;
    static final int BOOT_INIT_NS = 0x05;
    static final int BOOT_READY_NS = 0x06;
    static final int UPTIME_NS = 0x07;
    static final int ERRNO = 0x08;
    static final int MESSAGE = 0x09;
    static final int ARG = 0x10;
    static final int ENV = 0x11;
    static final int CWD = 0x12;
    static final int TIMEOUT_MS = 0x13;
    static final int STDIN = 0x14;
    static final int WINDOW = 0x15;
    static final int EXEC_ID = 0x20;
    static final int PID = 0x21;
    static final int EXIT_CODE = 0x22;
    static final int SIGNAL = 0x23;
    static final int TIMED_OUT = 0x24;
    static final int STDOUT_TOTAL = 0x25;
    static final int STDERR_TOTAL = 0x26;
    static final int STDOUT_OFFSET = 0x27;
    static final int STDERR_OFFSET = 0x28;
    static final int REALTIME_NS = 0x30;
    static final int ENTROPY = 0x31;
    static final int IFACE = 0x32;
    static final int MAC = 0x33;
    static final int ADDR = 0x34;
    static final int GATEWAY = 0x35;
    static final int DNS = 0x36;
    static final int HOSTNAME = 0x37;

    private Tag() {}
}
