/* proto.h — arcbox agent protocol v1 (docs/agent-protocol.md): frame decoder with marker
 * hunting, TLV reader/writer, growable byte buffer and bounded output ring.
 *
 * Pure code: no system calls, no global state, so it is unit-tested natively under ASan/UBSan
 * (test_proto.c). Time enters only as an argument (milliseconds of a monotonic clock).
 */
#ifndef ARCBOX_PROTO_H
#define ARCBOX_PROTO_H

#include <stddef.h>
#include <stdint.h>

#define PROTO_VERSION 1u
#define PROTO_HDR_LEN 9u
#define PROTO_MAX_PAYLOAD (1u << 20)   /* 1 MiB */
#define PROTO_MARKER_LEN 8u
#define PROTO_PARTIAL_MS 2000u         /* a partial frame older than this is dropped */

#define PROTO_MARKER_HELLO "ABXHELO1"  /* host -> agent, starts every connection */
#define PROTO_MARKER_SYNC "ABXSYNC1"   /* agent -> host, followed by the 8 nonce bytes */

enum frame_type {
    FT_HELLO = 0x01,
    FT_HELLO_ACK = 0x02,
    FT_PING = 0x03,
    FT_PONG = 0x04,
    FT_SHUTDOWN = 0x05,
    FT_SHUTDOWN_ACK = 0x06,
    FT_ERROR = 0x07,
    FT_EXEC_START = 0x10,
    FT_EXEC_STARTED = 0x11,
    FT_STDIN = 0x12,
    FT_STDIN_EOF = 0x13,
    FT_STDOUT = 0x14,
    FT_STDERR = 0x15,
    FT_EXIT = 0x16,
    FT_CREDIT = 0x17,
    FT_SIGNAL = 0x18,
    FT_ATTACH = 0x19,
    FT_RELEASE = 0x1A,
    FT_RESIZE = 0x1B,
    FT_EXEC_LIST = 0x1C,
    FT_EXEC_LIST_ACK = 0x1D,
    FT_WAIT = 0x1E,
    FT_SIGNAL_ACK = 0x1F,
    FT_DETACH = 0x20,
    FT_RESYNC = 0x30,
    FT_RESYNC_ACK = 0x31,
    FT_NET_CONFIG = 0x32,
    FT_NET_CONFIG_ACK = 0x33,
    FT_FILE_WRITE = 0x40,
    FT_FILE_DATA = 0x41,
    FT_FILE_END = 0x42,
    FT_FILE_READ = 0x43,
    FT_FILE_INFO = 0x44,
    FT_FILE_STAT = 0x45,
    FT_FILE_LIST = 0x46,
    FT_FILE_LIST_ACK = 0x47,
    FT_FILE_MKDIR = 0x48,
    FT_FILE_REMOVE = 0x49,
    FT_FILE_RENAME = 0x4A,
    FT_FILE_ACK = 0x4B,
};

enum tlv_tag {
    TAG_NONCE = 0x01,
    TAG_VERSION = 0x02,
    TAG_CAPS = 0x03,
    TAG_AGENT = 0x04,
    TAG_BOOT_INIT_NS = 0x05,
    TAG_BOOT_READY_NS = 0x06,
    TAG_UPTIME_NS = 0x07,
    TAG_ERRNO = 0x08,
    TAG_MESSAGE = 0x09,
    TAG_ARG = 0x10,
    TAG_ENV = 0x11,
    TAG_CWD = 0x12,
    TAG_TIMEOUT_MS = 0x13,
    TAG_STDIN = 0x14,
    TAG_WINDOW = 0x15,
    TAG_TTY = 0x16,
    TAG_ROWS = 0x17,
    TAG_COLS = 0x18,
    TAG_USER = 0x19,
    TAG_EXEC_ID = 0x20,
    TAG_PID = 0x21,
    TAG_EXIT_CODE = 0x22,
    TAG_SIGNAL = 0x23,
    TAG_TIMED_OUT = 0x24,
    TAG_STDOUT_TOTAL = 0x25,
    TAG_STDERR_TOTAL = 0x26,
    TAG_STDOUT_OFFSET = 0x27,
    TAG_STDERR_OFFSET = 0x28,
    TAG_EXEC_INFO = 0x29,
    TAG_RUNNING = 0x2A,
    TAG_STARTED_AT = 0x2B,
    TAG_ATTACHED = 0x2C,
    TAG_REALTIME_NS = 0x30,
    TAG_ENTROPY = 0x31,
    TAG_IFACE = 0x32,
    TAG_MAC = 0x33,
    TAG_ADDR = 0x34,
    TAG_GATEWAY = 0x35,
    TAG_DNS = 0x36,
    TAG_HOSTNAME = 0x37,
    TAG_PATH = 0x40,
    TAG_MODE = 0x41,
    TAG_OWNER = 0x42,
    TAG_PARENTS = 0x43,
    TAG_EXCLUSIVE = 0x44,
    TAG_APPEND = 0x45,
    TAG_OFFSET = 0x46,
    TAG_LENGTH = 0x47,
    TAG_FTYPE = 0x48,
    TAG_SIZE = 0x49,
    TAG_UID = 0x4A,
    TAG_GID = 0x4B,
    TAG_MTIME = 0x4C,
    TAG_TARGET = 0x4D,
    TAG_NAME = 0x4E,
    TAG_ENTRY = 0x4F,
    TAG_MORE = 0x50,
    TAG_TO = 0x51,
    TAG_OVERWRITE = 0x52,
    TAG_RECURSIVE = 0x53,
    TAG_ABORT = 0x54,
};

