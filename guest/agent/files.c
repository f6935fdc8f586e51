/* files.c — file operations for the host (docs/agent-protocol.md §4a): uploads written to a
 * temporary name in the target's directory and renamed into place, downloads read within the
 * host's credit, stat/list/mkdir/remove/rename. Every error is an ERROR frame with the errno and
 * the path, so the host maps ENOENT, EACCES, EEXIST, ... to its own codes.
 *
 * Disk I/O is synchronous in the event loop: chunks are at most 32 KiB (downloads) or one frame
 * (uploads), so one transfer never holds the loop for long. */
#include "agent.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MAX_XFERS 64u
#define LIST_FRAME_BYTES (512u * 1024)

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE 1
#endif

enum xfer_kind { XF_WRITE, XF_READ };

struct xfer {
    struct xfer *next;
    uint32_t stream;
    enum xfer_kind kind;
    int fd;
    int append, exclusive;
    uint64_t credit;     /* write: bytes the host may still send; read: bytes we may still send */
    uint64_t done;       /* write: bytes written, not yet credited back */
    uint64_t remaining;  /* read: bytes left to send */
    uint64_t sent;       /* read: bytes sent */
    char path[PROTO_MAX_PATH + 1];
    char tmp[PROTO_MAX_PATH + 256];
};

static struct xfer *g_xfers;

static struct xfer *xfer_by_stream(uint32_t stream)
{
    for (struct xfer *x = g_xfers; x; x = x->next)
        if (x->stream == stream)
            return x;
    return NULL;
}

int files_owns(uint32_t stream)
{
    return xfer_by_stream(stream) != NULL;
}

static unsigned xfer_count(void)
{
    unsigned n = 0;
    for (struct xfer *x = g_xfers; x; x = x->next)
        n++;
    return n;
}

/* Closes the file, removes an unfinished upload's temporary file, frees the transfer. */
static void xfer_free(struct xfer *x)
{
    for (struct xfer **p = &g_xfers; *p; p = &(*p)->next)
        if (*p == x) {
            *p = x->next;
            break;
        }
    if (x->fd >= 0)
        close(x->fd);
    if (x->kind == XF_WRITE && x->tmp[0])
        unlink(x->tmp);
    free(x);
}

void files_session_end(void)
{
    while (g_xfers)
        xfer_free(g_xfers);
}

static void fail(uint32_t stream, int err, const char *what, const char *path)
{
    char msg[300];
    snprintf(msg, sizeof msg, "%s %.200s: %s", what, path, strerror(err));
    conn_error(stream, err, msg);
}

/* ---- FILE_INFO ---- */
static uint8_t ftype_of(mode_t m)
{
    return S_ISREG(m) ? 1 : S_ISDIR(m) ? 2 : S_ISLNK(m) ? 3 : 4;
}

/* The TLVs describing one file: NAME, FTYPE (1 file, 2 dir, 3 symlink, 4 other), SIZE, MODE,
 * UID, GID, MTIME, TARGET (symlinks). dirfd/name as for readlinkat. */
static void put_info(struct buf *q, const struct stat *st, int dirfd, const char *name, const char *shown)
{
    tlv_put_str(q, TAG_NAME, shown);
    tlv_put_u8(q, TAG_FTYPE, ftype_of(st->st_mode));
    tlv_put_u64(q, TAG_SIZE, (uint64_t)st->st_size);
    tlv_put_u32(q, TAG_MODE, (uint32_t)(st->st_mode & 07777));
    tlv_put_u32(q, TAG_UID, (uint32_t)st->st_uid);
    tlv_put_u32(q, TAG_GID, (uint32_t)st->st_gid);
    tlv_put_u64(q, TAG_MTIME, (uint64_t)st->st_mtim.tv_sec);
    if (S_ISLNK(st->st_mode)) {
        char target[PATH_MAX];
        ssize_t n = readlinkat(dirfd, name, target, sizeof target - 1);
        if (n >= 0) {
            target[n] = 0;
            tlv_put_str(q, TAG_TARGET, target);
        }
    }
}

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s && s[1] ? s + 1 : path;
}

