/* net.c — network configuration over rtnetlink (no busybox): link up/down, MAC, IPv4 address,
 * default route, neighbour flush, resolv.conf, hostname. The kernel UAPI structures are
 * declared here because musl's include path has no <linux/...> headers; they are stable ABI. */
#include "agent.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define NETLINK_ROUTE 0
#define NLM_F_REQUEST 0x1
#define NLM_F_ACK 0x4
#define NLM_F_DUMP 0x300
#define NLM_F_REPLACE 0x100
#define NLM_F_CREATE 0x400
#define NLMSG_ERROR 0x2
#define NLMSG_DONE 0x3
#define RTM_NEWLINK 16
#define RTM_NEWADDR 20
#define RTM_DELADDR 21
#define RTM_GETADDR 22
#define RTM_NEWROUTE 24
#define RTM_DELNEIGH 29
#define RTM_GETNEIGH 30
#define IFLA_ADDRESS 1
#define IFA_ADDRESS 1
#define IFA_LOCAL 2
#define IFA_BROADCAST 4
#define RTA_OIF 4
#define RTA_GATEWAY 5
#define NDA_DST 1
#define RT_TABLE_MAIN 254
#define RTPROT_STATIC 4
#define RTN_UNICAST 1
#define RT_SCOPE_UNIVERSE 0
#define NUD_NOARP 0x40
#define NUD_PERMANENT 0x80

struct nlmsghdr_abx {
    uint32_t nlmsg_len;
    uint16_t nlmsg_type, nlmsg_flags;
    uint32_t nlmsg_seq, nlmsg_pid;
};
struct nlmsgerr_abx {
    int error;
    struct nlmsghdr_abx msg;
};
struct sockaddr_nl_abx {
    sa_family_t nl_family;
    unsigned short nl_pad;
    uint32_t nl_pid, nl_groups;
};
struct ifinfomsg_abx {
    unsigned char ifi_family, ifi_pad;
    unsigned short ifi_type;
    int ifi_index;
    unsigned ifi_flags, ifi_change;
};
struct ifaddrmsg_abx {
    uint8_t ifa_family, ifa_prefixlen, ifa_flags, ifa_scope;
    uint32_t ifa_index;
};
struct rtmsg_abx {
    unsigned char rtm_family, rtm_dst_len, rtm_src_len, rtm_tos, rtm_table, rtm_protocol,
        rtm_scope, rtm_type;
    unsigned rtm_flags;
};
struct ndmsg_abx {
    uint8_t ndm_family, ndm_pad1;
    uint16_t ndm_pad2;
    int32_t ndm_ifindex;
    uint16_t ndm_state;
    uint8_t ndm_flags, ndm_type;
};
struct rtattr_abx {
    unsigned short rta_len, rta_type;
};

#define NL_ALIGN(n) (((n) + 3u) & ~3u)

struct nlreq {
    struct nlmsghdr_abx h;
    uint8_t body[512];
};

static uint32_t g_seq;

