/* test_proto.c — native hostile-input tests of proto.c (run under ASan + UBSan by `make test`).
 * Every case asserts outcomes (events, payloads, error kinds), not just the absence of a crash. */
#include "proto.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int g_passed, g_failed, g_case_failed;
static const char *g_case;

#define CHECK(cond)                                                                            \
    do {                                                                                       \
        if (!(cond)) {                                                                         \
            if (!g_case_failed)                                                                \
                fprintf(stderr, "FAIL %s\n", g_case);                                          \
            fprintf(stderr, "  %s:%d: %s\n", __FILE__, __LINE__, #cond);                       \
            g_case_failed = 1;                                                                 \
        }                                                                                      \
    } while (0)

#define RUN(fn)                                                                                \
    do {                                                                                       \
        g_case = #fn;                                                                          \
        g_case_failed = 0;                                                                     \
        fn();                                                                                  \
        if (g_case_failed)                                                                     \
            g_failed++;                                                                        \
        else                                                                                   \
            g_passed++;                                                                        \
    } while (0)

/* ---- helpers ---- */
static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint64_t rnd(void)
{
    uint64_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return rng_state = x;
}

static uint64_t fnv(const uint8_t *p, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 1099511628211ull;
    return h;
}

struct bytes {
    uint8_t *d;
    size_t n, cap;
};
static void put(struct bytes *b, const void *p, size_t n)
{
    if (b->n + n > b->cap) {
        b->cap = (b->n + n) * 2 + 64;
        b->d = realloc(b->d, b->cap);
        if (!b->d)
            abort();
    }
    if (n)
        memcpy(b->d + b->n, p, n);
    b->n += n;
}
static void put_marker(struct bytes *b) { put(b, PROTO_MARKER_HELLO, 8); }
static void put_frame(struct bytes *b, uint8_t type, uint32_t stream, const void *p, uint32_t n)
{
    uint8_t h[9];
    be32_put(h, n);
    h[4] = type;
    be32_put(h + 5, stream);
    put(b, h, 9);
    put(b, p, n);
}
static void put_raw_header(struct bytes *b, uint32_t len, uint8_t type, uint32_t stream)
{
    uint8_t h[9];
    be32_put(h, len);
    h[4] = type;
    be32_put(h + 5, stream);
    put(b, h, 9);
}

struct rec {
    enum dec_event ev;
    uint8_t type;
    uint32_t stream, len;
    uint64_t hash;
    enum dec_error err;
};
struct recs {
    struct rec v[8192];
    size_t n;
    int stuck;
};

static uint8_t *g_payload;
static struct decoder g_dec;

static void dec_new(void) { dec_init(&g_dec, PROTO_MARKER_HELLO, g_payload, PROTO_MAX_PAYLOAD); }

static void feed(const uint8_t *p, size_t n, uint64_t now, struct recs *out)
{
    int zero = 0;
    while (n > 0) {
        enum dec_event ev;
        size_t c = dec_push(&g_dec, p, n, now, &ev);
        if (c > n) {
            out->stuck = 1;
            return;
        }
        if (ev != DEC_NONE && out->n < sizeof out->v / sizeof out->v[0]) {
            struct rec r = {ev, 0, 0, 0, 0, DERR_NONE};
            if (ev == DEC_FRAME) {
                r.type = g_dec.type;
                r.stream = g_dec.stream;
                r.len = g_dec.len;
                r.hash = fnv(g_dec.payload, g_dec.len);
                if (g_dec.len > PROTO_MAX_PAYLOAD)
                    out->stuck = 1;
            }
            if (ev == DEC_ERROR)
                r.err = g_dec.error;
            out->v[out->n++] = r;
        }
        if (c == 0 && ++zero > 1) { /* no progress twice: would loop forever */
            out->stuck = 1;
            return;
        }
        if (c)
            zero = 0;
        p += c;
        n -= c;
    }
}

/* Feed in chunks given by a list of split points. */
static void feed_split(const uint8_t *p, size_t n, const size_t *cuts, size_t ncuts, struct recs *out)
{
    size_t at = 0;
    for (size_t i = 0; i <= ncuts; i++) {
        size_t end = i < ncuts ? cuts[i] : n;
        if (end > at) {
            feed(p + at, end - at, 1000, out);
            at = end;
        }
    }
}

static int recs_equal(const struct recs *a, const struct recs *b)
{
    if (a->n != b->n || a->stuck || b->stuck)
        return 0;
    for (size_t i = 0; i < a->n; i++)
        if (a->v[i].ev != b->v[i].ev || a->v[i].type != b->v[i].type ||
            a->v[i].stream != b->v[i].stream || a->v[i].len != b->v[i].len ||
            a->v[i].hash != b->v[i].hash || a->v[i].err != b->v[i].err)
            return 0;
    return 1;
}

static struct recs *recs_new(void)
{
    struct recs *r = calloc(1, sizeof *r);
    if (!r)
        abort();
    return r;
}

/* A reference stream used by several cases: garbage, marker, frames incl. zero-length, a boundary
 * marker, a frame. */
static struct bytes sample_stream(void)
{
    struct bytes b = {0};
    put(&b, "\x01garbage AB ABX ABXHELO ABXHELO0 \xff\x00", 35);
    put_marker(&b);
    put_frame(&b, FT_HELLO, 0, "0123456789", 10);
    put_frame(&b, FT_PING, 7, "", 0);
    put_marker(&b);
    put_frame(&b, FT_STDIN, 9, "hello world", 11);
    put_frame(&b, 0xEE, 3, "??", 2);
    return b;
}

static void expect_sample(const struct recs *r)
{
    CHECK(!r->stuck);
    CHECK(r->n == 6);
    if (r->n != 6)
        return;
    CHECK(r->v[0].ev == DEC_MARKER);
    CHECK(r->v[1].ev == DEC_FRAME && r->v[1].type == FT_HELLO && r->v[1].stream == 0 &&
          r->v[1].len == 10 && r->v[1].hash == fnv((const uint8_t *)"0123456789", 10));
    CHECK(r->v[2].ev == DEC_FRAME && r->v[2].type == FT_PING && r->v[2].stream == 7 &&
          r->v[2].len == 0);
    CHECK(r->v[3].ev == DEC_MARKER);
    CHECK(r->v[4].ev == DEC_FRAME && r->v[4].type == FT_STDIN && r->v[4].stream == 9 &&
          r->v[4].len == 11);
    CHECK(r->v[5].ev == DEC_FRAME && r->v[5].type == 0xEE && r->v[5].len == 2);
}

/* ---- decoder cases ---- */
static void t_basic_and_garbage_before_marker(void)
{
    struct bytes b = sample_stream();
    struct recs *r = recs_new();
    dec_new();
    feed(b.d, b.n, 1000, r);
    expect_sample(r);
    CHECK(g_dec.state == DEC_BOUNDARY);
    CHECK(g_dec.discarded >= 35 - 1);
    free(r);
    free(b.d);
}

static void t_split_every_boundary(void)
{
    struct bytes b = sample_stream();
    struct recs *ref = recs_new(), *r = recs_new();
    dec_new();
    feed(b.d, b.n, 1000, ref);
    expect_sample(ref);
    int bad = 0;
    /* every single cut, and every pair of cuts */
    for (size_t i = 0; i <= b.n; i++)
        for (size_t j = i; j <= b.n; j++) {
            size_t cuts[2] = {i, j};
            memset(r, 0, sizeof *r);
            dec_new();
            feed_split(b.d, b.n, cuts, 2, r);
            if (!recs_equal(ref, r))
                bad++;
        }
    CHECK(bad == 0);
    /* byte by byte */
    memset(r, 0, sizeof *r);
    dec_new();
    for (size_t i = 0; i < b.n; i++)
        feed(b.d + i, 1, 1000, r);
    CHECK(recs_equal(ref, r));
    free(ref);
    free(r);
    free(b.d);
}

static void t_marker_prefix_overlaps(void)
{
    /* "ABXABXHELO1", "AABXHELO1" and "ABXHELOABXHELO1" must all find the marker */
    const char *cases[] = {"ABXABXHELO1", "AABXHELO1", "ABXHELOABXHELO1", "ABXHELO ABXHELO1"};
    for (size_t k = 0; k < 4; k++) {
        struct recs *r = recs_new();
        dec_new();
        feed((const uint8_t *)cases[k], strlen(cases[k]), 1000, r);
        CHECK(r->n == 1 && r->v[0].ev == DEC_MARKER);
        CHECK(g_dec.state == DEC_BOUNDARY);
        free(r);
    }
}

static void t_bad_byte_at_boundary_rescans(void)
{
    /* after a frame, "ABXABXHELO1" at the boundary: the first "ABX" is a broken marker (error),
     * but the real marker right after it must still be found */
    struct bytes b = {0};
    put_marker(&b);
    put_frame(&b, FT_PING, 1, "x", 1);
    put(&b, "ABXABXHELO1", 11);
    put_frame(&b, FT_PING, 2, "y", 1);
    put(&b, "Z", 1); /* plain bad byte */
    put_frame(&b, FT_PING, 3, "z", 1); /* hunted over: dropped */
    put_marker(&b);
    put_frame(&b, FT_PING, 4, "w", 1);
    struct recs *r = recs_new();
    dec_new();
    feed(b.d, b.n, 1000, r);
    CHECK(r->n == 8);
    if (r->n == 8) {
        CHECK(r->v[0].ev == DEC_MARKER);
        CHECK(r->v[1].ev == DEC_FRAME && r->v[1].stream == 1);
        CHECK(r->v[2].ev == DEC_ERROR && r->v[2].err == DERR_BAD_BYTE);
        CHECK(r->v[3].ev == DEC_MARKER);
        CHECK(r->v[4].ev == DEC_FRAME && r->v[4].stream == 2);
        CHECK(r->v[5].ev == DEC_ERROR && r->v[5].err == DERR_BAD_BYTE);
        CHECK(r->v[6].ev == DEC_MARKER);
        CHECK(r->v[7].ev == DEC_FRAME && r->v[7].stream == 4);
    }
    free(r);
    free(b.d);
}

static void t_nothing_before_marker(void)
{
    /* valid frames without a marker are discarded while hunting */
    struct bytes b = {0};
    put_frame(&b, FT_HELLO, 0, "abc", 3);
    put_frame(&b, FT_PING, 1, "", 0);
    struct recs *r = recs_new();
    dec_new();
    feed(b.d, b.n, 1000, r);
    CHECK(r->n == 0 && !r->stuck);
    CHECK(g_dec.state == DEC_HUNT);
    free(r);
    free(b.d);
}

static void t_zero_length_payloads(void)
{
    struct bytes b = {0};
    put_marker(&b);
    for (int i = 0; i < 100; i++)
        put_frame(&b, FT_SHUTDOWN, (uint32_t)i + 1, "", 0);
    struct recs *r = recs_new();
    dec_new();
    feed(b.d, b.n, 1000, r);
    CHECK(r->n == 101);
    int ok = 1;
    for (size_t i = 1; i < r->n; i++)
        ok &= r->v[i].ev == DEC_FRAME && r->v[i].len == 0 && r->v[i].stream == i;
    CHECK(ok);
    free(r);
    free(b.d);
}

static void t_oversized_length(void)
{
    struct bytes b = {0};
    put_marker(&b);
    put_raw_header(&b, PROTO_MAX_PAYLOAD + 1, FT_STDIN, 5);
    for (int i = 0; i < 1000; i++) /* payload bytes of the bogus frame: hunted over */
        put(&b, "\x00q", 2);
    put_marker(&b);
    put_frame(&b, FT_PING, 6, "ok", 2);
    struct recs *r = recs_new();
    dec_new();
    feed(b.d, b.n, 1000, r);
    CHECK(r->n == 4);
    if (r->n == 4) {
        CHECK(r->v[0].ev == DEC_MARKER);
        CHECK(r->v[1].ev == DEC_ERROR && r->v[1].err == DERR_OVERSIZE);
        CHECK(r->v[2].ev == DEC_MARKER);
        CHECK(r->v[3].ev == DEC_FRAME && r->v[3].stream == 6 && r->v[3].len == 2);
    }
    /* 0x00FFFFFF: first byte 0x00, still too long */
    memset(r, 0, sizeof *r);
    b.n = 0;
    put_marker(&b);
    put_raw_header(&b, 0x00FFFFFFu, 1, 1);
    dec_new();
    feed(b.d, b.n, 1000, r);
    CHECK(r->n == 2 && r->v[1].ev == DEC_ERROR && r->v[1].err == DERR_OVERSIZE);
    CHECK(g_dec.state == DEC_HUNT);
    /* 0xFFFFFFFF: a non-zero first byte can only be a marker, so it is a bad byte at once */
    memset(r, 0, sizeof *r);
    b.n = 0;
    put_marker(&b);
    put_raw_header(&b, 0xFFFFFFFFu, 1, 1);
    dec_new();
    feed(b.d, b.n, 1000, r);
    CHECK(r->n == 2 && r->v[1].ev == DEC_ERROR && r->v[1].err == DERR_BAD_BYTE);
    CHECK(g_dec.state == DEC_HUNT);
    free(r);
    free(b.d);
}

static void t_max_length_accepted(void)
{
    struct bytes b = {0};
    uint8_t *big = malloc(PROTO_MAX_PAYLOAD);
    for (size_t i = 0; i < PROTO_MAX_PAYLOAD; i++)
        big[i] = (uint8_t)rnd();
    put_marker(&b);
    put_frame(&b, FT_STDIN, 11, big, PROTO_MAX_PAYLOAD);
    put_frame(&b, FT_STDIN_EOF, 11, "", 0);
    struct recs *r = recs_new();
    dec_new();
    /* random chunk sizes */
    size_t at = 0;
    while (at < b.n) {
        size_t c = 1 + rnd() % 70000;
        if (c > b.n - at)
            c = b.n - at;
        feed(b.d + at, c, 1000, r);
        at += c;
    }
    CHECK(r->n == 3);
    if (r->n == 3) {
        CHECK(r->v[1].ev == DEC_FRAME && r->v[1].len == PROTO_MAX_PAYLOAD &&
              r->v[1].hash == fnv(big, PROTO_MAX_PAYLOAD));
        CHECK(r->v[2].ev == DEC_FRAME && r->v[2].type == FT_STDIN_EOF);
    }
    free(big);
    free(r);
    free(b.d);
}

static void t_truncated_frame_expires(void)
{
    struct bytes b = {0};
    put_marker(&b);
    put_raw_header(&b, 100, FT_STDIN, 3);
    put(&b, "only fifty bytes of payload, not a hundred.......", 50);
    struct recs *r = recs_new();
    dec_new();
    feed(b.d, b.n, 10000, r);
    CHECK(r->n == 1 && r->v[0].ev == DEC_MARKER);
    CHECK(dec_partial(&g_dec));
    CHECK(dec_expire(&g_dec, 10000 + PROTO_PARTIAL_MS - 1) == 0);
    CHECK(dec_expire(&g_dec, 10000 + PROTO_PARTIAL_MS) == 1);
    CHECK(g_dec.state == DEC_HUNT && g_dec.error == DERR_EXPIRED);
    /* recovery */
    b.n = 0;
    put_marker(&b);
    put_frame(&b, FT_PING, 4, "p", 1);
    memset(r, 0, sizeof *r);
    feed(b.d, b.n, 13000, r);
    CHECK(r->n == 2 && r->v[1].ev == DEC_FRAME && r->v[1].stream == 4);

    /* expiry noticed on the next push: the new marker must not be swallowed as payload */
    b.n = 0;
    put_raw_header(&b, 1000, FT_STDIN, 5);
    put(&b, "partial", 7);
    memset(r, 0, sizeof *r);
    feed(b.d, b.n, 20000, r);
    CHECK(r->n == 0 && dec_partial(&g_dec));
    b.n = 0;
    put_marker(&b);
    put_frame(&b, FT_PING, 6, "q", 1);
    feed(b.d, b.n, 20000 + PROTO_PARTIAL_MS + 500, r);
    CHECK(r->n == 3);
    if (r->n == 3) {
        CHECK(r->v[0].ev == DEC_ERROR && r->v[0].err == DERR_EXPIRED);
        CHECK(r->v[1].ev == DEC_MARKER);
        CHECK(r->v[2].ev == DEC_FRAME && r->v[2].stream == 6);
    }
    /* within 2 s the same bytes are payload (no expiry) */
    b.n = 0;
    put_raw_header(&b, 20, FT_STDIN, 7);
    memset(r, 0, sizeof *r);
    feed(b.d, b.n, 30000, r);
    b.n = 0;
    put_marker(&b);
    put_frame(&b, FT_PING, 8, "", 0); /* 8 + 9 = 17 bytes of payload ... */
    put(&b, "abc", 3);                /* ... + 3 = 20: completes the frame */
    feed(b.d, b.n, 30000 + PROTO_PARTIAL_MS - 1, r);
    CHECK(r->n == 1 && r->v[0].ev == DEC_FRAME && r->v[0].stream == 7 && r->v[0].len == 20);
    /* touch restarts the clock */
    b.n = 0;
    put_raw_header(&b, 5, FT_STDIN, 9);
    memset(r, 0, sizeof *r);
    feed(b.d, b.n, 40000, r);
    dec_touch(&g_dec, 41900);
    CHECK(dec_expire(&g_dec, 42100) == 0);
    CHECK(dec_expire(&g_dec, 43900) == 1);
    free(r);
    free(b.d);
}

static void t_partial_clock_starts_after_chunk(void)
{
    /* chunk read at t=1000 holds a complete frame and the start of another; handling it takes
     * until t=4000 (e.g. starting processes): the partial frame's clock starts at 4000 */
    struct bytes b = {0};
    put_marker(&b);
    put_frame(&b, FT_EXEC_START, 1, "slow", 4);
    put_raw_header(&b, 10, FT_PING, 2);
    put(&b, "0123", 4);
    struct recs *r = recs_new();
    dec_new();
    feed(b.d, b.n, 1000, r);
    CHECK(r->n == 2 && dec_partial(&g_dec));
    dec_chunk_done(&g_dec, 1000, 4000);
    CHECK(dec_expire(&g_dec, 5999) == 0);
    /* the next chunk (t=5500) continues the frame, no clock reset; completes it */
    memset(r, 0, sizeof *r);
    feed((const uint8_t *)"456789", 6, 5500, r);
    dec_chunk_done(&g_dec, 5500, 5600);
    CHECK(r->n == 1 && r->v[0].ev == DEC_FRAME && r->v[0].stream == 2);
    /* a frame begun in an earlier chunk keeps its clock across later chunks */
    b.n = 0;
    put_raw_header(&b, 10, FT_PING, 3);
    memset(r, 0, sizeof *r);
    feed(b.d, b.n, 7000, r);
    dec_chunk_done(&g_dec, 7000, 7100);       /* began in this chunk: clock = 7100 */
    feed((const uint8_t *)"ab", 2, 8000, r);
    dec_chunk_done(&g_dec, 8000, 8500);       /* began earlier: clock stays 7100 */
    CHECK(dec_expire(&g_dec, 9099) == 0);
    CHECK(dec_expire(&g_dec, 9100) == 1);
    free(r);
    free(b.d);
}

static void t_partial_boundary_marker_expires(void)
{
    struct bytes b = {0};
    put_marker(&b);
    put(&b, "ABX", 3);
    struct recs *r = recs_new();
    dec_new();
    feed(b.d, b.n, 5000, r);
    CHECK(r->n == 1 && dec_partial(&g_dec));
    CHECK(dec_expire(&g_dec, 5000 + PROTO_PARTIAL_MS) == 1);
    CHECK(g_dec.state == DEC_HUNT && g_dec.mpos == 0);
    free(r);
    free(b.d);
}

static void t_repeated_markers(void)
{
    struct bytes b = {0};
    put_marker(&b);
    put_marker(&b);
    put_marker(&b);
    put_frame(&b, FT_HELLO, 0, "n", 1);
    put_marker(&b);
    put_frame(&b, FT_HELLO, 0, "n", 1);
    struct recs *r = recs_new();
    dec_new();
    feed(b.d, b.n, 1000, r);
    CHECK(r->n == 6);
    if (r->n == 6)
        CHECK(r->v[0].ev == DEC_MARKER && r->v[1].ev == DEC_MARKER && r->v[2].ev == DEC_MARKER &&
              r->v[3].ev == DEC_FRAME && r->v[4].ev == DEC_MARKER && r->v[5].ev == DEC_FRAME);
    free(r);
    free(b.d);
}

static void t_flood_structured(void)
{
    /* 2000 segments of [garbage without 'A'/0x00 | marker | random frame]: every segment after
     * the first yields exactly ERROR(bad byte), MARKER, FRAME with the right payload. */
    struct bytes b = {0};
    uint64_t hashes[2000];
    uint32_t lens[2000];
    uint8_t tmp[4096];
    for (int s = 0; s < 2000; s++) {
        size_t g = 1 + rnd() % 300;
        for (size_t i = 0; i < g; i++) {
            uint8_t c;
            do
                c = (uint8_t)rnd();
            while (c == 'A' || c == 0);
            tmp[i] = c;
        }
        put(&b, tmp, g);
        put_marker(&b);
        lens[s] = (uint32_t)(rnd() % 4096);
        for (uint32_t i = 0; i < lens[s]; i++)
            tmp[i] = (uint8_t)rnd();
        hashes[s] = fnv(tmp, lens[s]);
        put_frame(&b, (uint8_t)rnd(), (uint32_t)s, tmp, lens[s]);
    }
    struct recs *r = recs_new();
    dec_new();
    size_t at = 0;
    while (at < b.n) {
        size_t c = 1 + rnd() % 5000;
        if (c > b.n - at)
            c = b.n - at;
        feed(b.d + at, c, 1000, r);
        at += c;
    }
    CHECK(!r->stuck);
    CHECK(r->n == 2 + 3 * 1999);
    int ok = r->n == 2 + 3 * 1999;
    for (int s = 0; ok && s < 2000; s++) {
        size_t base = s == 0 ? 0 : 2 + 3 * (size_t)(s - 1) + 1;
        if (s > 0)
            ok &= r->v[base - 1].ev == DEC_ERROR && r->v[base - 1].err == DERR_BAD_BYTE;
        ok &= r->v[base].ev == DEC_MARKER;
        ok &= r->v[base + 1].ev == DEC_FRAME && r->v[base + 1].stream == (uint32_t)s &&
              r->v[base + 1].len == lens[s] && r->v[base + 1].hash == hashes[s];
    }
    CHECK(ok);
    free(r);
    free(b.d);
}

static void t_flood_random(void)
{
    /* 8 million random bytes (with markers sprinkled in) fed in random chunk sizes: no crash, no
     * frame larger than 1 MiB, consistent counters; afterwards the decoder still recovers. */
    size_t n = 8u << 20;
    uint8_t *p = malloc(n);
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)rnd();
    for (int k = 0; k < 2000; k++) { /* markers and small plausible headers */
        size_t at = rnd() % (n - 32);
        memcpy(p + at, PROTO_MARKER_HELLO, 8);
        if (k % 2) {
            be32_put(p + at + 8, (uint32_t)(rnd() % 64));
            p[at + 12] = (uint8_t)rnd();
        }
    }
    struct recs *r = recs_new();
    dec_new();
    size_t at = 0;
    uint64_t now = 1000;
    while (at < n) {
        size_t c = 1 + rnd() % 9000;
        if (c > n - at)
            c = n - at;
        r->n = 0; /* only the invariants matter here */
        feed(p + at, c, now, r);
        if (r->stuck)
            break;
        at += c;
        now += rnd() % 3; /* time advances slowly */
    }
    CHECK(!r->stuck);
    CHECK(g_dec.markers >= 1000);
    CHECK(g_dec.errors > 0);
    /* recovery: after a possible giant partial frame expires, marker + frame decode cleanly */
    struct bytes b = {0};
    put_marker(&b);
    put_frame(&b, FT_PING, 42, "alive", 5);
    memset(r, 0, sizeof *r);
    feed(b.d, b.n, now + PROTO_PARTIAL_MS, r);
    CHECK(r->n >= 2 && r->v[r->n - 1].ev == DEC_FRAME && r->v[r->n - 1].stream == 42);
    free(b.d);
    free(r);
    free(p);
}

