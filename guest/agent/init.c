/* init.c — PID 1 duties: early mounts, console, modules, command line, root disks + overlay
 * (switch_root-style, staying PID 1), and the clean power-off. */
#include "agent.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int g_is_pid1;
static int g_rw_fd = -1;          /* O_PATH fd of the overlay's upper filesystem (for remount ro) */
static int g_have_overlay;

static void mkdirp(const char *path, mode_t mode)
{
    if (mkdir(path, mode) < 0 && errno != EEXIST)
        logmsg("mkdir %s: %s", path, strerror(errno));
}

static int do_mount(const char *src, const char *dst, const char *type, unsigned long flags,
                    const char *data)
{
    if (mount(src, dst, type, flags, data) == 0)
        return 0;
    int e = errno;
    logmsg("mount %s on %s (%s): %s", src ? src : "-", dst, type ? type : "-", strerror(e));
    return -e;
}

void init_early(void)
{
    umask(022);
    mkdirp("/proc", 0555);
    mkdirp("/sys", 0555);
    mkdirp("/dev", 0755);
    do_mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
    do_mount("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
    do_mount("devtmpfs", "/dev", "devtmpfs", MS_NOSUID, "mode=0755");

    /* stdin/stdout/stderr on the console; never our controlling terminal */
    int con = open("/dev/console", O_RDWR | O_NOCTTY);
    if (con < 0)
        con = open("/dev/null", O_RDWR | O_NOCTTY);
    if (con >= 0) {
        for (int fd = 0; fd < 3; fd++)
            if (con != fd)
                dup2(con, fd);
        if (con > 2)
            close(con);
    }
    console_marker("ARCBOX_INIT");

    mkdirp("/dev/pts", 0755);
    do_mount("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
             "newinstance,ptmxmode=0666,mode=0620,gid=5");
    unlink("/dev/ptmx");
    if (symlink("pts/ptmx", "/dev/ptmx") < 0)
        logmsg("symlink /dev/ptmx: %s", strerror(errno));
    mkdirp("/dev/shm", 01777);
    do_mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777");
    if (symlink("/proc/self/fd", "/dev/fd") < 0 && errno != EEXIST)
        logmsg("symlink /dev/fd: %s", strerror(errno));
    const char *std[] = {"/dev/stdin", "/dev/stdout", "/dev/stderr"};
    for (int i = 0; i < 3; i++) {
        char target[32];
        snprintf(target, sizeof target, "/proc/self/fd/%d", i);
        if (symlink(target, std[i]) < 0 && errno != EEXIST)
            logmsg("symlink %s: %s", std[i], strerror(errno));
    }
    mkdirp("/tmp", 01777);
    mkdirp("/run", 0755);
    do_mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777");
    do_mount("tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755");
}

void init_load_modules(void)
{
    FILE *f = fopen("/etc/modules.list", "re");
    if (!f) {
        logmsg("no /etc/modules.list: %s", strerror(errno));
        return;
    }
    uint64_t t0 = mono_ms();
    unsigned loaded = 0, failed = 0;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = 0;
        if (!line[0] || line[0] == '#' || strstr(line, ".."))
            continue;
        char path[600];
        snprintf(path, sizeof path, "/lib/modules/%s", line);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            logmsg("module %s: %s", line, strerror(errno));
            failed++;
            continue;
        }
        if (syscall(SYS_finit_module, fd, "", 0) == 0)
            loaded++;
        else if (errno != EEXIST) {
            logmsg("finit_module %s: %s", line, strerror(errno));
            failed++;
        }
        close(fd);
    }
    fclose(f);
    logmsg("modules: %u loaded, %u failed in %llu ms", loaded, failed,
           (unsigned long long)(mono_ms() - t0));
}

static void copy_value(char *dst, size_t dstsz, const char *val, const char *key)
{
    size_t n = strlen(val);
    if (n >= dstsz) {
        logmsg("%s: value too long, ignored", key);
        return;
    }
    memcpy(dst, val, n + 1);
}

void init_parse_cmdline(struct bootcfg *c)
{
    memset(c, 0, sizeof *c);
    memcpy(c->port, DEFAULT_PORT, sizeof DEFAULT_PORT);
    char buf[4096];
    int fd = open("/proc/cmdline", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return;
    buf[n] = 0;
    char *save = NULL;
    for (char *tok = strtok_r(buf, " \t\n", &save); tok; tok = strtok_r(NULL, " \t\n", &save)) {
        if (!strncmp(tok, "arcbox.port=", 12))
            copy_value(c->port, sizeof c->port, tok + 12, "arcbox.port");
        else if (!strncmp(tok, "arcbox.hostname=", 16))
            copy_value(c->hostname, sizeof c->hostname, tok + 16, "arcbox.hostname");
        else if (!strncmp(tok, "arcbox.ip=", 10))
            copy_value(c->ip, sizeof c->ip, tok + 10, "arcbox.ip");
        else if (!strncmp(tok, "arcbox.gw=", 10))
            copy_value(c->gw, sizeof c->gw, tok + 10, "arcbox.gw");
        else if (!strncmp(tok, "arcbox.dns=", 11))
            copy_value(c->dns, sizeof c->dns, tok + 11, "arcbox.dns");
        else if (!strcmp(tok, "arcbox.test_hostile=1"))
            c->test_hostile = 1;
    }
}

/* ---- root filesystem ---- */
static int read_line(const char *path, char *out, size_t outsz)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, out, outsz - 1);
    close(fd);
    if (n < 0)
        return -1;
    out[n] = 0;
    out[strcspn(out, "\n")] = 0;
    return 0;
}

