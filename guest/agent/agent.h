/* agent.h — shared declarations of the arcbox guest agent (PID 1 of the microVM). */
#ifndef ARCBOX_AGENT_H
#define ARCBOX_AGENT_H

#include <stdint.h>
#include <sys/types.h>

#include "proto.h"

#define AGENT_NAME "arcbox-agent/1.0.0"
#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define DEFAULT_PORT "arcbox.agent"
#define VSOCK_PORT 1024u

#define OUT_RING_MAX (1u << 20)      /* per stdout/stderr buffer */
#define MAX_RUNNING 256u
#define MAX_FINISHED 64u
#define MAX_WAITERS 8u
#define EXIT_GRACE_MS 200u           /* EXIT at the latest this long after the reap */

/* ---- util (agent.c) ---- */
uint64_t mono_ms(void);
uint64_t boottime_ns(void);
void logmsg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void console_marker(const char *tag);   /* "TAG <uptime seconds>" on the console */
int write_file(const char *path, const char *data, int mode);

/* ---- boot configuration (init.c) ---- */
struct bootcfg {
    char port[64];
    char hostname[65];
    char ip[32];
    char gw[32];
    char dns[256];
    int test_hostile;                    /* arcbox.test_hostile=1: the test mode of docs/agent-protocol.md §8 */
};
void init_early(void);                 /* mounts, console, ARCBOX_INIT */
void init_load_modules(void);
void init_parse_cmdline(struct bootcfg *c);
void init_switch_root(void);           /* disks + overlay + move into it (or stay) */
void init_poweroff(void) __attribute__((noreturn));
extern int g_is_pid1;

/* ---- networking (net.c) ---- */
int net_link_up(const char *ifname);   /* 0 or errno */
int net_configure(const struct netcfg_req *r); /* 0 or the first errno */
int net_boot_config(const struct bootcfg *c);

/* ---- executions (exec.c) ---- */
struct outstream {
    int fd;                 /* read end of the pipe, -1 once closed */
    struct ring ring;
    uint64_t sent;          /* next offset to send; while detached, the oldest unacknowledged */
};

struct exec {
    struct exec *next, *prev;
    uint32_t id;
    pid_t pid;
    uint32_t stream;        /* current attachment, 0 = detached */
    struct outstream out[2];  /* 0 = stdout, 1 = stderr */
    uint64_t credit;        /* output bytes the host allows on the current attachment */
    int has_stdin;          /* EXEC_START asked for STDIN=1 */
    int stdin_fd;           /* -1 = none or closed */
    int stdin_eof;          /* host sent STDIN_EOF: close once the queue is written */
    int stdin_broken;       /* the process closed its stdin: discard (but credit) input */
    struct buf stdin_q;
    uint64_t stdin_avail;   /* stdin credit the host still holds on this attachment */
    uint64_t stdin_done;    /* bytes written/discarded not yet credited back to the host */
    uint64_t deadline_ms;   /* TIMEOUT_MS deadline, 0 = none */
    int timed_out;
    int reaped;
    int status;             /* wait status */
    uint64_t reaped_ms;
    int finished;           /* reaped and output complete: totals are final */
    uint64_t finished_seq;
    int exit_sent;          /* EXIT delivered on the current attachment */
    int tty;                /* a pseudo-terminal: out[0] is its master, no stderr */
    int tty_fd;             /* master, for TIOCSWINSZ; -1 when not a tty */
    char **argv;            /* for EXEC_LIST (NULL-terminated copy) */
    uint64_t started_at;    /* CLOCK_REALTIME seconds */
    uint32_t waiters[MAX_WAITERS]; /* WAIT streams that get EXIT when it finishes */
    unsigned nwaiters;
};

extern struct exec *g_execs;   /* all held executions, newest first */
struct exec *exec_by_id(uint32_t id);
struct exec *exec_by_stream(uint32_t stream);
unsigned exec_running_count(void);
/* Start a command; returns the exec or NULL with *err = errno (command could not start). */
struct exec *exec_start(const struct exec_req *r, uint32_t stream, int *err);
void exec_reap_all(void);      /* waitpid(-1, WNOHANG) loop */
void exec_detach(struct exec *e);
void exec_attach(struct exec *e, uint32_t stream, uint64_t out_off, uint64_t err_off, uint32_t window);
void exec_release(struct exec *e);
int exec_out_room(const struct exec *e, int k);  /* bytes the pipe may still be read */
void exec_read_output(struct exec *e, int k);   /* read a readable pipe */
void exec_write_stdin(struct exec *e);          /* write queued stdin */
void exec_stdin_eof(struct exec *e);
void exec_timers(uint64_t now, uint64_t *next_deadline);
void exec_enforce_limit(void);  /* <= MAX_FINISHED finished held */
int exec_resize(struct exec *e, uint16_t rows, uint16_t cols); /* 0 or errno */
void exec_put_exit(struct buf *q, const struct exec *e, uint32_t stream); /* EXIT frame */
void exec_put_list(struct buf *q, uint32_t stream); /* EXEC_LIST_ACK frame */
void exec_drop_waiters(void);   /* session ended */

/* ---- users (user.c): look-ups in the guest's /etc/passwd and /etc/group ---- */
struct guest_user {
    uint32_t uid, gid;
    int named;              /* found in /etc/passwd: name and home are valid */
    char name[PROTO_MAX_USER + 1];
    char home[256];
};
/* "name", "uid" or "uid:gid"; 0 or errno (EINVAL: unknown name). */
int user_resolve(const char *spec, struct guest_user *u);
/* In a child: supplementary groups, gid, uid. 0 or -1 with errno. */
int user_switch(const struct guest_user *u);

/* ---- files (files.c) ---- */
void files_frame(uint8_t type, uint32_t stream, const uint8_t *p, uint32_t len);
int files_owns(uint32_t stream);
void files_credit(uint32_t stream, uint32_t bytes); /* CREDIT on a download's stream */
void files_pump(struct buf *q, size_t low_water); /* FILE_DATA frames of downloads, credit of uploads */
void files_session_end(void);

/* ---- connection (agent.c), used by exec.c ---- */
struct buf *conn_out(void);    /* output queue, NULL when no session */
void conn_error(uint32_t stream, int err, const char *msg);

#endif