/* FILE_INFO for path (lstat), or ERROR. */
static void reply_info(uint32_t stream, const char *path)
{
    struct stat st;
    if (lstat(path, &st) < 0) {
        fail(stream, errno, "stat", path);
        return;
    }
    struct buf *q = conn_out();
    size_t m = frame_begin(q, FT_FILE_INFO, stream);
    put_info(q, &st, AT_FDCWD, path, base_name(path));
    frame_end(q, m);
}

static void reply_ack(uint32_t stream)
{
    struct buf *q = conn_out();
    size_t m = frame_begin(q, FT_FILE_ACK, stream);
    frame_end(q, m);
}

/* ---- helpers ---- */
static int owner_of(const struct file_req *r, uid_t *uid, gid_t *gid)
{
    *uid = 0;
    *gid = 0;
    if (!r->has_owner)
        return 0;
    struct guest_user u;
    int rc = user_resolve(r->owner, &u);
    if (rc)
        return rc;
    *uid = (uid_t)u.uid;
    *gid = (gid_t)u.gid;
    return 0;
}

/* mkdir -p of path (every missing component, mode for the last, 0755 before it), new ones owned
 * by uid:gid. 0 or errno; EEXIST only when path exists and is not a directory. */
static int mkdir_p(const char *path, mode_t last_mode, uid_t uid, gid_t gid)
{
    char p[PROTO_MAX_PATH + 1];
    size_t n = strlen(path);
    memcpy(p, path, n + 1);
    while (n > 1 && p[n - 1] == '/')
        p[--n] = 0;
    for (size_t i = 1; i <= n; i++) {
        if (p[i] != '/' && p[i] != 0)
            continue;
        char c = p[i];
        p[i] = 0;
        int last = c == 0;
        mode_t mode = last ? last_mode : 0755;
        if (mkdir(p, mode) == 0) {
            if (chmod(p, mode) < 0 || ((uid || gid) && chown(p, uid, gid) < 0))
                return errno;
        } else if (errno == EEXIST) {
            struct stat st;
            if (stat(p, &st) < 0)
                return errno;
            if (!S_ISDIR(st.st_mode))
                return last ? EEXIST : ENOTDIR;
        } else {
            return errno;
        }
        p[i] = c;
    }
    return 0;
}