static unsigned count_virtio_blk(void)
{
    DIR *d = opendir("/sys/bus/virtio/devices");
    unsigned n = 0;
    if (!d)
        return 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        char p[300], v[32];
        if (e->d_name[0] == '.')
            continue;
        snprintf(p, sizeof p, "/sys/bus/virtio/devices/%s/device", e->d_name);
        if (read_line(p, v, sizeof v) == 0 && strtoul(v, NULL, 0) == 2)
            n++;
    }
    closedir(d);
    return n;
}

/* Find vd* disks by virtio-blk serial. Firecracker answers the serial query with the drive id,
 * which may not contain '-': there the disks are abx_root and abx_rw. Returns the number of vd*
 * disks seen. */
static unsigned scan_disks(char *root, char *rw, size_t sz)
{
    DIR *d = opendir("/sys/block");
    unsigned n = 0;
    root[0] = rw[0] = 0;
    if (!d)
        return 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strncmp(e->d_name, "vd", 2) != 0)
            continue;
        n++;
        char p[300], serial[64];
        snprintf(p, sizeof p, "/sys/block/%s/serial", e->d_name);
        if (read_line(p, serial, sizeof serial) < 0)
            continue;
        if (!strcmp(serial, "abx-root") || !strcmp(serial, "abx_root"))
            snprintf(root, sz, "/dev/%s", e->d_name);
        else if (!strcmp(serial, "abx-rw") || !strcmp(serial, "abx_rw"))
            snprintf(rw, sz, "/dev/%s", e->d_name);
    }
    closedir(d);
    return n;
}

void init_switch_root(void)
{
    char root[300], rw[300];
    /* virtio-blk probing is synchronous with module loading, but do not race a slow one */
    unsigned want = count_virtio_blk();
    for (int i = 0; scan_disks(root, rw, sizeof root) < want && i < 200; i++) {
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    if (!root[0]) {
        console_marker("ARCBOX_ROOT initramfs (no abx-root disk)");
        return;
    }
    mkdirp("/abx", 0700);
    mkdirp("/abx/lower", 0755);
    mkdirp("/abx/rw", 0755);
    mkdirp("/abx/root", 0755);
    if (do_mount(root, "/abx/lower", "ext4", MS_RDONLY, "noload") < 0 &&
        do_mount(root, "/abx/lower", "ext4", MS_RDONLY, NULL) < 0) {
        console_marker("ARCBOX_ROOT initramfs (abx-root mount failed)");
        return;
    }
    const char *upper_kind = "tmpfs";
    if (rw[0] && do_mount(rw, "/abx/rw", "ext4", MS_NOATIME, NULL) == 0)
        upper_kind = "disk";
    else if (do_mount("tmpfs", "/abx/rw", "tmpfs", 0, "mode=0755") < 0) {
        umount("/abx/lower");
        console_marker("ARCBOX_ROOT initramfs (no upper layer)");
        return;
    }
    mkdirp("/abx/rw/upper", 0755);
    mkdirp("/abx/rw/work", 0755);
    if (do_mount("overlay", "/abx/root", "overlay", 0,
                 "lowerdir=/abx/lower,upperdir=/abx/rw/upper,workdir=/abx/rw/work") < 0) {
        umount("/abx/rw");
        umount("/abx/lower");
        console_marker("ARCBOX_ROOT initramfs (overlay mount failed)");
        return;
    }
    g_rw_fd = open("/abx/rw", O_PATH | O_DIRECTORY | O_CLOEXEC);
    const char *moved[] = {"/dev", "/proc", "/sys", "/run", "/tmp"};
    for (size_t i = 0; i < sizeof moved / sizeof moved[0]; i++) {
        char dst[64];
        snprintf(dst, sizeof dst, "/abx/root%s", moved[i]);
        mkdirp(dst, 0755);
        do_mount(moved[i], dst, NULL, MS_MOVE, NULL);
    }
    /* switch_root: the initramfs cannot be pivot_root'ed away, so move the new root over "/"
     * and chroot into it; we stay PID 1. */
    if (chdir("/abx/root") < 0 || do_mount(".", "/", NULL, MS_MOVE, NULL) < 0 || chroot(".") < 0 ||
        chdir("/") < 0) {
        logmsg("switching root failed: %s", strerror(errno));
        return;
    }
    g_have_overlay = 1;
    char msg[96];
    snprintf(msg, sizeof msg, "ARCBOX_ROOT overlay (upper on %s)", upper_kind);
    console_marker(msg);
}

/* ---- power-off ---- */
static void reap_until(uint64_t deadline_ms)
{
    for (;;) {
        while (waitpid(-1, NULL, WNOHANG) > 0)
            ;
        if (waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD)
            return;
        if (mono_ms() >= deadline_ms)
            return;
        struct timespec ts = {0, 20 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
}

void init_poweroff(void)
{
    if (!g_is_pid1)
        exit(0);
    sync();
    kill(-1, SIGTERM);
    reap_until(mono_ms() + 2000);
    kill(-1, SIGKILL);
    reap_until(mono_ms() + 1000);
    sync();
    if (g_have_overlay) {
        if (mount(NULL, "/", NULL, MS_REMOUNT | MS_RDONLY, NULL) < 0)
            logmsg("remount / read-only: %s", strerror(errno));
        if (g_rw_fd >= 0) {
            char p[64];
            snprintf(p, sizeof p, "/proc/self/fd/%d", g_rw_fd);
            if (mount(NULL, p, NULL, MS_REMOUNT | MS_RDONLY, NULL) < 0)
                logmsg("remount upper read-only: %s", strerror(errno));
        }
    }
    sync();
    console_marker("ARCBOX_POWEROFF");
    reboot(RB_POWER_OFF);
    logmsg("reboot(RB_POWER_OFF): %s", strerror(errno));
    for (;;)
        pause();
}