static int nl_open(void)
{
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (fd < 0)
        return -1;
    struct timeval tv = {2, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    struct sockaddr_nl_abx a = {AF_NETLINK, 0, 0, 0};
    if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static void nl_init(struct nlreq *r, uint16_t type, uint16_t flags, const void *msg, size_t len)
{
    memset(r, 0, sizeof *r);
    r->h.nlmsg_len = (uint32_t)(sizeof r->h + NL_ALIGN(len));
    r->h.nlmsg_type = type;
    r->h.nlmsg_flags = (uint16_t)(NLM_F_REQUEST | flags);
    r->h.nlmsg_seq = ++g_seq;
    memcpy(r->body, msg, len);
}

static void nl_attr(struct nlreq *r, unsigned short type, const void *data, size_t len)
{
    struct rtattr_abx a = {(unsigned short)(sizeof a + len), type};
    uint8_t *at = (uint8_t *)r + NL_ALIGN(r->h.nlmsg_len);
    if ((size_t)(at - (uint8_t *)r) + NL_ALIGN(sizeof a + len) > sizeof *r)
        return;
    memcpy(at, &a, sizeof a);
    memcpy(at + sizeof a, data, len);
    r->h.nlmsg_len = (uint32_t)(NL_ALIGN(r->h.nlmsg_len) + NL_ALIGN(sizeof a + len));
}

/* Send a request with NLM_F_ACK and wait for its ACK: 0 or a positive errno. */
static int nl_talk(int fd, struct nlreq *r)
{
    r->h.nlmsg_flags |= NLM_F_ACK;
    if (send(fd, r, r->h.nlmsg_len, 0) < 0)
        return errno;
    uint8_t buf[8192];
    for (;;) {
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n < 0)
            return errno == EAGAIN ? ETIMEDOUT : errno;
        for (size_t off = 0; off + sizeof(struct nlmsghdr_abx) <= (size_t)n;) {
            struct nlmsghdr_abx *h = (struct nlmsghdr_abx *)(buf + off);
            if (h->nlmsg_len < sizeof *h || off + h->nlmsg_len > (size_t)n)
                return EPROTO;
            if (h->nlmsg_seq == r->h.nlmsg_seq && h->nlmsg_type == NLMSG_ERROR) {
                struct nlmsgerr_abx *e = (struct nlmsgerr_abx *)(h + 1);
                return -e->error;
            }
            off += NL_ALIGN(h->nlmsg_len);
        }
    }
}

/* Dump request; calls cb for every message of the reply. */
static int nl_dump(int fd, struct nlreq *r, void (*cb)(struct nlmsghdr_abx *, void *), void *arg)
{
    if (send(fd, r, r->h.nlmsg_len, 0) < 0)
        return errno;
    uint8_t buf[16384];
    for (;;) {
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n < 0)
            return errno == EAGAIN ? ETIMEDOUT : errno;
        for (size_t off = 0; off + sizeof(struct nlmsghdr_abx) <= (size_t)n;) {
            struct nlmsghdr_abx *h = (struct nlmsghdr_abx *)(buf + off);
            if (h->nlmsg_len < sizeof *h || off + h->nlmsg_len > (size_t)n)
                return EPROTO;
            if (h->nlmsg_seq == r->h.nlmsg_seq) {
                if (h->nlmsg_type == NLMSG_DONE)
                    return 0;
                if (h->nlmsg_type == NLMSG_ERROR)
                    return -((struct nlmsgerr_abx *)(h + 1))->error;
                cb(h, arg);
            }
            off += NL_ALIGN(h->nlmsg_len);
        }
    }
}

static int link_set(int fd, int ifindex, int up, const uint8_t *mac)
{
    struct nlreq r;
    struct ifinfomsg_abx m = {0};
    m.ifi_index = ifindex;
    m.ifi_change = IFF_UP;
    m.ifi_flags = up ? IFF_UP : 0;
    nl_init(&r, RTM_NEWLINK, 0, &m, sizeof m);
    if (mac)
        nl_attr(&r, IFLA_ADDRESS, mac, 6);
    return nl_talk(fd, &r);
}

/* Collected IPv4 addresses (or neighbours) of one interface, for deletion after the dump. */
struct collected {
    int ifindex;
    unsigned n;
    struct {
        uint8_t addr[4];
        uint8_t prefix;
    } v[64];
};

static void attr_walk(struct rtattr_abx *a, size_t len, unsigned short want, uint8_t out[4], int *found)
{
    while (len >= sizeof *a && a->rta_len >= sizeof *a && a->rta_len <= len) {
        if (a->rta_type == want && a->rta_len == sizeof *a + 4) {
            memcpy(out, a + 1, 4);
            *found = 1;
        }
        size_t step = NL_ALIGN(a->rta_len);
        if (step >= len)
            break;
        len -= step;
        a = (struct rtattr_abx *)((uint8_t *)a + step);
    }
}

static void collect_addr(struct nlmsghdr_abx *h, void *arg)
{
    struct collected *c = arg;
    struct ifaddrmsg_abx *m = (struct ifaddrmsg_abx *)(h + 1);
    if (h->nlmsg_len < sizeof *h + sizeof *m || (int)m->ifa_index != c->ifindex ||
        m->ifa_family != AF_INET || c->n >= 64)
        return;
    int found = 0;
    attr_walk((struct rtattr_abx *)(m + 1), h->nlmsg_len - sizeof *h - sizeof *m, IFA_LOCAL,
              c->v[c->n].addr, &found);
    if (found)
        c->v[c->n++].prefix = m->ifa_prefixlen;
}