/* ---- TLV cases ---- */
static void t_tlv_reader(void)
{
    struct buf b;
    buf_init(&b, 0);
    tlv_put_str(&b, TAG_ARG, "echo");
    tlv_put_str(&b, TAG_ARG, "");
    tlv_put_u32(&b, TAG_TIMEOUT_MS, 1234);
    tlv_put_u64(&b, TAG_STDOUT_OFFSET, 0x0102030405060708ull);
    tlv_put_u8(&b, TAG_STDIN, 1);
    CHECK(!b.failed);
    CHECK(tlv_validate(buf_data(&b), b.len) == 0);
    struct tlv_it it;
    struct tlv t;
    tlv_begin(&it, buf_data(&b), b.len);
    CHECK(tlv_next(&it, &t) == 1 && t.tag == TAG_ARG && t.len == 4 && !memcmp(t.val, "echo", 4));
    CHECK(tlv_next(&it, &t) == 1 && t.tag == TAG_ARG && t.len == 0);
    uint32_t u32;
    uint64_t u64;
    uint8_t u8;
    CHECK(tlv_next(&it, &t) == 1 && tlv_u32(&t, &u32) == 0 && u32 == 1234);
    CHECK(tlv_u64(&t, &u64) == -1 && tlv_u8(&t, &u8) == -1);
    CHECK(tlv_next(&it, &t) == 1 && tlv_u64(&t, &u64) == 0 && u64 == 0x0102030405060708ull);
    CHECK(tlv_next(&it, &t) == 1 && tlv_u8(&t, &u8) == 0 && u8 == 1);
    CHECK(tlv_next(&it, &t) == 0);
    /* empty payload is valid */
    CHECK(tlv_validate(NULL, 0) == 0);
    /* every truncation of a valid sequence except at TLV boundaries is malformed */
    size_t bounds[] = {0, 10, 16, 26, 40, 47};
    int bad = 0;
    for (size_t cut = 0; cut <= b.len; cut++) {
        int is_bound = 0;
        for (size_t k = 0; k < 6; k++)
            is_bound |= bounds[k] == cut;
        if ((tlv_validate(buf_data(&b), cut) == 0) != is_bound)
            bad++;
    }
    CHECK(bad == 0);
    buf_free(&b);
}

