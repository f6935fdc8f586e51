/* exec.c — executions: fork/exec, bounded output rings with backpressure, stdin with credit,
 * reaping, timeouts, attach/detach, retention of finished executions. */
#include "agent.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct exec *g_execs;
static uint32_t g_next_id = 1;
static uint64_t g_finish_seq;

struct exec *exec_by_id(uint32_t id)
{
    for (struct exec *e = g_execs; e; e = e->next)
        if (e->id == id)
            return e;
    return NULL;
}

struct exec *exec_by_stream(uint32_t stream)
{
    if (stream == 0)
        return NULL;
    for (struct exec *e = g_execs; e; e = e->next)
        if (e->stream == stream)
            return e;
    return NULL;
}

unsigned exec_running_count(void)
{
    unsigned n = 0;
    for (struct exec *e = g_execs; e; e = e->next)
        n += !e->finished;
    return n;
}

static void close_fd(int *fd)
{
    if (*fd >= 0) {
        close(*fd);
        *fd = -1;
    }
}

/* ---- starting ---- */

/* execvpe() with the PATH of the new environment (musl's uses the agent's own environ). */
static void exec_search(char *const argv[], char *const envp[])
{
    const char *file = argv[0];
    if (strchr(file, '/')) {
        execve(file, argv, envp);
        return;
    }
    const char *path = NULL;
    for (char *const *e = envp; *e; e++)
        if (strncmp(*e, "PATH=", 5) == 0)
            path = *e + 5;
    if (!path)
        path = DEFAULT_PATH;
    size_t flen = strlen(file);
    if (flen == 0 || flen > NAME_MAX) {
        errno = flen ? ENAMETOOLONG : ENOENT;
        return;
    }
    int saw_eacces = 0;
    char buf[PATH_MAX];
    for (const char *p = path;; p++) {
        const char *colon = strchr(p, ':');
        size_t dlen = colon ? (size_t)(colon - p) : strlen(p);
        if (dlen + 1 + flen < sizeof buf) {
            memcpy(buf, p, dlen);
            size_t at = dlen;
            if (dlen == 0)
                buf[at++] = '.';
            buf[at++] = '/';
            memcpy(buf + at, file, flen + 1);
            execve(buf, argv, envp);
            if (errno == EACCES)
                saw_eacces = 1;
            else if (errno != ENOENT && errno != ENOTDIR && errno != ENAMETOOLONG && errno != ELOOP)
                return; /* a real error on an existing file: report it */
        }
        if (!colon)
            break;
        p = colon;
    }
    errno = saw_eacces ? EACCES : ENOENT;
}

static int env_has(char *const envp[], const char *key)
{
    size_t n = strlen(key);
    for (char *const *e = envp; *e; e++)
        if (strncmp(*e, key, n) == 0 && (*e)[n] == '=')
            return 1;
    return 0;
}

/* The request's environment plus HOME/USER/LOGNAME (with USER) and TERM (with a tty) when absent.
 * Runs in the child (the agent is single-threaded, so malloc after fork is safe). */
static char **child_env(const struct exec_req *r, const struct guest_user *u)
{
    char **env = calloc((size_t)r->envc + 5, sizeof *env);
    if (!env)
        return r->envp;
    size_t n = 0;
    for (uint32_t i = 0; i < r->envc; i++)
        env[n++] = r->envp[i];
    char *add[4] = {NULL, NULL, NULL, NULL};
    if (u) {
        if (!env_has(r->envp, "HOME") && asprintf(&add[0], "HOME=%s", u->home) < 0)
            add[0] = NULL;
        if (u->named && !env_has(r->envp, "USER") && asprintf(&add[1], "USER=%s", u->name) < 0)
            add[1] = NULL;
        if (u->named && !env_has(r->envp, "LOGNAME") && asprintf(&add[2], "LOGNAME=%s", u->name) < 0)
            add[2] = NULL;
    }
    if (r->tty && !env_has(r->envp, "TERM"))
        add[3] = strdup("TERM=xterm");
    for (int i = 0; i < 4; i++)
        if (add[i])
            env[n++] = add[i];
    return env;
}