static void collect_neigh(struct nlmsghdr_abx *h, void *arg)
{
    struct collected *c = arg;
    struct ndmsg_abx *m = (struct ndmsg_abx *)(h + 1);
    if (h->nlmsg_len < sizeof *h + sizeof *m || m->ndm_ifindex != c->ifindex ||
        m->ndm_family != AF_INET || (m->ndm_state & (NUD_NOARP | NUD_PERMANENT)) || c->n >= 64)
        return;
    int found = 0;
    attr_walk((struct rtattr_abx *)(m + 1), h->nlmsg_len - sizeof *h - sizeof *m, NDA_DST,
              c->v[c->n].addr, &found);
    if (found)
        c->n++;
}

static int addr_flush(int fd, int ifindex)
{
    struct nlreq r;
    struct ifaddrmsg_abx m = {0};
    m.ifa_family = AF_INET;
    nl_init(&r, RTM_GETADDR, NLM_F_DUMP, &m, sizeof m);
    struct collected c = {.ifindex = ifindex};
    int err = nl_dump(fd, &r, collect_addr, &c);
    for (unsigned i = 0; i < c.n; i++) {
        struct ifaddrmsg_abx d = {0};
        d.ifa_family = AF_INET;
        d.ifa_prefixlen = c.v[i].prefix;
        d.ifa_index = (uint32_t)ifindex;
        nl_init(&r, RTM_DELADDR, 0, &d, sizeof d);
        nl_attr(&r, IFA_LOCAL, c.v[i].addr, 4);
        int e = nl_talk(fd, &r);
        if (e && e != EADDRNOTAVAIL && !err)
            err = e;
    }
    return err;
}

static int neigh_flush(int fd, int ifindex)
{
    struct nlreq r;
    struct ndmsg_abx m = {0};
    m.ndm_family = AF_INET;
    nl_init(&r, RTM_GETNEIGH, NLM_F_DUMP, &m, sizeof m);
    struct collected c = {.ifindex = ifindex};
    int err = nl_dump(fd, &r, collect_neigh, &c);
    for (unsigned i = 0; i < c.n; i++) {
        struct ndmsg_abx d = {0};
        d.ndm_family = AF_INET;
        d.ndm_ifindex = ifindex;
        nl_init(&r, RTM_DELNEIGH, 0, &d, sizeof d);
        nl_attr(&r, NDA_DST, c.v[i].addr, 4);
        int e = nl_talk(fd, &r);
        if (e && e != ENOENT && !err)
            err = e;
    }
    return err;
}

static int addr_add(int fd, int ifindex, const uint8_t addr[4], uint8_t prefix)
{
    struct nlreq r;
    struct ifaddrmsg_abx m = {0};
    m.ifa_family = AF_INET;
    m.ifa_prefixlen = prefix;
    m.ifa_scope = RT_SCOPE_UNIVERSE;
    m.ifa_index = (uint32_t)ifindex;
    nl_init(&r, RTM_NEWADDR, NLM_F_CREATE | NLM_F_REPLACE, &m, sizeof m);
    nl_attr(&r, IFA_LOCAL, addr, 4);
    nl_attr(&r, IFA_ADDRESS, addr, 4);
    if (prefix < 31) {
        uint32_t a = (uint32_t)addr[0] << 24 | (uint32_t)addr[1] << 16 | (uint32_t)addr[2] << 8 | addr[3];
        uint32_t host = prefix == 0 ? 0xFFFFFFFFu : (1u << (32 - prefix)) - 1;
        uint8_t b[4];
        be32_put(b, a | host);
        nl_attr(&r, IFA_BROADCAST, b, 4);
    }
    return nl_talk(fd, &r);
}

static int route_default(int fd, int ifindex, const uint8_t gw[4])
{
    struct nlreq r;
    struct rtmsg_abx m = {0};
    m.rtm_family = AF_INET;
    m.rtm_table = RT_TABLE_MAIN;
    m.rtm_protocol = RTPROT_STATIC;
    m.rtm_scope = RT_SCOPE_UNIVERSE;
    m.rtm_type = RTN_UNICAST;
    nl_init(&r, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE, &m, sizeof m);
    nl_attr(&r, RTA_GATEWAY, gw, 4);
    uint32_t oif = (uint32_t)ifindex;
    nl_attr(&r, RTA_OIF, &oif, 4);
    return nl_talk(fd, &r);
}

int net_link_up(const char *ifname)
{
    int idx = (int)if_nametoindex(ifname);
    if (!idx)
        return ENODEV;
    int fd = nl_open();
    if (fd < 0)
        return errno;
    int e = link_set(fd, idx, 1, NULL);
    close(fd);
    return e;
}