/* ---- big-endian helpers ---- */
uint32_t be32_get(const uint8_t *p);
uint64_t be64_get(const uint8_t *p);
void be16_put(uint8_t *p, uint16_t v);
void be32_put(uint8_t *p, uint32_t v);
void be64_put(uint8_t *p, uint64_t v);

/* ---- frame decoder ----
 * Feed bytes with dec_push(); it consumes input up to and including the byte that completes an
 * event and returns how many bytes it consumed, so the caller loops until the input is used up:
 *
 *   while (n > 0) { size_t c = dec_push(d, p, n, now, &ev); p += c; n -= c; handle(ev); }
 *
 * Events: DEC_NONE (all input consumed, nothing complete), DEC_MARKER (the hunted marker was
 * seen, either while hunting or at a frame boundary), DEC_FRAME (d->type, d->stream, d->len,
 * d->payload valid until the next dec_* call), DEC_ERROR (d->error says why; the decoder is
 * hunting again). */
enum dec_state { DEC_HUNT, DEC_BOUNDARY, DEC_HEADER, DEC_PAYLOAD };
enum dec_event { DEC_NONE, DEC_MARKER, DEC_FRAME, DEC_ERROR };
enum dec_error {
    DERR_NONE,
    DERR_OVERSIZE,   /* length > PROTO_MAX_PAYLOAD */
    DERR_BAD_BYTE,   /* a byte at a frame boundary that is neither 0x00 nor the marker */
    DERR_EXPIRED,    /* partial frame older than PROTO_PARTIAL_MS */
    DERR_RESET,      /* dec_hunt() */
};

struct decoder {
    uint8_t marker[PROTO_MARKER_LEN];
    enum dec_state state;
    unsigned mpos;            /* marker bytes matched (DEC_HUNT, or DEC_BOUNDARY) */
    uint8_t hdr[PROTO_HDR_LEN];
    unsigned hpos;
    uint32_t len;
    uint8_t type;
    uint32_t stream;
    uint32_t ppos;
    uint8_t *payload;         /* caller-provided, PROTO_MAX_PAYLOAD bytes (may be NULL: 0 B) */
    uint32_t payload_cap;
    uint64_t start_ms;        /* when the current partial frame started */
    enum dec_error error;
    uint64_t frames, markers, errors, discarded;
};

void dec_init(struct decoder *d, const char marker[PROTO_MARKER_LEN], uint8_t *payload_buf,
              uint32_t payload_cap);
size_t dec_push(struct decoder *d, const uint8_t *p, size_t n, uint64_t now_ms, enum dec_event *ev);
/* Drop any partial frame and hunt for the marker again. */
void dec_hunt(struct decoder *d, enum dec_error why);
/* 1 when a partial frame (or partial boundary marker) is pending. */
int dec_partial(const struct decoder *d);
/* If a partial frame started more than PROTO_PARTIAL_MS before now_ms, drop it, hunt, return 1. */
int dec_expire(struct decoder *d, uint64_t now_ms);
/* Restart the partial-frame clock (after the reader itself stalled). */
void dec_touch(struct decoder *d, uint64_t now_ms);
/* After handling the frames of a chunk read at chunk_ms: a partial frame that began in that chunk
 * starts its clock now_ms (the reader's own processing time is not the sender's delay); one begun
 * in an earlier chunk keeps its clock. */