static void t_tlv_runs_past_payload(void)
{
    uint8_t p[32] = {0};
    /* tag 0x10, len 0xFFFFFFF0: far past the end */
    be16_put(p, TAG_ARG);
    be32_put(p + 2, 0xFFFFFFF0u);
    CHECK(tlv_validate(p, sizeof p) == -1);
    /* len one past the end */
    be32_put(p + 2, (uint32_t)(sizeof p - 6 + 1));
    CHECK(tlv_validate(p, sizeof p) == -1);
    /* len exactly to the end */
    be32_put(p + 2, (uint32_t)(sizeof p - 6));
    CHECK(tlv_validate(p, sizeof p) == 0);
    /* a 5-byte trailing fragment */
    be32_put(p + 2, (uint32_t)(sizeof p - 6 - 5));
    CHECK(tlv_validate(p, sizeof p) == -1);
    /* requests reject it with EPROTO */
    be32_put(p + 2, 0xFFFFFFF0u);
    struct exec_req er;
    struct attach_req ar;
    struct hello_req hr;
    struct resync_req rr;
    struct netcfg_req nr;
    uint32_t x;
    CHECK(req_exec(p, sizeof p, "/bin", &er) == EPROTO);
    CHECK(req_attach(p, sizeof p, &ar) == EPROTO);
    CHECK(req_hello(p, sizeof p, &hr) == EPROTO);
    CHECK(req_resync(p, sizeof p, &rr) == EPROTO);
    CHECK(req_netcfg(p, sizeof p, &nr) == EPROTO);
    CHECK(req_exec_id(p, sizeof p, &x) == EPROTO);
    CHECK(req_signal(p, sizeof p, &x) == EPROTO);
}

