/* agent.c — arcbox guest agent: PID 1 entry point, transport (virtio-serial port or AF_VSOCK),
 * sessions and the single-threaded poll/signalfd event loop. Protocol: docs/agent-protocol.md. */
#include "agent.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef AF_VSOCK
#define AF_VSOCK 40
#endif
struct sockaddr_vm_abx { /* <linux/vm_sockets.h> is not in musl's include path */
    sa_family_t svm_family;
    unsigned short svm_reserved1;
    unsigned int svm_port;
    unsigned int svm_cid;
    unsigned char svm_flags;
    unsigned char svm_zero[3];
};
#define VMADDR_CID_ANY_ABX 0xFFFFFFFFu

/* from <linux/random.h> */
#define ABX_RNDADDENTROPY 0x40085203 /* _IOW('R', 0x03, int[2]) */
#define ABX_RNDRESEEDCRNG 0x5207     /* _IO('R', 0x07) */

#define OUTQ_LIMIT (8u << 20)        /* hard bound of the connection output queue */
#define OUTQ_PAUSE_IN (1u << 20)     /* stop reading input above this */
#define OUTQ_LOW (64u * 1024)        /* produce output frames below this */
#define READ_CHUNK (64u * 1024)
#define PORT_RECHECK_MS 1000u

uint64_t g_boot_init_ns, g_boot_ready_ns;

/* ---- utilities ---- */
uint64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

uint64_t boottime_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_BOOTTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void logmsg(const char *fmt, ...)
{
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line - 1, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n > sizeof line - 2)
        n = sizeof line - 2;
    line[n++] = '\n';
    ssize_t w = write(2, "arcbox-agent: ", 14);
    w = write(2, line, (size_t)n);
    (void)w;
}

void console_marker(const char *tag)
{
    uint64_t ns = boottime_ns();
    char line[96];
    int n = snprintf(line, sizeof line, "%s %llu.%06llu\n", tag, (unsigned long long)(ns / 1000000000u),
                     (unsigned long long)(ns % 1000000000u / 1000u));
    ssize_t w = write(1, line, (size_t)n);
    (void)w;
}

int write_file(const char *path, const char *data, int mode)
{
    char tmp[256];
    snprintf(tmp, sizeof tmp, "%s.abx-tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0)
        return errno;
    size_t len = strlen(data), off = 0;
    while (off < len) {
        ssize_t w = write(fd, data + off, len - off);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            int e = errno;
            close(fd);
            unlink(tmp);
            return e;
        }
        off += (size_t)w;
    }
    close(fd);
    if (rename(tmp, path) < 0) {
        int e = errno;
        unlink(tmp);
        return e;
    }
    return 0;
}

/* ---- transport and session state ---- */
enum transport_kind { TP_NONE, TP_PORT, TP_VSOCK };

static struct {
    enum transport_kind kind;
    int fd;              /* port fd, or the current vsock connection (-1 = none) */
    int listen_fd;       /* vsock */
    int up;              /* host connected */
    int paused;          /* input paused because the output queue is full */
    uint64_t last_check_ms;
    char dev[300];
} tp = {TP_NONE, -1, -1, 0, 0, 0, ""};

static struct {
    int active;
    uint8_t nonce[8];
} sess;

static struct decoder g_dec;
static uint8_t g_payload[PROTO_MAX_PAYLOAD];
static struct buf g_outq;
static int g_sigfd = -1;
static int g_shutdown;              /* SHUTDOWN acknowledged: power off after flushing the ACK */
static int g_hostile;               /* test mode: "@hostile:<act>" executions misbehave (§8) */
static int g_silent;                /* test mode: input is read and dropped, nothing is answered */

struct buf *conn_out(void)
{
    return sess.active ? &g_outq : NULL;
}

void conn_error(uint32_t stream, int err, const char *msg)
{
    struct exec *e = exec_by_stream(stream);
    if (e)
        exec_detach(e); /* ERROR ends the stream; the execution itself carries on */
    if (!sess.active || stream == 0)
        return;
    size_t m = frame_begin(&g_outq, FT_ERROR, stream);
    tlv_put_u32(&g_outq, TAG_ERRNO, (uint32_t)err);
    tlv_put_str(&g_outq, TAG_MESSAGE, msg);
    frame_end(&g_outq, m);
}

static void session_end(const char *why)
{
    if (sess.active)
        logmsg("session ended: %s", why);
    sess.active = 0;
    buf_reset(&g_outq);
    for (struct exec *e = g_execs; e; e = e->next)
        exec_detach(e);
    exec_drop_waiters();
    files_session_end();
}