static void child(const struct exec_req *r, const struct guest_user *u, int in_rd, int out_wr, int err_wr,
                  int tty_slave, int status_wr)
{
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    int reset[] = {SIGTERM, SIGINT, SIGHUP, SIGPIPE, SIGTSTP, SIGTTIN, SIGTTOU, SIGUSR1, SIGUSR2,
                   SIGCHLD, SIGIO};
    for (size_t i = 0; i < sizeof reset / sizeof reset[0]; i++)
        signal(reset[i], SIG_DFL);
    setsid();
    if (tty_slave >= 0) {
        if (ioctl(tty_slave, TIOCSCTTY, 0) < 0 || dup2(tty_slave, 0) < 0 || dup2(tty_slave, 1) < 0 ||
            dup2(tty_slave, 2) < 0)
            goto fail;
    } else {
        if (in_rd < 0)
            in_rd = open("/dev/null", O_RDONLY);
        if (in_rd < 0 || dup2(in_rd, 0) < 0 || dup2(out_wr, 1) < 0 || dup2(err_wr, 2) < 0)
            goto fail;
    }
    if (u && user_switch(u) < 0)
        goto fail;
    if (!r->has_cwd && u) {
        if (chdir(u->home) < 0 && chdir("/") < 0) /* the user's home, or / when it is missing */
            goto fail;
    } else if (chdir(r->cwd) < 0) {
        goto fail;
    }
    exec_search(r->argv, child_env(r, u));
fail:;
    int e = errno;
    ssize_t w = write(status_wr, &e, sizeof e);
    (void)w;
    _exit(127);
}

static char **copy_argv(const struct exec_req *r)
{
    char **a = calloc((size_t)r->argc + 1, sizeof *a);
    if (!a)
        return NULL;
    for (uint32_t i = 0; i < r->argc; i++)
        if (!(a[i] = strdup(r->argv[i]))) {
            for (uint32_t j = 0; j < i; j++)
                free(a[j]);
            free(a);
            return NULL;
        }
    return a;
}

static void free_argv(char **a)
{
    if (!a)
        return;
    for (char **p = a; *p; p++)
        free(*p);
    free(a);
}

struct exec *exec_start(const struct exec_req *r, uint32_t stream, int *err)
{
    int in[2] = {-1, -1}, out[2] = {-1, -1}, errp[2] = {-1, -1}, st[2] = {-1, -1};
    int master = -1, slave = -1, tty_in = -1, tty_ctl = -1;
    struct guest_user user, *u = NULL;
    if (r->user) {
        if ((*err = user_resolve(r->user, &user)) != 0)
            return NULL;
        u = &user;
    }
    struct exec *e = calloc(1, sizeof *e);
    if (!e || !(e->argv = copy_argv(r))) {
        free(e);
        *err = ENOMEM;
        return NULL;
    }
    if (r->tty) {
        struct winsize ws = {.ws_row = r->rows, .ws_col = r->cols};
        if (openpty(&master, &slave, NULL, NULL, &ws) < 0) {
            *err = errno;
            goto fail;
        }
        fcntl(master, F_SETFD, FD_CLOEXEC);
        fcntl(slave, F_SETFD, FD_CLOEXEC);
        if ((tty_ctl = fcntl(master, F_DUPFD_CLOEXEC, 3)) < 0 ||
            (r->want_stdin && (tty_in = fcntl(master, F_DUPFD_CLOEXEC, 3)) < 0)) {
            *err = errno;
            goto fail;
        }
        /* the slave is dup2'ed over 0-2 in the child (dup2 clears CLOEXEC) */
        out[0] = master;
        master = -1;
        in[1] = tty_in;
        tty_in = -1;
        if (pipe2(st, O_CLOEXEC) < 0) {
            *err = errno;
            goto fail;
        }
    } else if ((r->want_stdin && pipe2(in, O_CLOEXEC) < 0) || pipe2(out, O_CLOEXEC) < 0 ||
               pipe2(errp, O_CLOEXEC) < 0 || pipe2(st, O_CLOEXEC) < 0) {
        *err = errno;
        goto fail;
    }
    pid_t pid = fork();
    if (pid < 0) {
        *err = errno;
        goto fail;
    }
    if (pid == 0)
        child(r, u, in[0], out[1], errp[1], slave, st[1]);
    close_fd(&in[0]);
    close_fd(&out[1]);
    close_fd(&errp[1]);
    close_fd(&st[1]);
    close_fd(&slave);
    /* The status pipe is CLOEXEC: EOF = execve succeeded; 4 bytes = the errno of the failure. */
    int child_errno = 0;
    ssize_t n;
    do
        n = read(st[0], &child_errno, sizeof child_errno);
    while (n < 0 && errno == EINTR);
    close_fd(&st[0]);
    if (n == (ssize_t)sizeof child_errno) {
        *err = child_errno ? child_errno : EIO;
        goto fail; /* the child exits 127 and is reaped as an unknown pid */
    }
    fcntl(out[0], F_SETFL, O_NONBLOCK);
    if (errp[0] >= 0)
        fcntl(errp[0], F_SETFL, O_NONBLOCK);
    if (in[1] >= 0)
        fcntl(in[1], F_SETFL, O_NONBLOCK);
    e->id = g_next_id++;
    e->pid = pid;
    e->stream = stream;
    e->out[0].fd = out[0];
    e->out[1].fd = errp[0];
    e->tty = r->tty;
    e->tty_fd = tty_ctl;
    e->started_at = (uint64_t)time(NULL);
    ring_init(&e->out[0].ring, OUT_RING_MAX);
    ring_init(&e->out[1].ring, OUT_RING_MAX);
    e->credit = r->window;
    e->has_stdin = r->want_stdin;
    e->stdin_fd = in[1];
    buf_init(&e->stdin_q, PROTO_STDIN_CREDIT * 2);
    e->stdin_avail = r->want_stdin ? PROTO_STDIN_CREDIT : 0;
    e->deadline_ms = r->timeout_ms ? mono_ms() + r->timeout_ms : 0;
    e->next = g_execs;
    if (g_execs)
        g_execs->prev = e;
    g_execs = e;
    return e;
fail:
    close_fd(&in[0]);
    close_fd(&in[1]);
    close_fd(&out[0]);
    close_fd(&out[1]);
    close_fd(&errp[0]);
    close_fd(&errp[1]);
    close_fd(&st[0]);
    close_fd(&st[1]);
    close_fd(&master);
    close_fd(&slave);
    close_fd(&tty_in);
    close_fd(&tty_ctl);
    free_argv(e->argv);
    free(e);
    return NULL;
}