static void t_writer_roundtrip(void)
{
    struct buf b;
    buf_init(&b, 0);
    size_t m = frame_begin(&b, FT_EXIT, 77);
    tlv_put_u32(&b, TAG_EXIT_CODE, (uint32_t)-3);
    tlv_put_u64(&b, TAG_STDOUT_TOTAL, 10);
    CHECK(frame_end(&b, m) == 0);
    m = frame_begin(&b, FT_PONG, 78);
    CHECK(frame_end(&b, m) == 0);
    struct bytes s = {0};
    put_marker(&s);
    put(&s, buf_data(&b), b.len);
    struct recs *r = recs_new();
    dec_new();
    feed(s.d, s.n, 1000, r);
    CHECK(r->n == 3 && r->v[1].type == FT_EXIT && r->v[1].stream == 77 && r->v[1].len == 24);
    CHECK(r->v[2].type == FT_PONG && r->v[2].len == 0);
    /* a frame that does not fit the limit is rolled back, earlier frames stay */
    struct buf small;
    buf_init(&small, 64);
    m = frame_begin(&small, FT_PONG, 1);
    tlv_put(&small, 1, "abcdefgh", 8);
    CHECK(frame_end(&small, m) == 0);
    size_t keep = small.len;
    m = frame_begin(&small, FT_PONG, 2);
    tlv_put(&small, 1, "0123456789012345678901234567890123456789", 40);
    CHECK(frame_end(&small, m) == -1);
    CHECK(small.len == keep && !small.failed);
    buf_consume(&small, 5);
    CHECK(small.len == keep - 5);
    buf_free(&small);
    buf_free(&b);
    free(r);
    free(s.d);
}