static int parent_of(const char *path, char *out, size_t outsz)
{
    const char *slash = strrchr(path, '/');
    size_t n = slash == path ? 1 : (size_t)(slash - path);
    if (n >= outsz)
        return ENAMETOOLONG;
    memcpy(out, path, n);
    out[n] = 0;
    return 0;
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return errno;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static int rename_noreplace(const char *from, const char *to)
{
    if (syscall(SYS_renameat2, AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) == 0)
        return 0;
    if (errno != ENOSYS && errno != EINVAL)
        return errno;
    struct stat st; /* a file system without RENAME_NOREPLACE: check, then rename */
    if (lstat(to, &st) == 0)
        return EEXIST;
    return rename(from, to) < 0 ? errno : 0;
}

static struct xfer *xfer_new(uint32_t stream, enum xfer_kind kind, const char *path)
{
    struct xfer *x = calloc(1, sizeof *x);
    if (!x)
        return NULL;
    x->stream = stream;
    x->kind = kind;
    x->fd = -1;
    snprintf(x->path, sizeof x->path, "%s", path);
    x->next = g_xfers;
    g_xfers = x;
    return x;
}

/* ---- FILE_WRITE / FILE_DATA / FILE_END ---- */
static void on_write(uint32_t stream, const struct file_req *r)
{
    uid_t uid;
    gid_t gid;
    int rc = owner_of(r, &uid, &gid);
    if (rc) {
        fail(stream, rc, "unknown owner for", r->path);
        return;
    }
    mode_t mode = r->has_mode ? (mode_t)r->mode : 0644;
    char dir[PROTO_MAX_PATH + 1];
    if ((rc = parent_of(r->path, dir, sizeof dir)) != 0 ||
        (r->parents && (rc = mkdir_p(dir, 0755, uid, gid)) != 0)) {
        fail(stream, rc, "creating the parents of", r->path);
        return;
    }
    struct stat st;
    if (lstat(r->path, &st) == 0) {
        if (r->exclusive) {
            fail(stream, EEXIST, "writing", r->path);
            return;
        }
        if (S_ISDIR(st.st_mode)) {
            fail(stream, EISDIR, "writing", r->path);
            return;
        }
    }
    struct xfer *x = xfer_new(stream, XF_WRITE, r->path);
    if (!x) {
        fail(stream, ENOMEM, "writing", r->path);
        return;
    }
    x->append = r->append;
    x->exclusive = r->exclusive;
    if (r->append) {
        x->fd = open(r->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, mode);
    } else {
        uint64_t rnd = mono_ms() * 2654435761u ^ (uint64_t)stream << 20 ^ (uint64_t)getpid();
        for (int i = 0; i < 16 && x->fd < 0; i++) {
            snprintf(x->tmp, sizeof x->tmp, "%s/.%.200s.abx-%08llx", strcmp(dir, "/") ? dir : "",
                     base_name(r->path), (unsigned long long)((rnd + (uint64_t)i * 7919u) & 0xFFFFFFFFu));
            x->fd = open(x->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
            if (x->fd < 0 && errno != EEXIST)
                break;
        }
    }
    if (x->fd < 0) {
        rc = errno;
        x->tmp[0] = 0;
        xfer_free(x);
        fail(stream, rc, "opening", r->path);
        return;
    }
    if ((!r->append && fchmod(x->fd, mode) < 0) || ((uid || gid) && fchown(x->fd, uid, gid) < 0)) {
        rc = errno;
        xfer_free(x);
        fail(stream, rc, "setting mode and owner of", r->path);
        return;
    }
    /* the first CREDIT says the file is open: the host sends data only within it */
    x->credit = PROTO_FILE_WINDOW;
    uint8_t c[4];
    be32_put(c, PROTO_FILE_WINDOW);
    struct buf *q = conn_out();
    size_t m = frame_begin(q, FT_CREDIT, stream);
    buf_put(q, c, 4);
    frame_end(q, m);
}

static void on_data(struct xfer *x, const uint8_t *p, uint32_t len)
{
    if (x->kind != XF_WRITE)
        return;
    if (len > x->credit) {
        uint32_t s = x->stream;
        xfer_free(x);
        conn_error(s, EPROTO, "file data beyond granted credit");
        return;
    }
    x->credit -= len;
    int rc = write_all(x->fd, p, len);
    if (rc) {
        uint32_t s = x->stream;
        char path[PROTO_MAX_PATH + 1];
        snprintf(path, sizeof path, "%s", x->path);
        xfer_free(x);
        fail(s, rc, "writing", path);
        return;
    }
    x->done += len;
}

static void on_end(struct xfer *x, const uint8_t *p, uint32_t len)
{
    uint32_t s = x->stream;
    int abort_upload = 0;
    char path[PROTO_MAX_PATH + 1];
    snprintf(path, sizeof path, "%s", x->path);
    if (req_file_end(p, len, &abort_upload) != 0 || abort_upload || x->kind == XF_READ) {
        xfer_free(x); /* an aborted upload's temporary file is removed; no reply */
        return;
    }
    int rc = 0;
    if (close(x->fd) < 0)
        rc = errno;
    x->fd = -1;
    if (!rc && !x->append)
        rc = x->exclusive ? rename_noreplace(x->tmp, x->path) : (rename(x->tmp, x->path) < 0 ? errno : 0);
    if (!rc)
        x->tmp[0] = 0; /* renamed: nothing to remove */
    xfer_free(x);
    if (rc)
        fail(s, rc, "writing", path);
    else
        reply_info(s, path);
}

/* ---- FILE_READ ---- */
static void on_read(uint32_t stream, const struct file_req *r)
{
    int fd = open(r->path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0) {
        int rc = errno;
        if (fd >= 0)
            close(fd);
        fail(stream, rc, "reading", r->path);
        return;
    }
    if (S_ISDIR(st.st_mode) || (r->offset && lseek(fd, (off_t)r->offset, SEEK_SET) < 0)) {
        int rc = S_ISDIR(st.st_mode) ? EISDIR : errno;
        close(fd);
        fail(stream, rc, "reading", r->path);
        return;
    }
    struct xfer *x = xfer_new(stream, XF_READ, r->path);
    if (!x) {
        close(fd);
        fail(stream, ENOMEM, "reading", r->path);
        return;
    }
    x->fd = fd;
    x->credit = r->window;
    x->remaining = r->length ? r->length : UINT64_MAX;
    struct buf *q = conn_out();
    size_t m = frame_begin(q, FT_FILE_INFO, stream);
    put_info(q, &st, AT_FDCWD, r->path, base_name(r->path));
    frame_end(q, m);
}

void files_credit(uint32_t stream, uint32_t bytes)
{
    struct xfer *x = xfer_by_stream(stream);
    if (x && x->kind == XF_READ) {
        x->credit += bytes;
        if (x->credit > ((uint64_t)1 << 40))
            x->credit = (uint64_t)1 << 40;
    }
}

/* Download chunks within credit; upload credit for what was written. Round-robin, until the
 * connection queue reaches low_water. */
void files_pump(struct buf *q, size_t low_water)
{
    static uint8_t chunk[PROTO_MAX_OUTPUT_FRAME];
    if (!q)
        return;
    int progress = 1;
    while (progress && q->len < low_water) {
        progress = 0;
        for (struct xfer *x = g_xfers, *next; x && q->len < low_water; x = next) {
            next = x->next;
            if (x->kind == XF_WRITE) {
                if (!x->done)
                    continue;
                uint32_t c = x->done > 0xFFFFFFFFu ? 0xFFFFFFFFu : (uint32_t)x->done;
                uint8_t b[4];
                be32_put(b, c);
                size_t m = frame_begin(q, FT_CREDIT, x->stream);
                buf_put(q, b, 4);
                if (frame_end(q, m) == 0) {
                    x->done -= c;
                    x->credit += c;
                }
                continue;
            }
            if (!x->credit)
                continue;
            size_t want = sizeof chunk;
            if (want > x->credit)
                want = (size_t)x->credit;
            if (want > x->remaining)
                want = (size_t)x->remaining;
            ssize_t n = want ? read(x->fd, chunk, want) : 0;
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0) {
                uint32_t s = x->stream;
                int rc = errno;
                char path[PROTO_MAX_PATH + 1];
                snprintf(path, sizeof path, "%s", x->path);
                xfer_free(x);
                fail(s, rc, "reading", path);
                continue;
            }
            if (n == 0) {
                size_t m = frame_begin(q, FT_FILE_END, x->stream);
                tlv_put_u64(q, TAG_SIZE, x->sent);
                frame_end(q, m);
                xfer_free(x);
                continue;
            }
            size_t m = frame_begin(q, FT_FILE_DATA, x->stream);
            buf_put(q, chunk, (size_t)n);
            if (frame_end(q, m) == 0) {
                x->credit -= (uint64_t)n;
                x->remaining -= (uint64_t)n;
                x->sent += (uint64_t)n;
                progress = 1;
            }
        }
    }
}

/* ---- FILE_LIST ---- */
static void on_list(uint32_t stream, const char *path)
{
    static struct buf entry;
    DIR *d = opendir(path);
    if (!d) {
        fail(stream, errno, "listing", path);
        return;
    }
    struct buf *q = conn_out();
    size_t m = frame_begin(q, FT_FILE_LIST_ACK, stream);
    size_t start = q->len;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        struct stat st;
        if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
            continue; /* removed meanwhile */
        buf_init(&entry, 16 * 1024);
        put_info(&entry, &st, dirfd(d), de->d_name, de->d_name);
        if (q->len - start + entry.len > LIST_FRAME_BYTES) {
            tlv_put_u8(q, TAG_MORE, 1);
            frame_end(q, m);
            m = frame_begin(q, FT_FILE_LIST_ACK, stream);
            start = q->len;
        }
        if (!entry.failed)
            tlv_put(q, TAG_ENTRY, buf_data(&entry), (uint32_t)entry.len);
        buf_free(&entry);
    }
    closedir(d);
    frame_end(q, m);
}