void dec_chunk_done(struct decoder *d, uint64_t chunk_ms, uint64_t now_ms);
const char *dec_error_str(enum dec_error e);

/* ---- TLV reader ---- */
struct tlv_it {
    const uint8_t *p;
    size_t len, off;
};
struct tlv {
    uint16_t tag;
    uint32_t len;
    const uint8_t *val;
};
void tlv_begin(struct tlv_it *it, const uint8_t *p, size_t len);
/* 1 = *t filled, 0 = end of payload, -1 = malformed (header or value runs past the payload). */
int tlv_next(struct tlv_it *it, struct tlv *t);
/* 0 when the whole payload is a well-formed TLV sequence, -1 otherwise. */
int tlv_validate(const uint8_t *p, size_t len);
/* Integer values: -1 when the value is not exactly the stated width. */
int tlv_u8(const struct tlv *t, uint8_t *out);
int tlv_u32(const struct tlv *t, uint32_t *out);
int tlv_u64(const struct tlv *t, uint64_t *out);
/* Copy a string value into out (NUL-terminated); -1 if it is too long or holds a NUL byte. */
int tlv_str(const struct tlv *t, char *out, size_t outsz);

/* ---- growable byte buffer (the connection's output queue) ---- */
struct buf {
    uint8_t *d;
    size_t head, len, cap;    /* valid bytes are d[head .. head+len) */
    size_t limit;             /* never grows past this many bytes (0 = 64 MiB) */
    int failed;               /* an append did not fit: sticky until buf_reset */
};
void buf_init(struct buf *b, size_t limit);
void buf_free(struct buf *b);
void buf_reset(struct buf *b);               /* drop contents, keep memory */
int buf_put(struct buf *b, const void *p, size_t n);
void buf_consume(struct buf *b, size_t n);   /* drop n bytes from the front */
static inline const uint8_t *buf_data(const struct buf *b) { return b->d + b->head; }

/* Frame writer on a struct buf: frame_begin reserves the header, TLVs/bytes are appended,
 * frame_end patches the length; if anything failed (or the payload exceeds 1 MiB) the partial
 * frame is removed again and -1 is returned. */
size_t frame_begin(struct buf *b, uint8_t type, uint32_t stream);
int frame_end(struct buf *b, size_t mark);
int tlv_put(struct buf *b, uint16_t tag, const void *val, uint32_t len);
int tlv_put_u8(struct buf *b, uint16_t tag, uint8_t v);
int tlv_put_u32(struct buf *b, uint16_t tag, uint32_t v);
int tlv_put_u64(struct buf *b, uint16_t tag, uint64_t v);
int tlv_put_str(struct buf *b, uint16_t tag, const char *s);

/* ---- bounded output ring ----
 * Holds the newest bytes of one output stream: absolute offsets [ring_oldest, total). Grows on
 * demand up to max; once full, a write evicts the oldest bytes (callers only write what their
 * backpressure rule allows). */
struct ring {
    uint8_t *d;
    size_t cap, max, fill, head;  /* head = index where the next byte goes */
    uint64_t total;               /* bytes ever written = offset of the next byte */
};
void ring_init(struct ring *r, size_t max);
void ring_free(struct ring *r);
/* 0 ok, -1 allocation failed (nothing written). n must be <= max. */
int ring_write(struct ring *r, const void *p, size_t n);
uint64_t ring_oldest(const struct ring *r);
/* Copy n bytes starting at absolute offset off (must lie within [oldest, total]). */
size_t ring_copy(const struct ring *r, uint64_t off, void *out, size_t n);

/* ---- request parsing (pure; hostile input) ----
 * Each returns 0 or a Linux errno for the ERROR reply: EPROTO when the TLV sequence is malformed,
 * EINVAL for a value of the wrong width or form, E2BIG when a limit of §5 is exceeded. */
#define PROTO_MAX_ARG_LEN (64u * 1024)
#define PROTO_MAX_ARGS 4096u
#define PROTO_MAX_ENVS 4096u
#define PROTO_MAX_PING 64u
#define PROTO_MAX_OUTPUT_FRAME (32u * 1024)
#define PROTO_DEFAULT_WINDOW 262144u
#define PROTO_STDIN_CREDIT 65536u
#define PROTO_MAX_DNS 8u
#define PROTO_CAPS "exec,attach,credit,resync,netconfig,shutdown,tty,user,list,wait,signal-id,detach,files"
#define PROTO_MAX_PATH 4095u
#define PROTO_MAX_USER 64u
#define PROTO_FILE_WINDOW (1u << 20)   /* write credit the agent grants a FILE_WRITE */