static void conn_down(const char *why)
{
    if (!tp.up)
        return;
    tp.up = 0;
    tp.paused = 0;
    session_end(why);
    dec_hunt(&g_dec, DERR_RESET);
    if (tp.kind == TP_PORT) {
        /* Discard what the old connection left in the port so the next one starts clean. */
        uint8_t junk[4096];
        for (int i = 0; i < 4096; i++) {
            ssize_t n = read(tp.fd, junk, sizeof junk);
            if (n <= 0)
                break;
        }
    } else if (tp.fd >= 0) {
        close(tp.fd);
        tp.fd = -1;
    }
    logmsg("host disconnected (%s)", why);
}

static void conn_up(void)
{
    tp.up = 1;
    tp.paused = 0;
    dec_hunt(&g_dec, DERR_RESET);
    buf_reset(&g_outq);
    logmsg("host connected");
}

/* Port only: POLLHUP means no host on the other end. */
static void port_check(void)
{
    tp.last_check_ms = mono_ms();
    struct pollfd p = {tp.fd, POLLIN, 0};
    if (poll(&p, 1, 0) < 0)
        return;
    int hup = (p.revents & (POLLHUP | POLLERR | POLLNVAL)) != 0;
    if (hup && tp.up)
        conn_down("port hang-up");
    else if (!hup && !tp.up)
        conn_up();
}

/* ---- transport discovery ---- */
static int read_small(const char *path, char *out, size_t outsz)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, out, outsz - 1);
    close(fd);
    if (n < 0)
        return -1;
    out[n] = 0;
    while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == ' '))
        out[--n] = 0;
    return 0;
}

static int find_port(const char *name, char *dev, size_t devsz)
{
    DIR *d = opendir("/sys/class/virtio-ports");
    if (!d)
        return -1;
    struct dirent *e;
    int found = -1;
    while ((e = readdir(d))) {
        char p[300], n[128];
        if (e->d_name[0] == '.')
            continue;
        snprintf(p, sizeof p, "/sys/class/virtio-ports/%s/name", e->d_name);
        if (read_small(p, n, sizeof n) == 0 && strcmp(n, name) == 0) {
            snprintf(dev, devsz, "/dev/%s", e->d_name);
            found = 0;
            break;
        }
    }
    closedir(d);
    return found;
}

/* Is there a virtio device of this id (3 = console, 19 = vsock)? */
static int virtio_device_present(unsigned id)
{
    DIR *d = opendir("/sys/bus/virtio/devices");
    if (!d)
        return 0;
    struct dirent *e;
    int found = 0;
    while (!found && (e = readdir(d))) {
        char p[300], v[32];
        if (e->d_name[0] == '.')
            continue;
        snprintf(p, sizeof p, "/sys/bus/virtio/devices/%s/device", e->d_name);
        if (read_small(p, v, sizeof v) == 0 && strtoul(v, NULL, 0) == id)
            found = 1;
    }
    closedir(d);
    return found;
}