/* ---- FILE_MKDIR / FILE_REMOVE / FILE_RENAME ---- */
static void on_mkdir(uint32_t stream, const struct file_req *r)
{
    uid_t uid;
    gid_t gid;
    int rc = owner_of(r, &uid, &gid);
    if (rc) {
        fail(stream, rc, "unknown owner for", r->path);
        return;
    }
    mode_t mode = r->has_mode ? (mode_t)r->mode : 0755;
    if (r->parents) {
        rc = mkdir_p(r->path, mode, uid, gid);
    } else if (mkdir(r->path, mode) < 0) {
        rc = errno;
    } else if (chmod(r->path, mode) < 0 || ((uid || gid) && chown(r->path, uid, gid) < 0)) {
        rc = errno;
    }
    if (rc)
        fail(stream, rc, "creating directory", r->path);
    else
        reply_info(stream, r->path);
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    int rc = flag == FTW_DP ? rmdir(path) : unlink(path);
    return rc < 0 ? errno : 0;
}

static void on_remove(uint32_t stream, const struct file_req *r)
{
    struct stat st;
    int rc = 0;
    if (!strcmp(r->path, "/")) {
        fail(stream, EINVAL, "refusing to remove", r->path);
        return;
    }
    if (lstat(r->path, &st) < 0)
        rc = errno;
    else if (!S_ISDIR(st.st_mode))
        rc = unlink(r->path) < 0 ? errno : 0;
    else if (!r->recursive)
        rc = rmdir(r->path) < 0 ? errno : 0;
    else
        rc = nftw(r->path, remove_one, 32, FTW_DEPTH | FTW_PHYS);
    if (rc < 0)
        rc = errno ? errno : EIO;
    if (rc)
        fail(stream, rc, "removing", r->path);
    else
        reply_ack(stream);
}

