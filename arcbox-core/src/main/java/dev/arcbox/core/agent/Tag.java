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
    static final int TTY = 0x16;
    static final int ROWS = 0x17;
    static final int COLS = 0x18;
    static final int USER = 0x19;
    static final int EXEC_ID = 0x20;
    static final int PID = 0x21;
    static final int EXIT_CODE = 0x22;
    static final int SIGNAL = 0x23;
    static final int TIMED_OUT = 0x24;
    static final int STDOUT_TOTAL = 0x25;
    static final int STDERR_TOTAL = 0x26;
    static final int STDOUT_OFFSET = 0x27;
    static final int STDERR_OFFSET = 0x28;
    static final int EXEC_INFO = 0x29;
    static final int RUNNING = 0x2A;
    static final int STARTED_AT = 0x2B;
    static final int ATTACHED = 0x2C;
    static final int REALTIME_NS = 0x30;
    static final int ENTROPY = 0x31;
    static final int IFACE = 0x32;
    static final int MAC = 0x33;
    static final int ADDR = 0x34;
    static final int GATEWAY = 0x35;
    static final int DNS = 0x36;
    static final int HOSTNAME = 0x37;
    static final int PATH = 0x40;
    static final int MODE = 0x41;
    static final int OWNER = 0x42;
    static final int PARENTS = 0x43;
    static final int EXCLUSIVE = 0x44;
    static final int APPEND = 0x45;
    static final int OFFSET = 0x46;
    static final int LENGTH = 0x47;
    static final int FTYPE = 0x48;
    static final int SIZE = 0x49;
    static final int UID = 0x4A;
    static final int GID = 0x4B;
    static final int MTIME = 0x4C;
    static final int TARGET = 0x4D;
    static final int NAME = 0x4E;
    static final int ENTRY = 0x4F;
    static final int MORE = 0x50;
    static final int TO = 0x51;
    static final int OVERWRITE = 0x52;
    static final int RECURSIVE = 0x53;
    static final int ABORT = 0x54;

    private Tag() {}
}