struct hello_req {
    uint8_t nonce[8];
    uint32_t version;        /* 1 when absent */
};
int req_hello(const uint8_t *p, size_t len, struct hello_req *r);

struct exec_req {
    char **argv;             /* NULL-terminated, malloc'd (exec_req_free) */
    char **envp;             /* NULL-terminated; PATH added when ENV has none */
    char *cwd;               /* "/" when absent */
    uint32_t argc, envc;
    uint32_t timeout_ms;     /* 0 = none */
    uint32_t window;
    int want_stdin;
    int has_cwd;             /* CWD was given (else the user's home when USER is given) */
    int tty;                 /* TTY=1: a pseudo-terminal carries stdin/stdout/stderr */
    uint16_t rows, cols;     /* initial window (24x80 when absent) */
    char *user;              /* USER, NULL when absent */
};
int req_exec(const uint8_t *p, size_t len, const char *default_path, struct exec_req *r);
void exec_req_free(struct exec_req *r);

struct attach_req {
    uint32_t exec_id;
    uint64_t stdout_off, stderr_off;
    uint32_t window;
};
int req_attach(const uint8_t *p, size_t len, struct attach_req *r);
int req_exec_id(const uint8_t *p, size_t len, uint32_t *id);   /* RELEASE */
int req_signal(const uint8_t *p, size_t len, uint32_t *sig);   /* 1..64 */
/* SIGNAL that names an execution (EXEC_ID present): *has_id = 1. */
int req_signal_id(const uint8_t *p, size_t len, uint32_t *sig, uint32_t *id, int *has_id);
int req_resize(const uint8_t *p, size_t len, uint16_t *rows, uint16_t *cols); /* 1..65535 each */

/* File requests (FILE_WRITE, FILE_READ, FILE_STAT, FILE_LIST, FILE_MKDIR, FILE_REMOVE,
 * FILE_RENAME): one parser, each handler checks what it needs. Paths must be absolute, at most
 * PROTO_MAX_PATH bytes, without NUL. */
struct file_req {
    char path[PROTO_MAX_PATH + 1];
    char to[PROTO_MAX_PATH + 1];   /* RENAME */
    char owner[PROTO_MAX_USER + 1];
    int has_path, has_to, has_mode, has_owner;
    uint32_t mode;                 /* permission bits, <= 07777 */
    int parents, exclusive, append, overwrite, recursive;
    uint64_t offset, length;       /* FILE_READ; length 0 = to the end */
    uint32_t window;               /* FILE_READ initial output credit */
};
int req_file(const uint8_t *p, size_t len, struct file_req *r);
/* FILE_END from the host: ABORT=1 discards the upload. */
int req_file_end(const uint8_t *p, size_t len, int *abort_upload);
/* Parse "uid" or "uid:gid" (decimal, < 2^32-1); 0 ok, -1 when s is not numeric. */
int parse_uid_gid(const char *s, uint32_t *uid, uint32_t *gid, int *has_gid);
int req_credit(const uint8_t *p, size_t len, uint32_t *credit); /* raw u32 payload */

struct resync_req {
    int has_time;
    uint64_t realtime_ns;
    const uint8_t *entropy;  /* points into the payload */
    uint32_t entropy_len;    /* 0 = absent, else 1..256 */
};
int req_resync(const uint8_t *p, size_t len, struct resync_req *r);

struct netcfg_req {
    char iface[16];          /* "eth0" when absent */
    int has_mac, has_addr, has_gw, has_hostname;
    uint8_t mac[6];
    uint8_t addr[4], prefix, gw[4];
    uint32_t ndns;
    char dns[PROTO_MAX_DNS][64];
    char hostname[65];
};
int req_netcfg(const uint8_t *p, size_t len, struct netcfg_req *r);

/* Strict parsers shared with the boot command line. 0 ok, -1 bad. */
int parse_ipv4(const char *s, uint8_t out[4]);
int parse_ipv4_cidr(const char *s, uint8_t out[4], uint8_t *prefix);
int parse_mac(const char *s, uint8_t out[6]);
int valid_hostname(const char *s);
int valid_nameserver(const char *s);

#endif