static int open_port(const char *dev)
{
    int fd = open(dev, O_RDWR | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return -1;
    /* SIGIO on host connect/disconnect (virtio_console signals VIRTIO_CONSOLE_PORT_OPEN) */
    if (fcntl(fd, F_SETOWN, getpid()) < 0 || fcntl(fd, F_SETFL, O_RDWR | O_NONBLOCK | O_ASYNC) < 0)
        logmsg("O_ASYNC on %s: %s (falling back to the 1 s re-check)", dev, strerror(errno));
    return fd;
}

static int open_vsock(void)
{
    int fd = socket(AF_VSOCK, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_vm_abx a;
    memset(&a, 0, sizeof a);
    a.svm_family = AF_VSOCK;
    a.svm_port = VSOCK_PORT;
    a.svm_cid = VMADDR_CID_ANY_ABX;
    if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(fd, 4) < 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

static void sleep_ms(unsigned ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

static void transport_open(const char *port_name)
{
    uint64_t start = mono_ms();
    int warned = 0;
    for (;;) {
        if (find_port(port_name, tp.dev, sizeof tp.dev) == 0) {
            tp.fd = open_port(tp.dev);
            if (tp.fd >= 0) {
                tp.kind = TP_PORT;
                logmsg("transport: virtio-serial port %s (%s)", port_name, tp.dev);
                port_check();
                return;
            }
        }
        uint64_t waited = mono_ms() - start;
        /* vsock only when there is no virtio console device at all (or it never shows the port) */
        if (virtio_device_present(19) && (!virtio_device_present(3) || waited > 3000)) {
            tp.listen_fd = open_vsock();
            if (tp.listen_fd >= 0) {
                tp.kind = TP_VSOCK;
                logmsg("transport: vsock port %u", VSOCK_PORT);
                return;
            }
        }
        if (waited > 3000 && !warned) {
            logmsg("no virtio-serial port named '%s' and no vsock yet; still waiting", port_name);
            warned = 1;
        }
        exec_reap_all();
        sleep_ms(waited < 3000 ? 10 : 1000);
    }
}

static void log_limited(const char *what);

/* ---- request handlers ---- */
static void send_hello_ack(void)
{
    size_t m = frame_begin(&g_outq, FT_HELLO_ACK, 0);
    tlv_put(&g_outq, TAG_NONCE, sess.nonce, 8);
    tlv_put_u32(&g_outq, TAG_VERSION, PROTO_VERSION);
    tlv_put_str(&g_outq, TAG_CAPS, PROTO_CAPS);
    tlv_put_str(&g_outq, TAG_AGENT, AGENT_NAME);
    tlv_put_u64(&g_outq, TAG_BOOT_INIT_NS, g_boot_init_ns);
    tlv_put_u64(&g_outq, TAG_BOOT_READY_NS, g_boot_ready_ns);
    tlv_put_u64(&g_outq, TAG_UPTIME_NS, boottime_ns());
    for (struct exec *e = g_execs; e; e = e->next)
        tlv_put_u32(&g_outq, TAG_EXEC_ID, e->id);
    frame_end(&g_outq, m);
}

static void on_hello(const uint8_t *p, uint32_t len)
{
    struct hello_req h;
    int rc = req_hello(p, len, &h);
    if (rc) {
        log_limited("malformed HELLO ignored");
        return;
    }
    if (sess.active && memcmp(sess.nonce, h.nonce, 8) == 0)
        return; /* the host repeating its HELLO */
    session_end("new session");
    sess.active = 1;
    memcpy(sess.nonce, h.nonce, 8);
    buf_put(&g_outq, PROTO_MARKER_SYNC, PROTO_MARKER_LEN);
    buf_put(&g_outq, h.nonce, 8);
    send_hello_ack();
    unsigned n = 0;
    for (struct exec *e = g_execs; e; e = e->next)
        n++;
    logmsg("session started (host version %u, %u executions held)", h.version, n);
}

static void reply_errno_ack(uint8_t type, uint32_t stream, int err)
{
    size_t m = frame_begin(&g_outq, type, stream);
    if (err)
        tlv_put_u32(&g_outq, TAG_ERRNO, (uint32_t)err);
    frame_end(&g_outq, m);
}

/* The hostile test mode (docs/agent-protocol.md §8): what a compromised guest could send. Only
 * with arcbox.test_hostile=1 on the kernel command line, which arcboxd never sets by itself. */
static void hostile_act(uint32_t stream, const char *act)
{
    logmsg("test mode: hostile %s", act);
    if (!strcmp(act, "garbage")) {
        static uint8_t junk[65536];
        uint32_t x = 2463534242u ^ stream;
        for (size_t i = 0; i < sizeof junk; i++) {
            x ^= x << 13; x ^= x >> 17; x ^= x << 5;
            junk[i] = (uint8_t)(x | 1); /* never 0x00: never a frame boundary */
        }
        buf_put(&g_outq, junk, sizeof junk);
    } else if (!strcmp(act, "oversize")) {
        /* 16 MiB announced: a valid first byte (0x00), a length past the 1 MiB limit */
        const uint8_t h[9] = {0x00, 0xFF, 0xFF, 0xF0, FT_STDOUT, (uint8_t)(stream >> 24), (uint8_t)(stream >> 16),
                              (uint8_t)(stream >> 8), (uint8_t)stream};
        buf_put(&g_outq, h, sizeof h);
    } else if (!strcmp(act, "midframe")) {
        const uint8_t h[5] = {0x00, 0x00, 0x10, 0x00, FT_STDOUT}; /* 4 KiB announced, never sent */
        buf_put(&g_outq, h, sizeof h);
    } else if (!strcmp(act, "silent")) {
        g_silent = 1;
    } else {
        conn_error(stream, EINVAL, "unknown hostile act");
    }
}

static void on_exec_start(uint32_t stream, const uint8_t *p, uint32_t len)
{
    if (exec_by_stream(stream) || files_owns(stream)) {
        conn_error(stream, EEXIST, "stream already in use");
        return;
    }
    if (exec_running_count() >= MAX_RUNNING) {
        conn_error(stream, EAGAIN, "too many running executions");
        return;
    }
    struct exec_req r;
    int rc = req_exec(p, len, DEFAULT_PATH, &r);
    if (rc) {
        conn_error(stream, rc, rc == EPROTO ? "malformed EXEC_START" : "invalid EXEC_START");
        return;
    }
    if (g_hostile && !strncmp(r.argv[0], "@hostile:", 9)) {
        hostile_act(stream, r.argv[0] + 9);
        exec_req_free(&r);
        return;
    }
    int err = 0;
    struct exec *e = exec_start(&r, stream, &err);
    if (!e) {
        char msg[128];
        snprintf(msg, sizeof msg, "cannot start %.64s: %s", r.argv[0], strerror(err));
        conn_error(stream, err, msg);
    } else {
        size_t m = frame_begin(&g_outq, FT_EXEC_STARTED, stream);
        tlv_put_u32(&g_outq, TAG_EXEC_ID, e->id);
        tlv_put_u32(&g_outq, TAG_PID, (uint32_t)e->pid);
        frame_end(&g_outq, m);
    }
    exec_req_free(&r);
}

static void on_attach(uint32_t stream, const uint8_t *p, uint32_t len)
{
    struct attach_req a;
    int rc = req_attach(p, len, &a);
    if (rc) {
        conn_error(stream, rc, "invalid ATTACH");
        return;
    }
    struct exec *e = exec_by_id(a.exec_id);
    if (!e) {
        conn_error(stream, ENOENT, "no such execution");
        return;
    }
    struct exec *other = exec_by_stream(stream);
    if (other && other != e) {
        conn_error(stream, EEXIST, "stream already in use");
        return;
    }
    if (e->stream && e->stream != stream)
        conn_error(e->stream, ECANCELED, "execution attached to another stream");
    exec_attach(e, stream, a.stdout_off, a.stderr_off, a.window);
}

static void on_stdin(struct exec *e, const uint8_t *p, uint32_t len)
{
    if (e->finished || e->stdin_eof || !e->has_stdin)
        return; /* no stdin was asked for, or after STDIN_EOF: ignored */
    if (len > e->stdin_avail) {
        conn_error(e->stream, EPROTO, "stdin beyond granted credit");
        return;
    }
    e->stdin_avail -= len;
    if (e->stdin_fd < 0) { /* no stdin pipe, or the process closed it: discard, but credit */
        e->stdin_done += len;
        return;
    }
    if (buf_put(&e->stdin_q, p, len) < 0) {
        buf_reset(&e->stdin_q);
        conn_error(e->stream, ENOMEM, "stdin queue");
    }
}

static void on_resync(uint32_t stream, const uint8_t *p, uint32_t len)
{
    struct resync_req r;
    int rc = req_resync(p, len, &r), err = 0;
    if (rc) {
        conn_error(stream, rc, "invalid RESYNC");
        return;
    }
    if (r.has_time) {
        struct timespec ts = {(time_t)(r.realtime_ns / 1000000000u), (long)(r.realtime_ns % 1000000000u)};
        if (clock_settime(CLOCK_REALTIME, &ts) < 0)
            err = errno;
    }
    if (r.entropy_len) {
        struct {
            int entropy_count;
            int buf_size;
            unsigned char buf[256];
        } info;
        info.entropy_count = (int)r.entropy_len * 8;
        info.buf_size = (int)r.entropy_len;
        memcpy(info.buf, r.entropy, r.entropy_len);
        int fd = open("/dev/urandom", O_RDWR | O_CLOEXEC);
        if (fd < 0 || ioctl(fd, ABX_RNDADDENTROPY, &info) != 0 || ioctl(fd, ABX_RNDRESEEDCRNG) != 0) {
            if (!err)
                err = errno;
        }
        if (fd >= 0)
            close(fd);
        memset(&info, 0, sizeof info);
    }
    reply_errno_ack(FT_RESYNC_ACK, stream, err);
}

static void on_net_config(uint32_t stream, const uint8_t *p, uint32_t len)
{
    struct netcfg_req r;
    int rc = req_netcfg(p, len, &r);
    if (rc) {
        conn_error(stream, rc, "invalid NET_CONFIG");
        return;
    }
    reply_errno_ack(FT_NET_CONFIG_ACK, stream, net_configure(&r));
}

static void deliver_signal(struct exec *e, int sig)
{
    if (kill(-e->pid, sig) < 0 && errno == ESRCH && !e->reaped)
        kill(e->pid, sig);
}

/* SIGNAL on an execution's stream (no reply), or naming one by EXEC_ID on its own stream
 * (SIGNAL_ACK, or ERROR ENOENT for an unknown id, ESRCH for a finished one). */
static void on_signal(uint32_t stream, const uint8_t *p, uint32_t len)
{
    uint32_t sig = 0, id = 0;
    int has_id = 0;
    int rc = req_signal_id(p, len, &sig, &id, &has_id);
    struct exec *e;
    if (!has_id) {
        if (rc == 0 && (e = exec_by_stream(stream)) && !e->finished)
            deliver_signal(e, (int)sig);
        return;
    }
    if (rc) {
        conn_error(stream, rc, "invalid SIGNAL");
        return;
    }
    if (!(e = exec_by_id(id))) {
        conn_error(stream, ENOENT, "no such execution");
        return;
    }
    if (e->finished || e->reaped) {
        conn_error(stream, ESRCH, "execution has finished");
        return;
    }
    deliver_signal(e, (int)sig);
    size_t m = frame_begin(&g_outq, FT_SIGNAL_ACK, stream);
    frame_end(&g_outq, m);
}

/* RESIZE on a tty execution's stream; ERROR only when malformed (ENOTTY is ignored). */
static void on_resize(uint32_t stream, const uint8_t *p, uint32_t len)
{
    uint16_t rows = 0, cols = 0;
    struct exec *e = exec_by_stream(stream);
    int rc = req_resize(p, len, &rows, &cols);
    if (rc) {
        if (e)
            conn_error(stream, rc, "invalid RESIZE");
        return;
    }
    if (e && !e->finished)
        exec_resize(e, rows, cols);
}

/* WAIT: EXIT on this stream once the execution finished (at once when it has). */
static void on_wait(uint32_t stream, const uint8_t *p, uint32_t len)
{
    uint32_t id;
    int rc = req_exec_id(p, len, &id);
    if (rc) {
        conn_error(stream, rc, "invalid WAIT");
        return;
    }
    struct exec *e = exec_by_id(id);
    if (!e) {
        conn_error(stream, ENOENT, "no such execution");
        return;
    }
    if (e->finished) {
        exec_put_exit(&g_outq, e, stream);
        return;
    }
    if (e->nwaiters >= MAX_WAITERS) { /* the oldest waiter (likely given up) makes room */
        conn_error(e->waiters[0], ECANCELED, "replaced by a newer WAIT");
        memmove(e->waiters, e->waiters + 1, (MAX_WAITERS - 1) * sizeof e->waiters[0]);
        e->nwaiters--;
    }
    e->waiters[e->nwaiters++] = stream;
}

static void on_frame(uint8_t type, uint32_t stream, const uint8_t *p, uint32_t len)
{
    if (type == FT_HELLO) {
        if (stream == 0)
            on_hello(p, len);
        return;
    }
    if (!sess.active || stream == 0 || g_shutdown)
        return; /* nothing but HELLO before a session; stream 0 carries only HELLO */
    struct exec *e;
    uint32_t v;
    switch (type) {
    case FT_PING:
        if (len > PROTO_MAX_PING) {
            conn_error(stream, EMSGSIZE, "PING payload over 64 bytes");
            return;
        }
        {
            size_t m = frame_begin(&g_outq, FT_PONG, stream);
            buf_put(&g_outq, p, len);
            frame_end(&g_outq, m);
        }
        return;
    case FT_SHUTDOWN: {
        size_t m = frame_begin(&g_outq, FT_SHUTDOWN_ACK, stream);
        frame_end(&g_outq, m);
        g_shutdown = 1;
        return;
    }
    case FT_EXEC_START:
        on_exec_start(stream, p, len);
        return;
    case FT_ATTACH:
        on_attach(stream, p, len);
        return;
    case FT_STDIN:
        if ((e = exec_by_stream(stream)))
            on_stdin(e, p, len);
        return;
    case FT_STDIN_EOF:
        if ((e = exec_by_stream(stream)) && !e->finished && e->has_stdin)
            exec_stdin_eof(e); /* closed once the queue is written */
        return;
    case FT_CREDIT:
        if ((e = exec_by_stream(stream)) && req_credit(p, len, &v) == 0) {
            e->credit += v;
            if (e->credit > ((uint64_t)1 << 40))
                e->credit = (uint64_t)1 << 40;
        } else if (!e && req_credit(p, len, &v) == 0) {
            files_credit(stream, v);
        }
        return;
    case FT_SIGNAL:
        on_signal(stream, p, len);
        return;
    case FT_RESIZE:
        on_resize(stream, p, len);
        return;
    case FT_DETACH:
        if ((e = exec_by_stream(stream)))
            exec_detach(e); /* keeps running and buffering; no reply */
        return;
    case FT_EXEC_LIST:
        exec_put_list(&g_outq, stream);
        return;
    case FT_WAIT:
        on_wait(stream, p, len);
        return;
    case FT_FILE_WRITE:
    case FT_FILE_DATA:
    case FT_FILE_END:
    case FT_FILE_READ:
    case FT_FILE_STAT:
    case FT_FILE_LIST:
    case FT_FILE_MKDIR:
    case FT_FILE_REMOVE:
    case FT_FILE_RENAME:
        files_frame(type, stream, p, len);
        return;
    case FT_RELEASE:
        if (req_exec_id(p, len, &v) == 0 && (e = exec_by_id(v)) && e->finished)
            exec_release(e);
        return;
    case FT_RESYNC:
        on_resync(stream, p, len);
        return;
    case FT_NET_CONFIG:
        on_net_config(stream, p, len);
        return;
    default:
        conn_error(stream, ENOSYS, "unknown frame type");
        return;
    }
}

/* ---- I/O on the connection ---- */

/* A hostile host must not be able to flood the (slow, serial) console: one line per second. */
static void log_limited(const char *what)
{
    static uint64_t last_ms;
    static unsigned suppressed;
    uint64_t now = mono_ms();
    if (last_ms && now - last_ms < 1000) {
        suppressed++;
        return;
    }
    if (suppressed)
        logmsg("%s (%u similar messages suppressed)", what, suppressed);
    else
        logmsg("%s", what);
    last_ms = now;
    suppressed = 0;
}

static void conn_read(void)
{
    static uint8_t in[READ_CHUNK];
    for (int round = 0; round < 4 && tp.up && g_outq.len < OUTQ_PAUSE_IN; round++) {
        ssize_t n = read(tp.fd, in, sizeof in);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno != EAGAIN)
                conn_down(strerror(errno));
            return;
        }
        if (n == 0) { /* port: no host; vsock: EOF */
            if (tp.kind == TP_PORT)
                port_check();
            else
                conn_down("eof");
            return;
        }
        if (g_silent)
            continue; /* test mode: never answers */
        const uint8_t *q = in;
        size_t left = (size_t)n;
        uint64_t now = mono_ms();
        while (left > 0 && tp.up) {
            enum dec_event ev;
            size_t c = dec_push(&g_dec, q, left, now, &ev);
            q += c;
            left -= c;
            if (ev == DEC_FRAME)
                on_frame(g_dec.type, g_dec.stream, g_dec.payload, g_dec.len);
            else if (ev == DEC_ERROR) {
                char what[96];
                snprintf(what, sizeof what, "protocol error: %s; hunting", dec_error_str(g_dec.error));
                log_limited(what);
                session_end("protocol error");
            }
        }
        /* A frame left incomplete by this chunk starts its 2 s clock once the chunk's requests
         * are handled (starting processes can take a while): our own work is not the host's
         * delay. A frame begun in an earlier chunk keeps its clock. */
        dec_chunk_done(&g_dec, now, mono_ms());
        if ((size_t)n < sizeof in)
            return;
    }
}

static void conn_flush(void)
{
    while (tp.up && g_outq.len > 0) {
        size_t n = g_outq.len < 32768 ? g_outq.len : 32768;
        ssize_t w = write(tp.fd, buf_data(&g_outq), n);
        if (w > 0) {
            buf_consume(&g_outq, (size_t)w);
            continue;
        }
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && errno == EAGAIN)
            return;
        if (tp.kind == TP_PORT)
            port_check();
        else
            conn_down(w < 0 ? strerror(errno) : "write returned 0");
        return;
    }
}

/* Turn buffered execution output into frames while the queue is short, round-robin. */
static void pump_output(void)
{
    static uint8_t chunk[8 + PROTO_MAX_OUTPUT_FRAME];
    if (!sess.active)
        return;
    int progress = 1, exits_sent = 0;
    while (progress && g_outq.len < OUTQ_LOW) {
        progress = 0;
        for (struct exec *e = g_execs; e && g_outq.len < OUTQ_LOW; e = e->next) {
            if (!e->stream)
                continue;
            if (e->stdin_done) {
                uint32_t c = e->stdin_done > 0xFFFFFFFFu ? 0xFFFFFFFFu : (uint32_t)e->stdin_done;
                uint8_t x[4];
                be32_put(x, c);
                size_t m = frame_begin(&g_outq, FT_CREDIT, e->stream);
                buf_put(&g_outq, x, 4);
                if (frame_end(&g_outq, m) == 0) {
                    e->stdin_done -= c;
                    e->stdin_avail += c;
                }
            }
            for (int k = 0; k < 2; k++) {
                struct outstream *o = &e->out[k];
                if (!e->credit || o->sent >= o->ring.total)
                    continue;
                uint64_t n = o->ring.total - o->sent;
                if (n > PROTO_MAX_OUTPUT_FRAME)
                    n = PROTO_MAX_OUTPUT_FRAME;
                if (n > e->credit)
                    n = e->credit;
                be64_put(chunk, o->sent);
                size_t got = ring_copy(&o->ring, o->sent, chunk + 8, (size_t)n);
                if (got == 0)
                    continue;
                size_t m = frame_begin(&g_outq, k == 0 ? FT_STDOUT : FT_STDERR, e->stream);
                buf_put(&g_outq, chunk, 8 + got);
                if (frame_end(&g_outq, m) == 0) {
                    o->sent += got;
                    e->credit -= got;
                    progress = 1;
                }
            }
            if (e->finished && !e->exit_sent && e->out[0].sent == e->out[0].ring.total &&
                e->out[1].sent == e->out[1].ring.total) {
                size_t before = g_outq.len;
                exec_put_exit(&g_outq, e, e->stream);
                if (g_outq.len > before) {
                    e->exit_sent = 1;
                    e->stream = 0; /* EXIT is the last frame of the stream */
                    exits_sent = 1;
                }
            }
        }
    }
    files_pump(&g_outq, OUTQ_LOW);
    if (exits_sent)
        exec_enforce_limit(); /* may free executions: after the loop */
}

/* SHUTDOWN: the ACK goes out first (bounded wait), then everything is terminated. */
static void do_shutdown(void)
{
    uint64_t until = mono_ms() + 1000;
    while (tp.up && g_outq.len > 0 && mono_ms() < until) {
        conn_flush();
        if (g_outq.len == 0)
            break;
        struct pollfd p = {tp.fd, POLLOUT, 0};
        poll(&p, 1, 50);
    }
    logmsg("shutdown requested");
    init_poweroff();
}

/* ---- the event loop ---- */
static void handle_signals(int *sigio)
{
    struct signalfd_siginfo si[16];
    for (;;) {
        ssize_t n = read(g_sigfd, si, sizeof si);
        if (n <= 0)
            break;
        for (size_t i = 0; i < (size_t)n / sizeof si[0]; i++) {
            if (si[i].ssi_signo == SIGIO)
                *sigio = 1;
        }
    }
    exec_reap_all();
}

enum pref_kind { PR_SIG, PR_CONN, PR_LISTEN, PR_OUT0, PR_OUT1, PR_STDIN };
struct pref {
    enum pref_kind kind;
    struct exec *e;
};

static void handle_ready(const struct pollfd *pf, const struct pref *rf, int *sigio);

static void event_loop(void)
{
    static struct pollfd pfd[4 + 3 * (MAX_RUNNING + MAX_FINISHED + 8)];
    static struct pref ref[sizeof pfd / sizeof pfd[0]];
    const size_t max_fds = sizeof pfd / sizeof pfd[0];
    for (;;) {
        uint64_t now = mono_ms();
        uint64_t next = UINT64_MAX;

        exec_timers(now, &next);
        int want_in = g_outq.len < OUTQ_PAUSE_IN;
        if (tp.up && tp.paused && want_in)
            dec_touch(&g_dec, now); /* our own stall does not count against the host */
        tp.paused = tp.up && !want_in;
        if (tp.up && !tp.paused && dec_expire(&g_dec, now)) {
            logmsg("partial frame expired; hunting");
            session_end("partial frame expired");
        }
        if (tp.up && dec_partial(&g_dec) && !tp.paused) {
            uint64_t d = g_dec.start_ms + PROTO_PARTIAL_MS;
            if (d < next)
                next = d;
        }
        for (;;) { /* until the port pushes back (POLLOUT wakes us) or nothing is left */
            pump_output();
            size_t queued = g_outq.len;
            conn_flush();
            if (queued == 0 || g_outq.len > 0 || !tp.up)
                break;
        }
        if (g_shutdown)
            do_shutdown();
        if (tp.kind == TP_PORT && !tp.up) {
            uint64_t d = tp.last_check_ms + PORT_RECHECK_MS;
            if (d < next)
                next = d;
        }

        size_t n = 0;
        pfd[n] = (struct pollfd){g_sigfd, POLLIN, 0};
        ref[n++] = (struct pref){PR_SIG, NULL};
        want_in = g_outq.len < OUTQ_PAUSE_IN;
        if (tp.up) { /* a disconnected port is never polled: it reports POLLHUP forever */
            short ev = (short)((want_in ? POLLIN : 0) | (g_outq.len ? POLLOUT : 0));
            pfd[n] = (struct pollfd){tp.fd, ev, 0};
            ref[n++] = (struct pref){PR_CONN, NULL};
        }
        if (tp.kind == TP_VSOCK) {
            pfd[n] = (struct pollfd){tp.listen_fd, POLLIN, 0};
            ref[n++] = (struct pref){PR_LISTEN, NULL};
        }
        for (struct exec *e = g_execs; e && n + 3 <= max_fds; e = e->next) {
            for (int k = 0; k < 2; k++)
                if (e->out[k].fd >= 0 && exec_out_room(e, k) > 0) {
                    pfd[n] = (struct pollfd){e->out[k].fd, POLLIN, 0};
                    ref[n++] = (struct pref){k ? PR_OUT1 : PR_OUT0, e};
                }
            if (e->stdin_fd >= 0 && e->stdin_q.len > 0) {
                pfd[n] = (struct pollfd){e->stdin_fd, POLLOUT, 0};
                ref[n++] = (struct pref){PR_STDIN, e};
            }
        }

        int timeout = -1;
        if (next != UINT64_MAX) {
            now = mono_ms();
            timeout = next <= now ? 0 : (next - now > 60000 ? 60000 : (int)(next - now));
        }
        int r = poll(pfd, n, timeout);
        if (r < 0) {
            if (errno != EINTR)
                logmsg("poll: %s", strerror(errno));
            continue;
        }

        int sigio = 0;
        /* Connection input last: a request may release an execution referenced in ref[]. */
        for (size_t i = 0; i < n && r > 0; i++) {
            if (!pfd[i].revents || ref[i].kind == PR_CONN)
                continue;
            handle_ready(&pfd[i], &ref[i], &sigio);
        }
        for (size_t i = 0; i < n && r > 0; i++)
            if (pfd[i].revents && ref[i].kind == PR_CONN)
                handle_ready(&pfd[i], &ref[i], &sigio);
        if (tp.kind == TP_PORT && (sigio || (!tp.up && mono_ms() >= tp.last_check_ms + PORT_RECHECK_MS)))
            port_check();
    }
}

static void handle_ready(const struct pollfd *pf, const struct pref *rf, int *sigio)
{
    struct exec *e = rf->e;
    switch (rf->kind) {
    case PR_SIG:
        handle_signals(sigio);
        break;
    case PR_CONN:
        if (pf->revents & POLLIN)
            conn_read();
        if (tp.up && (pf->revents & POLLOUT))
            conn_flush();
        if (tp.up && (pf->revents & (POLLHUP | POLLERR | POLLNVAL))) {
            if (tp.kind == TP_PORT)
                port_check();
            else
                conn_down("hang-up");
        }
        break;
    case PR_LISTEN: {
        int c = accept4(tp.listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (c >= 0) {
            if (tp.up)
                conn_down("replaced by a new connection");
            tp.fd = c;
            conn_up();
        }
        break;
    }
    case PR_OUT0:
    case PR_OUT1:
        exec_read_output(e, rf->kind == PR_OUT1);
        break;
    case PR_STDIN:
        exec_write_stdin(e);
        break;
    }
}

static void setup_signals(void)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    sigaddset(&set, SIGIO);
    sigprocmask(SIG_BLOCK, &set, NULL);
    g_sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_IGN;
    int ignored[] = {SIGTERM, SIGINT, SIGHUP, SIGPIPE, SIGTSTP, SIGTTIN, SIGTTOU, SIGUSR1, SIGUSR2};
    for (size_t i = 0; i < sizeof ignored / sizeof ignored[0]; i++)
        sigaction(ignored[i], &sa, NULL);
}

int main(int argc, char **argv)
{
    g_boot_init_ns = boottime_ns();
    g_is_pid1 = getpid() == 1;
    if (!g_is_pid1) {
        /* Never serve the port next to the real agent: only PID 1 is the agent. */
        int version = argc > 1 && !strcmp(argv[1], "--version");
        dprintf(version ? 1 : 2, version ? "%s protocol %u\n" : "%s: runs only as PID 1 (the guest's /init)\n",
                version ? AGENT_NAME : argv[0], PROTO_VERSION);
        return version ? 0 : 2;
    }
    setup_signals();
    if (g_sigfd < 0) {
        logmsg("signalfd: %s", strerror(errno));
        if (!g_is_pid1)
            return 1;
    }
    struct bootcfg cfg;
    if (g_is_pid1) {
        init_early();
        init_load_modules();
    }
    init_parse_cmdline(&cfg);
    g_hostile = cfg.test_hostile;
    if (g_hostile)
        logmsg("test mode: hostile acts enabled (arcbox.test_hostile=1)");
    if (g_is_pid1) {
        init_switch_root();
        net_boot_config(&cfg);
    }
    dec_init(&g_dec, PROTO_MARKER_HELLO, g_payload, sizeof g_payload);
    buf_init(&g_outq, OUTQ_LIMIT);
    transport_open(cfg.port);
    g_boot_ready_ns = boottime_ns();
    console_marker("ARCBOX_READY");
    event_loop();
    return 0;
}