static void on_rename(uint32_t stream, const struct file_req *r)
{
    if (!r->has_to) {
        conn_error(stream, EINVAL, "FILE_RENAME needs TO");
        return;
    }
    int rc = r->overwrite ? (rename(r->path, r->to) < 0 ? errno : 0) : rename_noreplace(r->path, r->to);
    if (rc)
        fail(stream, rc, "renaming", r->path);
    else
        reply_info(stream, r->to);
}

void files_frame(uint8_t type, uint32_t stream, const uint8_t *p, uint32_t len)
{
    struct xfer *x = xfer_by_stream(stream);
    if (type == FT_FILE_DATA || type == FT_FILE_END) {
        if (x && type == FT_FILE_DATA)
            on_data(x, p, len);
        else if (x)
            on_end(x, p, len);
        return; /* for a transfer that already failed: dropped */
    }
    if (x || exec_by_stream(stream)) {
        conn_error(stream, EEXIST, "stream already in use");
        return;
    }
    struct file_req r;
    int rc = req_file(p, len, &r);
    if (rc) {
        conn_error(stream, rc, rc == EPROTO ? "malformed file request" : "invalid file request");
        return;
    }
    switch (type) {
    case FT_FILE_WRITE:
    case FT_FILE_READ:
        if (xfer_count() >= MAX_XFERS) {
            conn_error(stream, EAGAIN, "too many file transfers");
            return;
        }
        if (type == FT_FILE_WRITE)
            on_write(stream, &r);
        else
            on_read(stream, &r);
        return;
    case FT_FILE_STAT:
        reply_info(stream, r.path);
        return;
    case FT_FILE_LIST:
        on_list(stream, r.path);
        return;
    case FT_FILE_MKDIR:
        on_mkdir(stream, &r);
        return;
    case FT_FILE_REMOVE:
        on_remove(stream, &r);
        return;
    case FT_FILE_RENAME:
        on_rename(stream, &r);
        return;
    default:
        return;
    }
}