/* ---- request parsers ---- */
static void t_req_exec(void)
{
    struct buf b;
    struct exec_req r;
    buf_init(&b, 0);
    tlv_put_str(&b, TAG_ARG, "sh");
    tlv_put_str(&b, TAG_ARG, "-c");
    tlv_put_str(&b, TAG_ARG, "exit 3");
    tlv_put_str(&b, TAG_ENV, "A=1");
    tlv_put(&b, 0x7777, "unknown tag", 11);
    tlv_put_u32(&b, TAG_WINDOW, 4096);
    tlv_put_u8(&b, TAG_STDIN, 1);
    CHECK(req_exec(buf_data(&b), b.len, "/bin:/usr/bin", &r) == 0);
    CHECK(r.argc == 3 && !strcmp(r.argv[2], "exit 3") && r.argv[3] == NULL);
    CHECK(r.envc == 2 && !strcmp(r.envp[0], "A=1") && !strcmp(r.envp[1], "PATH=/bin:/usr/bin") &&
          r.envp[2] == NULL);
    CHECK(!strcmp(r.cwd, "/") && r.window == 4096 && r.want_stdin == 1 && r.timeout_ms == 0);
    exec_req_free(&r);
    /* PATH given: not added */
    buf_reset(&b);
    tlv_put_str(&b, TAG_ARG, "x");
    tlv_put_str(&b, TAG_ENV, "PATH=/opt");
    tlv_put_str(&b, TAG_CWD, "/tmp");
    CHECK(req_exec(buf_data(&b), b.len, "/bin", &r) == 0);
    CHECK(r.envc == 1 && !strcmp(r.cwd, "/tmp") && r.window == PROTO_DEFAULT_WINDOW);
    exec_req_free(&r);
    /* no ARG */
    buf_reset(&b);
    tlv_put_str(&b, TAG_ENV, "A=1");
    CHECK(req_exec(buf_data(&b), b.len, "/bin", &r) == EINVAL);
    CHECK(req_exec(NULL, 0, "/bin", &r) == EINVAL);
    /* NUL inside ARG */
    buf_reset(&b);
    tlv_put(&b, TAG_ARG, "a\0b", 3);
    CHECK(req_exec(buf_data(&b), b.len, "/bin", &r) == EINVAL);
    /* ENV without '=' */
    buf_reset(&b);
    tlv_put_str(&b, TAG_ARG, "x");
    tlv_put_str(&b, TAG_ENV, "NOEQUALS");
    CHECK(req_exec(buf_data(&b), b.len, "/bin", &r) == EINVAL);
    /* wrong widths */
    buf_reset(&b);
    tlv_put_str(&b, TAG_ARG, "x");
    tlv_put_u8(&b, TAG_TIMEOUT_MS, 5);
    CHECK(req_exec(buf_data(&b), b.len, "/bin", &r) == EINVAL);
    buf_reset(&b);
    tlv_put_str(&b, TAG_ARG, "x");
    tlv_put_u8(&b, TAG_STDIN, 2);
    CHECK(req_exec(buf_data(&b), b.len, "/bin", &r) == EINVAL);
    /* limits: ARG of 64 KiB ok, 64 KiB + 1 too big; 4096 args ok, 4097 too many */
    char *big = malloc(PROTO_MAX_ARG_LEN + 1);
    memset(big, 'a', PROTO_MAX_ARG_LEN + 1);
    buf_reset(&b);
    tlv_put(&b, TAG_ARG, big, PROTO_MAX_ARG_LEN);
    CHECK(req_exec(buf_data(&b), b.len, NULL, &r) == 0);
    exec_req_free(&r);
    buf_reset(&b);
    tlv_put(&b, TAG_ARG, big, PROTO_MAX_ARG_LEN + 1);
    CHECK(req_exec(buf_data(&b), b.len, NULL, &r) == E2BIG);
    buf_reset(&b);
    for (unsigned i = 0; i < PROTO_MAX_ARGS; i++)
        tlv_put_str(&b, TAG_ARG, "a");
    CHECK(req_exec(buf_data(&b), b.len, NULL, &r) == 0);
    CHECK(r.argc == PROTO_MAX_ARGS);
    exec_req_free(&r);
    tlv_put_str(&b, TAG_ARG, "a");
    CHECK(req_exec(buf_data(&b), b.len, NULL, &r) == E2BIG);
    buf_reset(&b);
    tlv_put_str(&b, TAG_ARG, "a");
    for (unsigned i = 0; i <= PROTO_MAX_ENVS; i++)
        tlv_put_str(&b, TAG_ENV, "K=V");
    CHECK(req_exec(buf_data(&b), b.len, NULL, &r) == E2BIG);
    free(big);
    buf_free(&b);
}

