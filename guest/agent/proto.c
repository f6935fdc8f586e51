/* proto.c — pure protocol code for the arcbox agent (see proto.h). No system calls. */
#include "proto.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* ---- big-endian ---- */
uint32_t be32_get(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

uint64_t be64_get(const uint8_t *p)
{
    return (uint64_t)be32_get(p) << 32 | be32_get(p + 4);
}

void be16_put(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

void be32_put(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

void be64_put(uint8_t *p, uint64_t v)
{
    be32_put(p, (uint32_t)(v >> 32));
    be32_put(p + 4, (uint32_t)v);
}

/* ---- decoder ---- */

/* Marker matcher: given that the first `matched` marker bytes matched and byte c follows, return
 * the new number of matched bytes (longest suffix of matched-prefix + c that is a marker prefix;
 * a KMP step computed by brute force, the marker is 8 bytes). */
static unsigned marker_step(const uint8_t *m, unsigned matched, uint8_t c)
{
    if (matched < PROTO_MARKER_LEN && m[matched] == c)
        return matched + 1;
    uint8_t seen[PROTO_MARKER_LEN + 1];
    unsigned n = matched < PROTO_MARKER_LEN ? matched : PROTO_MARKER_LEN - 1;
    memcpy(seen, m + (matched - n), n);
    seen[n++] = c;
    for (unsigned k = n - 1; k > 0; k--)  /* proper suffixes, longest first */
        if (memcmp(seen + (n - k), m, k) == 0)
            return k;
    return 0;
}

void dec_init(struct decoder *d, const char marker[PROTO_MARKER_LEN], uint8_t *payload_buf,
              uint32_t payload_cap)
{
    memset(d, 0, sizeof *d);
    memcpy(d->marker, marker, PROTO_MARKER_LEN);
    d->payload = payload_buf;
    d->payload_cap = payload_buf ? payload_cap : 0;
    d->state = DEC_HUNT;
}

void dec_hunt(struct decoder *d, enum dec_error why)
{
    d->state = DEC_HUNT;
    d->mpos = 0;
    d->hpos = 0;
    d->ppos = 0;
    d->error = why;
}

int dec_partial(const struct decoder *d)
{
    return (d->state == DEC_BOUNDARY && d->mpos > 0) || d->state == DEC_HEADER ||
           d->state == DEC_PAYLOAD;
}

int dec_expire(struct decoder *d, uint64_t now_ms)
{
    if (!dec_partial(d) || now_ms < d->start_ms || now_ms - d->start_ms < PROTO_PARTIAL_MS)
        return 0;
    d->errors++;
    dec_hunt(d, DERR_EXPIRED);
    return 1;
}

void dec_touch(struct decoder *d, uint64_t now_ms)
{
    d->start_ms = now_ms;
}

void dec_chunk_done(struct decoder *d, uint64_t chunk_ms, uint64_t now_ms)
{
    if (dec_partial(d) && d->start_ms >= chunk_ms)
        d->start_ms = now_ms;
}

const char *dec_error_str(enum dec_error e)
{
    switch (e) {
    case DERR_NONE: return "none";
    case DERR_OVERSIZE: return "frame length over 1 MiB";
    case DERR_BAD_BYTE: return "bad byte at frame boundary";
    case DERR_EXPIRED: return "partial frame expired";
    case DERR_RESET: return "reset";
    }
    return "?";
}

static size_t dec_fail(struct decoder *d, enum dec_error why, size_t consumed, enum dec_event *ev)
{
    d->errors++;
    dec_hunt(d, why);
    *ev = DEC_ERROR;
    return consumed;
}

size_t dec_push(struct decoder *d, const uint8_t *p, size_t n, uint64_t now_ms, enum dec_event *ev)
{
    size_t i = 0;
    *ev = DEC_NONE;
    if (n > 0 && dec_expire(d, now_ms)) {
        *ev = DEC_ERROR;
        return 0;
    }
    while (i < n) {
        switch (d->state) {
        case DEC_HUNT: {
            /* Fast path: skip to the next possible marker start. */
            if (d->mpos == 0) {
                const uint8_t *a = memchr(p + i, d->marker[0], n - i);
                if (!a) {
                    d->discarded += n - i;
                    i = n;
                    break;
                }
                d->discarded += (size_t)(a - (p + i));
                i = (size_t)(a - p);
            }
            unsigned before = d->mpos;
            d->mpos = marker_step(d->marker, d->mpos, p[i++]);
            if (d->mpos <= before)
                d->discarded += before + 1 - d->mpos;
            if (d->mpos == PROTO_MARKER_LEN) {
                d->mpos = 0;
                d->state = DEC_BOUNDARY;
                d->error = DERR_NONE;
                d->markers++;
                *ev = DEC_MARKER;
                return i;
            }
            break;
        }
        case DEC_BOUNDARY:
            if (d->mpos == 0 && p[i] == 0x00) {
                d->state = DEC_HEADER;
                d->hpos = 0;
                d->start_ms = now_ms;
                break; /* the byte is consumed by DEC_HEADER */
            }
            if (d->mpos == 0)
                d->start_ms = now_ms;
            if (p[i] == d->marker[d->mpos]) {
                i++;
                if (++d->mpos == PROTO_MARKER_LEN) {
                    d->mpos = 0;
                    d->markers++;
                    *ev = DEC_MARKER;
                    return i;
                }
                break;
            }
            /* Not a marker after all: protocol error; the bytes seen so far (and this one)
             * are re-scanned by the hunter so a marker starting inside them is not missed. */
            {
                unsigned keep = marker_step(d->marker, d->mpos, p[i++]);
                size_t r = dec_fail(d, DERR_BAD_BYTE, i, ev);
                d->mpos = keep; /* < PROTO_MARKER_LEN: a full match was handled above */
                return r;
            }
        case DEC_HEADER: {
            size_t take = PROTO_HDR_LEN - d->hpos;
            if (take > n - i)
                take = n - i;
            memcpy(d->hdr + d->hpos, p + i, take);
            d->hpos += (unsigned)take;
            i += take;
            if (d->hpos < PROTO_HDR_LEN)
                break;
            d->len = be32_get(d->hdr);
            d->type = d->hdr[4];
            d->stream = be32_get(d->hdr + 5);
            if (d->len > PROTO_MAX_PAYLOAD || d->len > d->payload_cap)
                return dec_fail(d, DERR_OVERSIZE, i, ev);
            d->ppos = 0;
            if (d->len == 0) {
                d->state = DEC_BOUNDARY;
                d->mpos = 0;
                d->frames++;
                *ev = DEC_FRAME;
                return i;
            }
            d->state = DEC_PAYLOAD;
            break;
        }
        case DEC_PAYLOAD: {
            size_t take = d->len - d->ppos;
            if (take > n - i)
                take = n - i;
            if (take) {
                memcpy(d->payload + d->ppos, p + i, take);
                d->ppos += (uint32_t)take;
                i += take;
            }
            if (d->ppos == d->len) {
                d->state = DEC_BOUNDARY;
                d->mpos = 0;
                d->frames++;
                *ev = DEC_FRAME;
                return i;
            }
            break;
        }
        }
    }
    return i;
}

/* ---- TLV reader ---- */
void tlv_begin(struct tlv_it *it, const uint8_t *p, size_t len)
{
    it->p = p;
    it->len = len;
    it->off = 0;
}

int tlv_next(struct tlv_it *it, struct tlv *t)
{
    if (it->off == it->len)
        return 0;
    if (it->len - it->off < 6)
        return -1;
    const uint8_t *h = it->p + it->off;
    uint32_t len = be32_get(h + 2);
    if (len > it->len - it->off - 6)
        return -1;
    t->tag = (uint16_t)(h[0] << 8 | h[1]);
    t->len = len;
    t->val = h + 6;
    it->off += 6 + (size_t)len;
    return 1;
}

int tlv_validate(const uint8_t *p, size_t len)
{
    struct tlv_it it;
    struct tlv t;
    int r;
    tlv_begin(&it, p, len);
    while ((r = tlv_next(&it, &t)) == 1)
        ;
    return r;
}

int tlv_u8(const struct tlv *t, uint8_t *out)
{
    if (t->len != 1)
        return -1;
    *out = t->val[0];
    return 0;
}

int tlv_u32(const struct tlv *t, uint32_t *out)
{
    if (t->len != 4)
        return -1;
    *out = be32_get(t->val);
    return 0;
}

int tlv_u64(const struct tlv *t, uint64_t *out)
{
    if (t->len != 8)
        return -1;
    *out = be64_get(t->val);
    return 0;
}

int tlv_str(const struct tlv *t, char *out, size_t outsz)
{
    if (outsz == 0 || t->len > outsz - 1 || memchr(t->val, 0, t->len))
        return -1;
    memcpy(out, t->val, t->len);
    out[t->len] = 0;
    return 0;
}

/* ---- buffer ---- */
void buf_init(struct buf *b, size_t limit)
{
    memset(b, 0, sizeof *b);
    b->limit = limit ? limit : (size_t)64 << 20;
}

void buf_free(struct buf *b)
{
    free(b->d);
    size_t limit = b->limit;
    buf_init(b, limit);
}

void buf_reset(struct buf *b)
{
    b->head = 0;
    b->len = 0;
    b->failed = 0;
}

int buf_put(struct buf *b, const void *p, size_t n)
{
    if (b->failed)
        return -1;
    if (n == 0)
        return 0;
    if (n > b->limit - b->len) {
        b->failed = 1;
        return -1;
    }
    if (b->head + b->len + n > b->cap) {
        if (b->head > 0) { /* compact first */
            memmove(b->d, b->d + b->head, b->len);
            b->head = 0;
        }
        if (b->len + n > b->cap) {
            size_t cap = b->cap ? b->cap : 4096;
            while (cap < b->len + n)
                cap *= 2;
            if (cap > b->limit)
                cap = b->limit;
            uint8_t *nd = realloc(b->d, cap);
            if (!nd) {
                b->failed = 1;
                return -1;
            }
            b->d = nd;
            b->cap = cap;
        }
    }
    memcpy(b->d + b->head + b->len, p, n);
    b->len += n;
    return 0;
}

void buf_consume(struct buf *b, size_t n)
{
    if (n >= b->len) {
        b->head = 0;
        b->len = 0;
        return;
    }
    b->head += n;
    b->len -= n;
}

size_t frame_begin(struct buf *b, uint8_t type, uint32_t stream)
{
    uint8_t h[PROTO_HDR_LEN];
    size_t mark = b->len;
    be32_put(h, 0);
    h[4] = type;
    be32_put(h + 5, stream);
    buf_put(b, h, sizeof h);
    return mark;
}

int frame_end(struct buf *b, size_t mark)
{
    if (b->failed || b->len < mark + PROTO_HDR_LEN ||
        b->len - mark - PROTO_HDR_LEN > PROTO_MAX_PAYLOAD) {
        /* roll back the partial frame; earlier frames stay intact */
        if (b->len > mark)
            b->len = mark;
        b->failed = 0;
        return -1;
    }
    be32_put(b->d + b->head + mark, (uint32_t)(b->len - mark - PROTO_HDR_LEN));
    return 0;
}

int tlv_put(struct buf *b, uint16_t tag, const void *val, uint32_t len)
{
    uint8_t h[6];
    be16_put(h, tag);
    be32_put(h + 2, len);
    if (buf_put(b, h, sizeof h) < 0)
        return -1;
    return buf_put(b, val, len);
}

int tlv_put_u8(struct buf *b, uint16_t tag, uint8_t v)
{
    return tlv_put(b, tag, &v, 1);
}

int tlv_put_u32(struct buf *b, uint16_t tag, uint32_t v)
{
    uint8_t x[4];
    be32_put(x, v);
    return tlv_put(b, tag, x, 4);
}

int tlv_put_u64(struct buf *b, uint16_t tag, uint64_t v)
{
    uint8_t x[8];
    be64_put(x, v);
    return tlv_put(b, tag, x, 8);
}

int tlv_put_str(struct buf *b, uint16_t tag, const char *s)
{
    return tlv_put(b, tag, s, (uint32_t)strlen(s));
}

/* ---- ring ---- */
void ring_init(struct ring *r, size_t max)
{
    memset(r, 0, sizeof *r);
    r->max = max;
}

void ring_free(struct ring *r)
{
    free(r->d);
    r->d = NULL;
    r->cap = r->fill = r->head = 0;
}

uint64_t ring_oldest(const struct ring *r)
{
    return r->total - r->fill;
}

static size_t ring_index(const struct ring *r, uint64_t off)
{
    /* index of the oldest byte, then advance */
    size_t oldest = (r->head + r->cap - r->fill) % r->cap;
    return (size_t)((oldest + (off - ring_oldest(r))) % r->cap);
}

size_t ring_copy(const struct ring *r, uint64_t off, void *out, size_t n)
{
    if (off < ring_oldest(r) || off > r->total)
        return 0;
    if (n > r->total - off)
        n = (size_t)(r->total - off);
    if (n == 0)
        return 0;
    size_t idx = ring_index(r, off);
    size_t first = r->cap - idx < n ? r->cap - idx : n;
    memcpy(out, r->d + idx, first);
    memcpy((uint8_t *)out + first, r->d, n - first);
    return n;
}

int ring_write(struct ring *r, const void *p, size_t n)
{
    if (n == 0)
        return 0;
    if (n > r->max)
        return -1;
    if (r->fill + n > r->cap && r->cap < r->max) {
        size_t cap = r->cap ? r->cap : 4096;
        while (cap < r->fill + n && cap < r->max)
            cap *= 2;
        if (cap > r->max)
            cap = r->max;
        uint8_t *nd = malloc(cap);
        if (!nd)
            return -1;
        if (r->fill)
            ring_copy(r, ring_oldest(r), nd, r->fill);
        free(r->d);
        r->d = nd;
        r->cap = cap;
        r->head = r->fill % cap;
    }
    if (r->fill + n > r->cap)
        r->fill = r->cap - n; /* evict the oldest bytes */
    const uint8_t *s = p;
    size_t first = r->cap - r->head < n ? r->cap - r->head : n;
    memcpy(r->d + r->head, s, first);
    memcpy(r->d, s + first, n - first);
    r->head = (r->head + n) % r->cap;
    r->fill += n;
    r->total += n;
    return 0;
}

/* ---- request parsing ---- */
static char *dup_val(const struct tlv *t)
{
    char *s = malloc((size_t)t->len + 1);
    if (!s)
        return NULL;
    memcpy(s, t->val, t->len);
    s[t->len] = 0;
    return s;
}

int req_hello(const uint8_t *p, size_t len, struct hello_req *r)
{
    struct tlv_it it;
    struct tlv t;
    int got_nonce = 0, rc;
    memset(r, 0, sizeof *r);
    r->version = 1;
    if (tlv_validate(p, len) < 0)
        return EPROTO;
    tlv_begin(&it, p, len);
    while ((rc = tlv_next(&it, &t)) == 1) {
        if (t.tag == TAG_NONCE) {
            if (t.len != 8)
                return EINVAL;
            memcpy(r->nonce, t.val, 8);
            got_nonce = 1;
        } else if (t.tag == TAG_VERSION) {
            if (tlv_u32(&t, &r->version) < 0)
                return EINVAL;
        }
    }
    return got_nonce ? 0 : EINVAL;
}

void exec_req_free(struct exec_req *r)
{
    if (r->argv)
        for (uint32_t i = 0; i < r->argc; i++)
            free(r->argv[i]);
    if (r->envp)
        for (uint32_t i = 0; r->envp[i]; i++)
            free(r->envp[i]);
    free(r->argv);
    free(r->envp);
    free(r->cwd);
    free(r->user);
    memset(r, 0, sizeof *r);
}

int req_exec(const uint8_t *p, size_t len, const char *default_path, struct exec_req *r)
{
    struct tlv_it it;
    struct tlv t;
    uint32_t nargs = 0, nenv = 0;
    int has_path = 0, rc;
    memset(r, 0, sizeof *r);
    r->window = PROTO_DEFAULT_WINDOW;
    r->rows = 24;
    r->cols = 80;
    if (tlv_validate(p, len) < 0)
        return EPROTO;
    /* pass 1: validate and count */
    tlv_begin(&it, p, len);
    while ((rc = tlv_next(&it, &t)) == 1) {
        switch (t.tag) {
        case TAG_ARG:
        case TAG_ENV:
            if (t.len > PROTO_MAX_ARG_LEN)
                return E2BIG;
            if (memchr(t.val, 0, t.len))
                return EINVAL;
            if (t.tag == TAG_ARG) {
                if (++nargs > PROTO_MAX_ARGS)
                    return E2BIG;
            } else {
                const uint8_t *eq = memchr(t.val, '=', t.len);
                if (!eq || eq == t.val)
                    return EINVAL;
                if (++nenv > PROTO_MAX_ENVS)
                    return E2BIG;
                if (t.len >= 5 && memcmp(t.val, "PATH=", 5) == 0)
                    has_path = 1;
            }
            break;
        case TAG_CWD:
            if (t.len == 0 || t.len > 4095 || memchr(t.val, 0, t.len))
                return EINVAL;
            r->has_cwd = 1;
            break;
        case TAG_USER:
            if (t.len == 0 || t.len > PROTO_MAX_USER || memchr(t.val, 0, t.len) || memchr(t.val, '/', t.len))
                return EINVAL;
            break;
        case TAG_TTY: {
            uint8_t v;
            if (tlv_u8(&t, &v) < 0 || v > 1)
                return EINVAL;
            r->tty = v;
            break;
        }
        case TAG_ROWS:
        case TAG_COLS: {
            uint32_t v;
            if (tlv_u32(&t, &v) < 0 || v < 1 || v > 65535)
                return EINVAL;
            if (t.tag == TAG_ROWS)
                r->rows = (uint16_t)v;
            else
                r->cols = (uint16_t)v;
            break;
        }
        case TAG_TIMEOUT_MS:
            if (tlv_u32(&t, &r->timeout_ms) < 0)
                return EINVAL;
            break;
        case TAG_STDIN: {
            uint8_t v;
            if (tlv_u8(&t, &v) < 0 || v > 1)
                return EINVAL;
            r->want_stdin = v;
            break;
        }
        case TAG_WINDOW:
            if (tlv_u32(&t, &r->window) < 0)
                return EINVAL;
            break;
        default:
            break; /* unknown tags are skipped */
        }
    }
    if (nargs == 0)
        return EINVAL;
    /* pass 2: copy */
    int add_path = !has_path && default_path;
    r->argv = calloc((size_t)nargs + 1, sizeof *r->argv);
    r->envp = calloc((size_t)nenv + 2, sizeof *r->envp);
    if (!r->argv || !r->envp)
        goto oom;
    tlv_begin(&it, p, len);
    while (tlv_next(&it, &t) == 1) {
        if (t.tag == TAG_ARG) {
            if (!(r->argv[r->argc] = dup_val(&t)))
                goto oom;
            r->argc++;
        } else if (t.tag == TAG_ENV) {
            if (!(r->envp[r->envc] = dup_val(&t)))
                goto oom;
            r->envc++;
        } else if (t.tag == TAG_CWD) {
            free(r->cwd);
            if (!(r->cwd = dup_val(&t)))
                goto oom;
        } else if (t.tag == TAG_USER) {
            free(r->user);
            if (!(r->user = dup_val(&t)))
                goto oom;
        }
    }
    if (add_path) {
        size_t n = strlen(default_path);
        if (!(r->envp[r->envc] = malloc(n + 6)))
            goto oom;
        memcpy(r->envp[r->envc], "PATH=", 5);
        memcpy(r->envp[r->envc] + 5, default_path, n + 1);
        r->envc++;
    }
    if (!r->cwd) {
        if (!(r->cwd = malloc(2)))
            goto oom;
        memcpy(r->cwd, "/", 2);
    }
    return 0;
oom:
    exec_req_free(r);
    return ENOMEM;
}

int req_attach(const uint8_t *p, size_t len, struct attach_req *r)
{
    struct tlv_it it;
    struct tlv t;
    int got_id = 0;
    memset(r, 0, sizeof *r);
    r->window = PROTO_DEFAULT_WINDOW;
    if (tlv_validate(p, len) < 0)
        return EPROTO;
    tlv_begin(&it, p, len);
    while (tlv_next(&it, &t) == 1) {
        int bad = 0;
        switch (t.tag) {
        case TAG_EXEC_ID: bad = tlv_u32(&t, &r->exec_id); got_id = 1; break;
        case TAG_STDOUT_OFFSET: bad = tlv_u64(&t, &r->stdout_off); break;
        case TAG_STDERR_OFFSET: bad = tlv_u64(&t, &r->stderr_off); break;
        case TAG_WINDOW: bad = tlv_u32(&t, &r->window); break;
        default: break;
        }
        if (bad)
            return EINVAL;
    }
    return got_id ? 0 : EINVAL;
}

int req_exec_id(const uint8_t *p, size_t len, uint32_t *id)
{
    struct tlv_it it;
    struct tlv t;
    int got = 0;
    if (tlv_validate(p, len) < 0)
        return EPROTO;
    tlv_begin(&it, p, len);
    while (tlv_next(&it, &t) == 1)
        if (t.tag == TAG_EXEC_ID) {
            if (tlv_u32(&t, id) < 0)
                return EINVAL;
            got = 1;
        }
    return got ? 0 : EINVAL;
}

int req_signal(const uint8_t *p, size_t len, uint32_t *sig)
{
    struct tlv_it it;
    struct tlv t;
    int got = 0;
    if (tlv_validate(p, len) < 0)
        return EPROTO;
    tlv_begin(&it, p, len);
    while (tlv_next(&it, &t) == 1)
        if (t.tag == TAG_SIGNAL) {
            if (tlv_u32(&t, sig) < 0)
                return EINVAL;
            got = 1;
        }
    if (!got || *sig < 1 || *sig > 64)
        return EINVAL;
    return 0;
}

int req_signal_id(const uint8_t *p, size_t len, uint32_t *sig, uint32_t *id, int *has_id)
{
    struct tlv_it it;
    struct tlv t;
    *has_id = 0;
    if (tlv_validate(p, len) < 0)
        return EPROTO;
    /* EXEC_ID first, so a bad SIGNAL that names an execution still gets its ERROR reply */
    tlv_begin(&it, p, len);
    while (tlv_next(&it, &t) == 1)
        if (t.tag == TAG_EXEC_ID) {
            *has_id = 1;
            if (tlv_u32(&t, id) < 0)
                return EINVAL;
        }
    return req_signal(p, len, sig);
}

int req_resize(const uint8_t *p, size_t len, uint16_t *rows, uint16_t *cols)
{
    struct tlv_it it;
    struct tlv t;
    int got = 0;
    if (tlv_validate(p, len) < 0)
        return EPROTO;
    tlv_begin(&it, p, len);
    while (tlv_next(&it, &t) == 1) {
        if (t.tag != TAG_ROWS && t.tag != TAG_COLS)
            continue;
        uint32_t v;
        if (tlv_u32(&t, &v) < 0 || v < 1 || v > 65535)
            return EINVAL;
        if (t.tag == TAG_ROWS)
            *rows = (uint16_t)v;
        else
            *cols = (uint16_t)v;
        got |= t.tag == TAG_ROWS ? 1 : 2;
    }
    return got == 3 ? 0 : EINVAL;
}

static int path_tlv(const struct tlv *t, char *out)
{
    if (t->len == 0 || t->len > PROTO_MAX_PATH || t->val[0] != '/' || memchr(t->val, 0, t->len))
        return -1;
    memcpy(out, t->val, t->len);
    out[t->len] = 0;
    return 0;
}

static int flag_tlv(const struct tlv *t, int *out)
{
    uint8_t v;
    if (tlv_u8(t, &v) < 0 || v > 1)
        return -1;
    *out = v;
    return 0;
}

int req_file(const uint8_t *p, size_t len, struct file_req *r)
{
    struct tlv_it it;
    struct tlv t;
    memset(r, 0, sizeof *r);
    r->window = PROTO_DEFAULT_WINDOW;
    if (tlv_validate(p, len) < 0)
        return EPROTO;
    tlv_begin(&it, p, len);
    while (tlv_next(&it, &t) == 1) {
        int bad = 0;
        switch (t.tag) {
        case TAG_PATH: bad = path_tlv(&t, r->path); r->has_path = 1; break;
        case TAG_TO: bad = path_tlv(&t, r->to); r->has_to = 1; break;
        case TAG_OWNER:
            bad = t.len == 0 || tlv_str(&t, r->owner, sizeof r->owner) < 0 || strchr(r->owner, '/');
            r->has_owner = 1;
            break;
        case TAG_MODE: bad = tlv_u32(&t, &r->mode) < 0 || r->mode > 07777; r->has_mode = 1; break;
        case TAG_PARENTS: bad = flag_tlv(&t, &r->parents); break;
        case TAG_EXCLUSIVE: bad = flag_tlv(&t, &r->exclusive); break;
        case TAG_APPEND: bad = flag_tlv(&t, &r->append); break;
        case TAG_OVERWRITE: bad = flag_tlv(&t, &r->overwrite); break;
        case TAG_RECURSIVE: bad = flag_tlv(&t, &r->recursive); break;
        case TAG_OFFSET: bad = tlv_u64(&t, &r->offset); break;
        case TAG_LENGTH: bad = tlv_u64(&t, &r->length); break;
        case TAG_WINDOW: bad = tlv_u32(&t, &r->window); break;
        default: break;
        }
        if (bad)
            return EINVAL;
    }
    return r->has_path ? 0 : EINVAL;
}

int req_file_end(const uint8_t *p, size_t len, int *abort_upload)
{
    struct tlv_it it;
    struct tlv t;
    *abort_upload = 0;
    if (tlv_validate(p, len) < 0)
        return EPROTO;
    tlv_begin(&it, p, len);
    while (tlv_next(&it, &t) == 1)
        if (t.tag == TAG_ABORT && flag_tlv(&t, abort_upload) < 0)
            return EINVAL;
    return 0;
}

int parse_uid_gid(const char *s, uint32_t *uid, uint32_t *gid, int *has_gid)
{
    uint64_t v = 0;
    const char *c = s;
    *has_gid = 0;
    if (*c < '0' || *c > '9')
        return -1;
    for (; *c >= '0' && *c <= '9'; c++)
        if ((v = v * 10 + (uint64_t)(*c - '0')) >= 0xFFFFFFFFu)
            return -1;
    *uid = (uint32_t)v;
    if (*c == 0)
        return 0;
    if (*c++ != ':' || *c < '0' || *c > '9')
        return -1;
    for (v = 0; *c >= '0' && *c <= '9'; c++)
        if ((v = v * 10 + (uint64_t)(*c - '0')) >= 0xFFFFFFFFu)
            return -1;
    if (*c)
        return -1;
    *gid = (uint32_t)v;
    *has_gid = 1;
    return 0;
}

int req_credit(const uint8_t *p, size_t len, uint32_t *credit)
{
    if (len != 4)
        return EINVAL;
    *credit = be32_get(p);
    return 0;
}

int req_resync(const uint8_t *p, size_t len, struct resync_req *r)
{
    struct tlv_it it;
    struct tlv t;
    memset(r, 0, sizeof *r);
    if (tlv_validate(p, len) < 0)
        return EPROTO;
    tlv_begin(&it, p, len);
    while (tlv_next(&it, &t) == 1) {
        if (t.tag == TAG_REALTIME_NS) {
            if (tlv_u64(&t, &r->realtime_ns) < 0)
                return EINVAL;
            r->has_time = 1;
        } else if (t.tag == TAG_ENTROPY) {
            if (t.len < 1 || t.len > 256)
                return EINVAL;
            r->entropy = t.val;
            r->entropy_len = t.len;
        }
    }
    return 0;
}

static int str_tlv(const struct tlv *t, char *out, size_t outsz)
{
    return tlv_str(t, out, outsz) < 0 ? -1 : 0;
}

int req_netcfg(const uint8_t *p, size_t len, struct netcfg_req *r)
{
    struct tlv_it it;
    struct tlv t;
    char s[64];
    memset(r, 0, sizeof *r);
    memcpy(r->iface, "eth0", 5);
    if (tlv_validate(p, len) < 0)
        return EPROTO;
    tlv_begin(&it, p, len);
    while (tlv_next(&it, &t) == 1) {
        switch (t.tag) {
        case TAG_IFACE:
            if (str_tlv(&t, r->iface, sizeof r->iface) < 0 || !r->iface[0])
                return EINVAL;
            for (const char *c = r->iface; *c; c++)
                if (*c == '/' || *c <= ' ' || *c > '~')
                    return EINVAL;
            break;
        case TAG_MAC:
            if (str_tlv(&t, s, sizeof s) < 0 || parse_mac(s, r->mac) < 0)
                return EINVAL;
            r->has_mac = 1;
            break;
        case TAG_ADDR:
            if (str_tlv(&t, s, sizeof s) < 0 || parse_ipv4_cidr(s, r->addr, &r->prefix) < 0)
                return EINVAL;
            r->has_addr = 1;
            break;
        case TAG_GATEWAY:
            if (str_tlv(&t, s, sizeof s) < 0 || parse_ipv4(s, r->gw) < 0)
                return EINVAL;
            r->has_gw = 1;
            break;
        case TAG_DNS:
            if (r->ndns >= PROTO_MAX_DNS)
                return E2BIG;
            if (str_tlv(&t, r->dns[r->ndns], sizeof r->dns[0]) < 0 ||
                !valid_nameserver(r->dns[r->ndns]))
                return EINVAL;
            r->ndns++;
            break;
        case TAG_HOSTNAME:
            if (str_tlv(&t, r->hostname, sizeof r->hostname) < 0 || !valid_hostname(r->hostname))
                return EINVAL;
            r->has_hostname = 1;
            break;
        default:
            break;
        }
    }
    return 0;
}

static int parse_u8_dec(const char **sp, unsigned max, unsigned *out)
{
    const char *s = *sp;
    unsigned v = 0;
    int digits = 0;
    while (*s >= '0' && *s <= '9') {
        if (digits && v == 0)
            return -1; /* no leading zeros */
        v = v * 10 + (unsigned)(*s - '0');
        if (v > max || ++digits > 3)
            return -1;
        s++;
    }
    if (!digits)
        return -1;
    *out = v;
    *sp = s;
    return 0;
}

static int parse_ipv4_prefix(const char **sp, uint8_t out[4])
{
    for (int i = 0; i < 4; i++) {
        unsigned v;
        if (i && *(*sp)++ != '.')
            return -1;
        if (parse_u8_dec(sp, 255, &v) < 0)
            return -1;
        out[i] = (uint8_t)v;
    }
    return 0;
}

int parse_ipv4(const char *s, uint8_t out[4])
{
    if (parse_ipv4_prefix(&s, out) < 0 || *s)
        return -1;
    return 0;
}

int parse_ipv4_cidr(const char *s, uint8_t out[4], uint8_t *prefix)
{
    unsigned v;
    if (parse_ipv4_prefix(&s, out) < 0 || *s++ != '/' || parse_u8_dec(&s, 32, &v) < 0 || *s)
        return -1;
    *prefix = (uint8_t)v;
    return 0;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int parse_mac(const char *s, uint8_t out[6])
{
    for (int i = 0; i < 6; i++) {
        if (i && *s++ != ':')
            return -1;
        int h = hexval(s[0]), l = h < 0 ? -1 : hexval(s[1]);
        if (h < 0 || l < 0)
            return -1;
        out[i] = (uint8_t)(h << 4 | l);
        s += 2;
    }
    return *s ? -1 : 0;
}

int valid_hostname(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 64 || s[0] == '-' || s[0] == '.')
        return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '-' || *s == '.'))
            return 0;
    return 1;
}

int valid_nameserver(const char *s)
{
    uint8_t a[4];
    if (parse_ipv4(s, a) == 0)
        return 1;
    /* IPv6 literal: hex digits, ':' and '.', optional %zone of [A-Za-z0-9_-] */
    int colons = 0;
    const char *c = s;
    for (; *c && *c != '%'; c++) {
        if (*c == ':')
            colons++;
        else if (hexval(*c) < 0 && *c != '.')
            return 0;
    }
    if (colons < 2 || c - s > 45)
        return 0;
    if (*c == '%') {
        if (!c[1])
            return 0;
        for (c++; *c; c++)
            if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
                  (*c >= '0' && *c <= '9') || *c == '_' || *c == '-'))
                return 0;
    }
    return 1;
}