int exec_resize(struct exec *e, uint16_t rows, uint16_t cols)
{
    if (!e->tty || e->tty_fd < 0)
        return ENOTTY;
    struct winsize ws = {.ws_row = rows, .ws_col = cols};
    return ioctl(e->tty_fd, TIOCSWINSZ, &ws) < 0 ? errno : 0;
}

void exec_put_exit(struct buf *q, const struct exec *e, uint32_t stream)
{
    size_t m = frame_begin(q, FT_EXIT, stream);
    if (WIFSIGNALED(e->status))
        tlv_put_u32(q, TAG_SIGNAL, (uint32_t)WTERMSIG(e->status));
    else
        tlv_put_u32(q, TAG_EXIT_CODE, (uint32_t)WEXITSTATUS(e->status));
    tlv_put_u8(q, TAG_TIMED_OUT, (uint8_t)e->timed_out);
    tlv_put_u64(q, TAG_STDOUT_TOTAL, e->out[0].ring.total);
    tlv_put_u64(q, TAG_STDERR_TOTAL, e->out[1].ring.total);
    frame_end(q, m);
}

/* One EXEC_INFO per execution, its value a TLV sequence (argv cut so the frame stays < 1 MiB). */
void exec_put_list(struct buf *q, uint32_t stream)
{
    static struct buf info;
    size_t m = frame_begin(q, FT_EXEC_LIST_ACK, stream);
    for (struct exec *e = g_execs; e; e = e->next) {
        buf_init(&info, 64 * 1024);
        tlv_put_u32(&info, TAG_EXEC_ID, e->id);
        tlv_put_u32(&info, TAG_PID, (uint32_t)e->pid);
        for (char **a = e->argv; a && *a && info.len < 2048; a++)
            tlv_put(&info, TAG_ARG, *a, strlen(*a) > 1024 ? 1024 : (uint32_t)strlen(*a));
        tlv_put_u8(&info, TAG_TTY, (uint8_t)e->tty);
        tlv_put_u8(&info, TAG_RUNNING, (uint8_t)!e->finished);
        tlv_put_u8(&info, TAG_ATTACHED, (uint8_t)(e->stream != 0));
        tlv_put_u64(&info, TAG_STARTED_AT, e->started_at);
        if (e->finished) {
            if (WIFSIGNALED(e->status))
                tlv_put_u32(&info, TAG_SIGNAL, (uint32_t)WTERMSIG(e->status));
            else
                tlv_put_u32(&info, TAG_EXIT_CODE, (uint32_t)WEXITSTATUS(e->status));
            tlv_put_u8(&info, TAG_TIMED_OUT, (uint8_t)e->timed_out);
        }
        tlv_put_u64(&info, TAG_STDOUT_TOTAL, e->out[0].ring.total);
        tlv_put_u64(&info, TAG_STDERR_TOTAL, e->out[1].ring.total);
        if (!info.failed)
            tlv_put(q, TAG_EXEC_INFO, buf_data(&info), (uint32_t)info.len);
        buf_free(&info);
    }
    frame_end(q, m);
}