static void t_req_others(void)
{
    struct buf b;
    buf_init(&b, 0);
    struct hello_req h;
    tlv_put(&b, TAG_NONCE, "12345678", 8);
    CHECK(req_hello(buf_data(&b), b.len, &h) == 0 && !memcmp(h.nonce, "12345678", 8) &&
          h.version == 1);
    buf_reset(&b);
    tlv_put(&b, TAG_NONCE, "1234567", 7);
    CHECK(req_hello(buf_data(&b), b.len, &h) == EINVAL);
    CHECK(req_hello(NULL, 0, &h) == EINVAL);

    struct attach_req a;
    buf_reset(&b);
    tlv_put_u32(&b, TAG_EXEC_ID, 9);
    tlv_put_u64(&b, TAG_STDOUT_OFFSET, 100);
    CHECK(req_attach(buf_data(&b), b.len, &a) == 0 && a.exec_id == 9 && a.stdout_off == 100 &&
          a.stderr_off == 0 && a.window == PROTO_DEFAULT_WINDOW);
    buf_reset(&b);
    tlv_put_u64(&b, TAG_STDOUT_OFFSET, 100);
    CHECK(req_attach(buf_data(&b), b.len, &a) == EINVAL);

    uint32_t x;
    buf_reset(&b);
    tlv_put_u32(&b, TAG_SIGNAL, 9);
    CHECK(req_signal(buf_data(&b), b.len, &x) == 0 && x == 9);
    buf_reset(&b);
    tlv_put_u32(&b, TAG_SIGNAL, 0);
    CHECK(req_signal(buf_data(&b), b.len, &x) == EINVAL);
    buf_reset(&b);
    tlv_put_u32(&b, TAG_SIGNAL, 65);
    CHECK(req_signal(buf_data(&b), b.len, &x) == EINVAL);
    CHECK(req_credit((const uint8_t *)"\x00\x01\x00\x00", 4, &x) == 0 && x == 65536);
    CHECK(req_credit((const uint8_t *)"\x00\x01\x00", 3, &x) == EINVAL);

    struct resync_req rs;
    buf_reset(&b);
    tlv_put_u64(&b, TAG_REALTIME_NS, 1700000000000000000ull);
    tlv_put(&b, TAG_ENTROPY, "0123456789abcdef", 16);
    CHECK(req_resync(buf_data(&b), b.len, &rs) == 0 && rs.has_time && rs.entropy_len == 16);
    buf_reset(&b);
    tlv_put(&b, TAG_ENTROPY, "", 0);
    CHECK(req_resync(buf_data(&b), b.len, &rs) == EINVAL);
    uint8_t e[257] = {0};
    buf_reset(&b);
    tlv_put(&b, TAG_ENTROPY, e, 257);
    CHECK(req_resync(buf_data(&b), b.len, &rs) == EINVAL);

    struct netcfg_req n;
    buf_reset(&b);
    tlv_put_str(&b, TAG_MAC, "52:54:00:AB:cd:ef");
    tlv_put_str(&b, TAG_ADDR, "10.0.0.2/24");
    tlv_put_str(&b, TAG_GATEWAY, "10.0.0.1");
    tlv_put_str(&b, TAG_DNS, "10.0.0.1");
    tlv_put_str(&b, TAG_DNS, "fe80::1%eth0");
    tlv_put_str(&b, TAG_HOSTNAME, "box-1");
    CHECK(req_netcfg(buf_data(&b), b.len, &n) == 0);
    CHECK(!strcmp(n.iface, "eth0") && n.has_mac && n.mac[3] == 0xab && n.has_addr &&
          n.addr[3] == 2 && n.prefix == 24 && n.has_gw && n.ndns == 2 && n.has_hostname);
    const char *bad_tlvs[][2] = {
        {"\x34", "10.0.0.2"},          {"\x34", "10.0.0.256/24"}, {"\x34", "10.0.0.2/33"},
        {"\x34", "010.0.0.2/24"},      {"\x34", "10.0.0/24"},     {"\x35", "1.2.3.4 "},
        {"\x33", "52:54:00:ab:cd"},    {"\x33", "52:54:00:ab:cd:eg"},
        {"\x36", "8.8.8.8\nsearch x"}, {"\x37", "bad host"},      {"\x37", "-x"},
        {"\x32", "eth0/../x"},         {"\x32", ""},
    };
    for (size_t i = 0; i < sizeof bad_tlvs / sizeof bad_tlvs[0]; i++) {
        buf_reset(&b);
        tlv_put_str(&b, (uint16_t)(uint8_t)bad_tlvs[i][0][0], bad_tlvs[i][1]);
        int rc = req_netcfg(buf_data(&b), b.len, &n);
        if (rc != EINVAL)
            fprintf(stderr, "  netcfg accepted %s\n", bad_tlvs[i][1]);
        CHECK(rc == EINVAL);
    }
    buf_reset(&b);
    for (int i = 0; i < 9; i++)
        tlv_put_str(&b, TAG_DNS, "1.1.1.1");
    CHECK(req_netcfg(buf_data(&b), b.len, &n) == E2BIG);
    buf_free(&b);
}

static void t_req_fuzz(void)
{
    /* random TLV sequences built from the known tags with random lengths and contents */
    static const uint16_t tags[] = {TAG_NONCE, TAG_VERSION, TAG_ARG, TAG_ENV, TAG_CWD,
                                    TAG_TIMEOUT_MS, TAG_STDIN, TAG_WINDOW, TAG_EXEC_ID,
                                    TAG_SIGNAL, TAG_STDOUT_OFFSET, TAG_REALTIME_NS, TAG_ENTROPY,
                                    TAG_IFACE, TAG_MAC, TAG_ADDR, TAG_GATEWAY, TAG_DNS,
                                    TAG_HOSTNAME, TAG_TTY, TAG_ROWS, TAG_COLS, TAG_USER,
                                    TAG_PATH, TAG_TO, TAG_MODE, TAG_OWNER, TAG_PARENTS,
                                    TAG_OFFSET, TAG_LENGTH, TAG_ABORT, 0xFFFF};
    static const uint32_t lens[] = {0, 1, 4, 8, 9, 16, 17, 40, 64, 255, 256, 257};
    struct buf b;
    buf_init(&b, 0);
    uint8_t val[300];
    int ok = 1;
    for (int iter = 0; iter < 100000; iter++) {
        buf_reset(&b);
        int k = (int)(rnd() % 8);
        for (int i = 0; i < k; i++) {
            uint32_t l = lens[rnd() % (sizeof lens / sizeof lens[0])];
            for (uint32_t j = 0; j < l; j++)
                val[j] = rnd() % 4 ? (uint8_t)"0123456789./:abcdef=AB"[rnd() % 22] : (uint8_t)rnd();
            tlv_put(&b, tags[rnd() % (sizeof tags / sizeof tags[0])], val, l);
        }
        size_t len = b.len;
        if (rnd() % 4 == 0 && len) /* truncate sometimes */
            len = rnd() % len;
        const uint8_t *p = buf_data(&b);
        struct exec_req er;
        struct attach_req ar;
        struct hello_req hr;
        struct resync_req rr;
        struct netcfg_req nr;
        uint32_t x;
        int rc = req_exec(p, len, "/bin", &er);
        if (rc == 0) {
            ok &= er.argc >= 1 && er.argv[er.argc] == NULL && er.cwd && er.cwd[0];
            exec_req_free(&er);
        }
        ok &= (rc == 0 || rc == EINVAL || rc == EPROTO || rc == E2BIG);
        rc = req_attach(p, len, &ar);
        ok &= rc == 0 || rc == EINVAL || rc == EPROTO;
        struct file_req fr;
        rc = req_file(p, len, &fr);
        ok &= rc == 0 || rc == EINVAL || rc == EPROTO;
        if (rc == 0)
            ok &= fr.path[0] == '/' && fr.mode <= 07777 && strlen(fr.path) <= PROTO_MAX_PATH &&
                  (!fr.has_to || fr.to[0] == '/');
        uint16_t rows = 0, cols = 0;
        rc = req_resize(p, len, &rows, &cols);
        ok &= rc == EINVAL || rc == EPROTO || (rc == 0 && rows >= 1 && cols >= 1);
        int ab, has_id;
        rc = req_file_end(p, len, &ab);
        ok &= rc == EINVAL || rc == EPROTO || (rc == 0 && (ab == 0 || ab == 1));
        uint32_t sig, id;
        rc = req_signal_id(p, len, &sig, &id, &has_id);
        ok &= rc == EINVAL || rc == EPROTO || (rc == 0 && sig >= 1 && sig <= 64);
        rc = req_hello(p, len, &hr);
        ok &= rc == 0 || rc == EINVAL || rc == EPROTO;
        rc = req_resync(p, len, &rr);
        if (rc == 0)
            ok &= rr.entropy_len <= 256 && (rr.entropy_len == 0 || rr.entropy != NULL);
        rc = req_netcfg(p, len, &nr);
        if (rc == 0) {
            ok &= nr.ndns <= PROTO_MAX_DNS && (!nr.has_addr || nr.prefix <= 32);
            ok &= memchr(nr.iface, 0, sizeof nr.iface) != NULL;
            for (uint32_t i = 0; i < nr.ndns; i++)
                ok &= strchr(nr.dns[i], '\n') == NULL && strchr(nr.dns[i], ' ') == NULL;
        }
        rc = req_signal(p, len, &x);
        if (rc == 0)
            ok &= x >= 1 && x <= 64;
        req_exec_id(p, len, &x);
    }
    CHECK(ok);
    buf_free(&b);
}