static int write_resolv(const struct netcfg_req *r)
{
    char text[PROTO_MAX_DNS * 80 + 64];
    size_t off = (size_t)snprintf(text, sizeof text, "# written by the arcbox agent\n");
    for (uint32_t i = 0; i < r->ndns && off < sizeof text; i++)
        off += (size_t)snprintf(text + off, sizeof text - off, "nameserver %s\n", r->dns[i]);
    return write_file("/etc/resolv.conf", text, 0644);
}

int net_configure(const struct netcfg_req *r)
{
    int err = 0, e;
#define KEEP(x)                                                                                \
    do {                                                                                       \
        e = (x);                                                                               \
        if (e && !err)                                                                         \
            err = e;                                                                           \
    } while (0)
    if (r->has_hostname) {
        if (sethostname(r->hostname, strlen(r->hostname)) < 0)
            KEEP(errno);
    }
    if (r->ndns)
        KEEP(write_resolv(r));
    int idx = (int)if_nametoindex(r->iface);
    if (!idx)
        return err ? err : ENODEV;
    int fd = nl_open();
    if (fd < 0)
        return err ? err : errno;
    if (r->has_mac) {
        KEEP(link_set(fd, idx, 0, NULL));
        KEEP(link_set(fd, idx, 0, r->mac));
    }
    KEEP(link_set(fd, idx, 1, NULL));
    if (r->has_addr) {
        KEEP(addr_flush(fd, idx));
        KEEP(addr_add(fd, idx, r->addr, r->prefix));
    }
    if (r->has_gw)
        KEEP(route_default(fd, idx, r->gw));
    KEEP(neigh_flush(fd, idx));
    close(fd);
#undef KEEP
    return err;
}

int net_boot_config(const struct bootcfg *c)
{
    int err = net_link_up("lo");
    if (err)
        logmsg("lo up: %s", strerror(err));
    struct netcfg_req r;
    memset(&r, 0, sizeof r);
    memcpy(r.iface, "eth0", 5);
    char fallback[80];
    const char *hn = c->hostname;
    if (!hn[0]) { /* no arcbox.hostname=: the root filesystem's /etc/hostname */
        int fd = open("/etc/hostname", O_RDONLY | O_CLOEXEC);
        ssize_t n = fd >= 0 ? read(fd, fallback, sizeof fallback - 1) : -1;
        if (fd >= 0)
            close(fd);
        fallback[n > 0 ? n : 0] = 0;
        fallback[strcspn(fallback, "\r\n")] = 0;
        if (valid_hostname(fallback))
            hn = fallback;
    }
    if (hn[0]) {
        if (valid_hostname(hn)) {
            memcpy(r.hostname, hn, strlen(hn) + 1);
            r.has_hostname = 1;
        } else {
            logmsg("arcbox.hostname: invalid, ignored");
        }
    }
    if (c->ip[0]) {
        if (parse_ipv4_cidr(c->ip, r.addr, &r.prefix) == 0)
            r.has_addr = 1;
        else
            logmsg("arcbox.ip: invalid '%s', ignored", c->ip);
    }
    if (c->gw[0]) {
        if (parse_ipv4(c->gw, r.gw) == 0)
            r.has_gw = 1;
        else
            logmsg("arcbox.gw: invalid '%s', ignored", c->gw);
    }
    if (c->dns[0]) {
        char tmp[sizeof c->dns];
        memcpy(tmp, c->dns, sizeof tmp);
        char *save = NULL;
        for (char *t = strtok_r(tmp, ",", &save); t && r.ndns < PROTO_MAX_DNS; t = strtok_r(NULL, ",", &save)) {
            if (strlen(t) < sizeof r.dns[0] && valid_nameserver(t))
                memcpy(r.dns[r.ndns++], t, strlen(t) + 1);
            else
                logmsg("arcbox.dns: invalid entry ignored");
        }
    }
    if (!r.has_addr && !r.has_gw) {
        /* hostname / DNS only; eth0 is left alone */
        if (r.has_hostname && sethostname(r.hostname, strlen(r.hostname)) < 0)
            logmsg("sethostname: %s", strerror(errno));
        if (r.ndns && (err = write_resolv(&r)))
            logmsg("resolv.conf: %s", strerror(err));
        return 0;
    }
    for (int i = 0; i < 100 && !if_nametoindex("eth0"); i++) {
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    err = net_configure(&r);
    if (err)
        logmsg("network from the command line: %s", strerror(err));
    return err;
}