void exec_drop_waiters(void)
{
    for (struct exec *e = g_execs; e; e = e->next)
        e->nwaiters = 0;
}

/* ---- lifecycle ---- */
void exec_release(struct exec *e)
{
    if (e->prev)
        e->prev->next = e->next;
    else
        g_execs = e->next;
    if (e->next)
        e->next->prev = e->prev;
    for (int k = 0; k < 2; k++) {
        close_fd(&e->out[k].fd);
        ring_free(&e->out[k].ring);
    }
    close_fd(&e->stdin_fd);
    close_fd(&e->tty_fd);
    buf_free(&e->stdin_q);
    free_argv(e->argv);
    free(e);
}

void exec_reap_all(void)
{
    for (;;) {
        int st;
        pid_t p = waitpid(-1, &st, WNOHANG);
        if (p <= 0)
            break;
        for (struct exec *e = g_execs; e; e = e->next)
            if (e->pid == p && !e->reaped) {
                e->reaped = 1;
                e->status = st;
                e->reaped_ms = mono_ms();
                break;
            }
    }
}

void exec_detach(struct exec *e)
{
    e->stream = 0;
    e->credit = 0;
    e->exit_sent = 0;
    e->stdin_avail = 0;
    e->stdin_done = 0;
    /* Nothing sent on the old connection is known to have arrived: count every buffered byte
     * as unsent again, so the pipe is read only into free space and a re-attach at the host's
     * offsets is lossless. */
    for (int k = 0; k < 2; k++)
        e->out[k].sent = ring_oldest(&e->out[k].ring);
}

void exec_attach(struct exec *e, uint32_t stream, uint64_t out_off, uint64_t err_off, uint32_t window)
{
    e->stream = stream;
    e->credit = window;
    e->exit_sent = 0;
    for (int k = 0; k < 2; k++) {
        struct outstream *o = &e->out[k];
        uint64_t off = k ? err_off : out_off;
        if (off < ring_oldest(&o->ring))
            off = ring_oldest(&o->ring); /* older than the buffer: start at the oldest byte */
        if (off > o->ring.total)
            off = o->ring.total;
        o->sent = off;
    }
    struct buf *q = conn_out();
    if (!q)
        return;
    size_t m = frame_begin(q, FT_EXEC_STARTED, stream);
    tlv_put_u32(q, TAG_EXEC_ID, e->id);
    tlv_put_u32(q, TAG_PID, (uint32_t)e->pid);
    frame_end(q, m);
    e->stdin_done = 0;
    e->stdin_avail = 0;
    if (e->has_stdin && !e->stdin_eof && !e->finished) {
        uint64_t queued = e->stdin_q.len;
        uint32_t grant = queued >= PROTO_STDIN_CREDIT ? 0 : PROTO_STDIN_CREDIT - (uint32_t)queued;
        if (grant) {
            uint8_t x[4];
            be32_put(x, grant);
            m = frame_begin(q, FT_CREDIT, stream);
            buf_put(q, x, 4);
            if (frame_end(q, m) == 0)
                e->stdin_avail = grant;
        }
    }
}

/* ---- pipes ---- */
int exec_out_room(const struct exec *e, int k)
{
    const struct outstream *o = &e->out[k];
    uint64_t unsent = o->ring.total - o->sent;
    return unsent >= OUT_RING_MAX ? 0 : (int)(OUT_RING_MAX - unsent);
}

/* 1 = data read, 0 = EOF/closed, -1 = nothing now (EAGAIN) or no room */
static int read_once(struct exec *e, int k)
{
    static uint8_t tmp[64 * 1024];
    struct outstream *o = &e->out[k];
    int room = exec_out_room(e, k);
    if (o->fd < 0)
        return 0;
    if (room <= 0)
        return -1;
    ssize_t n = read(o->fd, tmp, (size_t)room < sizeof tmp ? (size_t)room : sizeof tmp);
    if (n > 0) {
        if (ring_write(&o->ring, tmp, (size_t)n) < 0)
            logmsg("exec %u: out of memory, %zd output bytes lost", e->id, n);
        return 1;
    }
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return -1;
    close_fd(&o->fd);
    return 0;
}