/* ---- exec additions: TTY, window, USER ---- */
static void t_req_exec_tty_user(void)
{
    struct buf b;
    struct exec_req r;
    buf_init(&b, 0);
    tlv_put_str(&b, TAG_ARG, "sh");
    CHECK(req_exec(buf_data(&b), b.len, "/bin", &r) == 0);
    CHECK(r.tty == 0 && r.rows == 24 && r.cols == 80 && r.user == NULL && r.has_cwd == 0);
    exec_req_free(&r);
    tlv_put_u8(&b, TAG_TTY, 1);
    tlv_put_u32(&b, TAG_ROWS, 50);
    tlv_put_u32(&b, TAG_COLS, 132);
    tlv_put_str(&b, TAG_USER, "nobody");
    tlv_put_str(&b, TAG_CWD, "/tmp");
    CHECK(req_exec(buf_data(&b), b.len, "/bin", &r) == 0);
    CHECK(r.tty == 1 && r.rows == 50 && r.cols == 132 && !strcmp(r.user, "nobody") && r.has_cwd == 1);
    exec_req_free(&r);
    /* hostile: TTY 2, ROWS 0, COLS > 65535, ROWS as u8, empty USER, USER with '/' or NUL, 65 bytes */
    struct {
        uint16_t tag;
        const char *val;
        uint32_t len;
    } bad[] = {
        {TAG_TTY, "\x02", 1},       {TAG_TTY, "\x01\x00", 2},       {TAG_ROWS, "\0\0\0\0", 4},
        {TAG_COLS, "\0\x01\0\0", 4}, {TAG_ROWS, "\x05", 1},          {TAG_USER, "", 0},
        {TAG_USER, "a/b", 3},        {TAG_USER, "a\0b", 3},
        {TAG_USER, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 65},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        buf_reset(&b);
        tlv_put_str(&b, TAG_ARG, "sh");
        tlv_put(&b, bad[i].tag, bad[i].val, bad[i].len);
        CHECK(req_exec(buf_data(&b), b.len, "/bin", &r) == EINVAL);
    }
    /* a USER TLV whose length runs past the payload */
    buf_reset(&b);
    tlv_put_str(&b, TAG_ARG, "sh");
    tlv_put_str(&b, TAG_USER, "root");
    CHECK(req_exec(buf_data(&b), b.len - 1, "/bin", &r) == EPROTO);
    buf_free(&b);
}

static void t_req_resize_signal_id(void)
{
    struct buf b;
    buf_init(&b, 0);
    uint16_t rows = 0, cols = 0;
    tlv_put_u32(&b, TAG_ROWS, 40);
    tlv_put_u32(&b, TAG_COLS, 100);
    CHECK(req_resize(buf_data(&b), b.len, &rows, &cols) == 0 && rows == 40 && cols == 100);
    CHECK(req_resize(buf_data(&b), b.len - 1, &rows, &cols) == EPROTO);
    buf_reset(&b);
    tlv_put_u32(&b, TAG_ROWS, 40); /* COLS missing */
    CHECK(req_resize(buf_data(&b), b.len, &rows, &cols) == EINVAL);
    tlv_put_u32(&b, TAG_COLS, 70000);
    CHECK(req_resize(buf_data(&b), b.len, &rows, &cols) == EINVAL);
    buf_reset(&b);
    tlv_put_u8(&b, TAG_ROWS, 4);
    tlv_put_u32(&b, TAG_COLS, 4);
    CHECK(req_resize(buf_data(&b), b.len, &rows, &cols) == EINVAL);
    CHECK(req_resize(NULL, 0, &rows, &cols) == EINVAL);
    /* SIGNAL with and without EXEC_ID */
    uint32_t sig = 0, id = 0;
    int has_id = 5;
    buf_reset(&b);
    tlv_put_u32(&b, TAG_SIGNAL, 2);
    CHECK(req_signal_id(buf_data(&b), b.len, &sig, &id, &has_id) == 0 && sig == 2 && has_id == 0);
    tlv_put_u32(&b, TAG_EXEC_ID, 77);
    CHECK(req_signal_id(buf_data(&b), b.len, &sig, &id, &has_id) == 0 && id == 77 && has_id == 1);
    buf_reset(&b);
    tlv_put_u32(&b, TAG_SIGNAL, 0);
    tlv_put_u32(&b, TAG_EXEC_ID, 77);
    CHECK(req_signal_id(buf_data(&b), b.len, &sig, &id, &has_id) == EINVAL && has_id == 1);
    buf_reset(&b);
    tlv_put_u32(&b, TAG_SIGNAL, 9);
    tlv_put_u8(&b, TAG_EXEC_ID, 7);
    CHECK(req_signal_id(buf_data(&b), b.len, &sig, &id, &has_id) == EINVAL);
    buf_free(&b);
}

static void t_req_file(void)
{
    struct buf b;
    struct file_req r;
    buf_init(&b, 0);
    tlv_put_str(&b, TAG_PATH, "/tmp/a b");
    tlv_put_u32(&b, TAG_MODE, 0755);
    tlv_put_str(&b, TAG_OWNER, "1000:1000");
    tlv_put_u8(&b, TAG_PARENTS, 1);
    tlv_put_u8(&b, TAG_EXCLUSIVE, 1);
    tlv_put_u64(&b, TAG_OFFSET, 5);
    tlv_put_u64(&b, TAG_LENGTH, 9);
    tlv_put_str(&b, TAG_TO, "/tmp/c");
    tlv_put_u8(&b, TAG_OVERWRITE, 1);
    tlv_put_u8(&b, TAG_RECURSIVE, 1);
    tlv_put_u32(&b, TAG_WINDOW, 1234);
    CHECK(req_file(buf_data(&b), b.len, &r) == 0);
    CHECK(!strcmp(r.path, "/tmp/a b") && r.mode == 0755 && r.has_mode && !strcmp(r.owner, "1000:1000") &&
          r.parents && r.exclusive && !r.append && r.offset == 5 && r.length == 9 && !strcmp(r.to, "/tmp/c") &&
          r.overwrite && r.recursive && r.window == 1234);
    CHECK(req_file(buf_data(&b), b.len - 1, &r) == EPROTO);
    /* missing PATH */
    buf_reset(&b);
    tlv_put_u32(&b, TAG_MODE, 0644);
    CHECK(req_file(buf_data(&b), b.len, &r) == EINVAL);
    CHECK(req_file(NULL, 0, &r) == EINVAL);
    /* hostile values */
    struct {
        uint16_t tag;
        const char *val;
        uint32_t len;
    } bad[] = {
        {TAG_PATH, "relative", 8}, {TAG_PATH, "", 0},          {TAG_PATH, "/a\0b", 4},
        {TAG_TO, "x/y", 3},        {TAG_MODE, "\0\0\x10\0", 4}, {TAG_MODE, "\x01", 1},
        {TAG_PARENTS, "\x02", 1},  {TAG_OWNER, "", 0},           {TAG_OWNER, "a/b", 3},
        {TAG_OFFSET, "\0\0\0\x01", 4}, {TAG_APPEND, "\x01\x01", 2},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        buf_reset(&b);
        tlv_put_str(&b, TAG_PATH, "/ok");
        tlv_put(&b, bad[i].tag, bad[i].val, bad[i].len);
        CHECK(req_file(buf_data(&b), b.len, &r) == EINVAL);
    }
    /* path of PROTO_MAX_PATH bytes ok, one more is too long */
    char *longp = malloc(PROTO_MAX_PATH + 2);
    memset(longp, 'a', PROTO_MAX_PATH + 1);
    longp[0] = '/';
    buf_reset(&b);
    tlv_put(&b, TAG_PATH, longp, PROTO_MAX_PATH);
    CHECK(req_file(buf_data(&b), b.len, &r) == 0 && strlen(r.path) == PROTO_MAX_PATH);
    buf_reset(&b);
    tlv_put(&b, TAG_PATH, longp, PROTO_MAX_PATH + 1);
    CHECK(req_file(buf_data(&b), b.len, &r) == EINVAL);
    free(longp);
    /* FILE_END */
    int ab = 9;
    CHECK(req_file_end(NULL, 0, &ab) == 0 && ab == 0);
    buf_reset(&b);
    tlv_put_u8(&b, TAG_ABORT, 1);
    CHECK(req_file_end(buf_data(&b), b.len, &ab) == 0 && ab == 1);
    CHECK(req_file_end(buf_data(&b), b.len - 1, &ab) == EPROTO);
    buf_reset(&b);
    tlv_put_u32(&b, TAG_ABORT, 1);
    CHECK(req_file_end(buf_data(&b), b.len, &ab) == EINVAL);
    buf_free(&b);
}

static void t_parse_uid_gid(void)
{
    uint32_t u = 0, g = 0;
    int hg = 0;
    CHECK(parse_uid_gid("0", &u, &g, &hg) == 0 && u == 0 && !hg);
    CHECK(parse_uid_gid("1000:100", &u, &g, &hg) == 0 && u == 1000 && g == 100 && hg);
    CHECK(parse_uid_gid("4294967294", &u, &g, &hg) == 0 && u == 4294967294u);
    const char *bad[] = {"", "nobody", "1000:", ":1", "1:2:3", "12a", "4294967295", "1:4294967295",
                         "-1", " 1", "1 "};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK(parse_uid_gid(bad[i], &u, &g, &hg) == -1);
}

/* ---- ring ---- */
static void t_ring(void)
{
    struct ring r;
    ring_init(&r, 1024);
    uint8_t src[3000], out[3000];
    for (size_t i = 0; i < sizeof src; i++)
        src[i] = (uint8_t)(i * 7 + 3);
    CHECK(ring_write(&r, src, 100) == 0 && r.total == 100 && ring_oldest(&r) == 0);
    CHECK(ring_copy(&r, 10, out, 50) == 50 && !memcmp(out, src + 10, 50));
    CHECK(ring_write(&r, src + 100, 900) == 0 && r.cap == 1024 && r.fill == 1000);
    CHECK(ring_write(&r, src + 1000, 500) == 0); /* evicts 476 oldest */
    CHECK(r.total == 1500 && r.fill == 1024 && ring_oldest(&r) == 476);
    CHECK(ring_copy(&r, 0, out, 10) == 0);       /* older than the buffer */
    CHECK(ring_copy(&r, 476, out, 2000) == 1024 && !memcmp(out, src + 476, 1024));
    CHECK(ring_copy(&r, 1400, out, 2000) == 100 && !memcmp(out, src + 1400, 100));
    CHECK(ring_copy(&r, 1500, out, 10) == 0);
    CHECK(ring_copy(&r, 1501, out, 10) == 0);
    CHECK(ring_write(&r, src, 1025) == -1);
    /* many small writes with wrap-around, check content continuously */
    ring_free(&r);
    ring_init(&r, 1000);
    int ok = 1;
    uint64_t total = 0;
    for (int i = 0; i < 10000; i++) {
        size_t n = rnd() % 300;
        uint8_t chunk[300];
        for (size_t j = 0; j < n; j++)
            chunk[j] = (uint8_t)((total + j) * 13);
        ok &= ring_write(&r, chunk, n) == 0;
        total += n;
        uint64_t old = ring_oldest(&r);
        size_t got = ring_copy(&r, old, out, r.fill);
        ok &= got == r.fill && r.total == total && r.fill <= 1000;
        for (size_t j = 0; j < got; j++)
            ok &= out[j] == (uint8_t)((old + j) * 13);
    }
    CHECK(ok);
    ring_free(&r);
}

int main(void)
{
    g_payload = malloc(PROTO_MAX_PAYLOAD);
    if (!g_payload)
        return 2;
    RUN(t_basic_and_garbage_before_marker);
    RUN(t_split_every_boundary);
    RUN(t_marker_prefix_overlaps);
    RUN(t_bad_byte_at_boundary_rescans);
    RUN(t_nothing_before_marker);
    RUN(t_zero_length_payloads);
    RUN(t_oversized_length);
    RUN(t_max_length_accepted);
    RUN(t_truncated_frame_expires);
    RUN(t_partial_clock_starts_after_chunk);
    RUN(t_partial_boundary_marker_expires);
    RUN(t_repeated_markers);
    RUN(t_flood_structured);
    RUN(t_flood_random);
    RUN(t_tlv_reader);
    RUN(t_tlv_runs_past_payload);
    RUN(t_writer_roundtrip);
    RUN(t_req_exec);
    RUN(t_req_others);
    RUN(t_req_exec_tty_user);
    RUN(t_req_resize_signal_id);
    RUN(t_req_file);
    RUN(t_parse_uid_gid);
    RUN(t_req_fuzz);
    RUN(t_ring);
    free(g_payload);
    printf("%d passed, %d failed\n", g_passed, g_failed);
    return g_failed ? 1 : 0;
}