void exec_read_output(struct exec *e, int k)
{
    read_once(e, k);
}

void exec_stdin_eof(struct exec *e)
{
    if (e->tty && e->stdin_fd >= 0)
        buf_put(&e->stdin_q, "\x04", 1); /* the terminal's EOF character (VEOF) */
    e->stdin_eof = 1;
    if (e->stdin_q.len == 0)
        close_fd(&e->stdin_fd);
}

void exec_write_stdin(struct exec *e)
{
    while (e->stdin_fd >= 0 && e->stdin_q.len > 0) {
        ssize_t w = write(e->stdin_fd, buf_data(&e->stdin_q), e->stdin_q.len);
        if (w > 0) {
            buf_consume(&e->stdin_q, (size_t)w);
            e->stdin_done += (uint64_t)w;
            continue;
        }
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && errno == EAGAIN)
            return;
        /* EPIPE: the process closed its stdin. Discard (and credit) what is queued. */
        e->stdin_done += e->stdin_q.len;
        buf_reset(&e->stdin_q);
        close_fd(&e->stdin_fd);
    }
    if (e->stdin_eof && e->stdin_q.len == 0)
        close_fd(&e->stdin_fd);
}

/* ---- finishing ---- */
/* Keep at most MAX_FINISHED finished executions, dropping the oldest first — but never one
 * whose EXIT is still on its way to an attached host (it becomes droppable once sent). */
void exec_enforce_limit(void)
{
    for (;;) {
        unsigned n = 0;
        struct exec *oldest = NULL;
        for (struct exec *e = g_execs; e; e = e->next) {
            if (!e->finished)
                continue;
            n++;
            if (e->stream && !e->exit_sent)
                continue;
            if (!oldest || e->finished_seq < oldest->finished_seq)
                oldest = e;
        }
        if (n <= MAX_FINISHED || !oldest)
            return;
        exec_release(oldest);
    }
}

/* Finished = reaped, and each pipe at EOF, or (EXIT_GRACE_MS after the reap) drained of what
 * it holds right now — output still held open by a daemonised grandchild is cut there. A pipe
 * that cannot be read for lack of buffer space keeps the execution open (nothing is lost). */
static void try_finish(struct exec *e, uint64_t now, uint64_t *next)
{
    for (int k = 0; k < 2; k++) {
        struct outstream *o = &e->out[k];
        if (o->fd < 0)
            continue;
        if (now < e->reaped_ms + EXIT_GRACE_MS) {
            if (e->reaped_ms + EXIT_GRACE_MS < *next)
                *next = e->reaped_ms + EXIT_GRACE_MS;
            return;
        }
        int r;
        while ((r = read_once(e, k)) == 1)
            ;
        if (o->fd >= 0) {
            if (exec_out_room(e, k) > 0)
                close_fd(&o->fd); /* EAGAIN with room: nothing more right now */
            else
                return;           /* blocked on the host: wait for credit or attach */
        }
    }
    e->finished = 1;
    e->finished_seq = ++g_finish_seq;
    e->deadline_ms = 0;
    close_fd(&e->stdin_fd);
    close_fd(&e->tty_fd);
    buf_free(&e->stdin_q);
    struct buf *q = conn_out();
    for (unsigned i = 0; q && i < e->nwaiters; i++)
        exec_put_exit(q, e, e->waiters[i]);
    e->nwaiters = 0;
}

void exec_timers(uint64_t now, uint64_t *next)
{
    int finished_some = 0;
    for (struct exec *e = g_execs; e; e = e->next) {
        if (e->finished)
            continue;
        if (e->deadline_ms && !e->reaped) {
            if (now >= e->deadline_ms) {
                kill(-e->pid, SIGKILL);
                kill(e->pid, SIGKILL);
                e->timed_out = 1;
                e->deadline_ms = 0;
            } else if (e->deadline_ms < *next) {
                *next = e->deadline_ms;
            }
        }
        if (e->reaped) {
            try_finish(e, now, next);
            finished_some |= e->finished;
        }
    }
    if (finished_some)
        exec_enforce_limit(); /* frees executions: only after the walk */
}
