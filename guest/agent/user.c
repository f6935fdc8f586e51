/* user.c — guest users for executions (USER) and files (OWNER): a name looked up in the guest's
 * /etc/passwd (read after the root switch, so it is the sandbox's own), or "uid[:gid]". */
#include "agent.h"

#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <pwd.h>
#include <string.h>
#include <unistd.h>

static void fill_named(struct guest_user *u, const struct passwd *pw)
{
    u->named = 1;
    snprintf(u->name, sizeof u->name, "%s", pw->pw_name);
    snprintf(u->home, sizeof u->home, "%s", pw->pw_dir && pw->pw_dir[0] == '/' ? pw->pw_dir : "/");
}

int user_resolve(const char *spec, struct guest_user *u)
{
    memset(u, 0, sizeof *u);
    snprintf(u->home, sizeof u->home, "/");
    uint32_t uid, gid;
    int has_gid;
    if (parse_uid_gid(spec, &uid, &gid, &has_gid) == 0) {
        u->uid = uid;
        errno = 0;
        struct passwd *pw = getpwuid((uid_t)uid);
        if (pw) {
            fill_named(u, pw);
            u->gid = has_gid ? gid : (uint32_t)pw->pw_gid;
        } else {
            u->gid = has_gid ? gid : uid;
        }
        if (pw && has_gid && gid != (uint32_t)pw->pw_gid)
            u->named = 2; /* a name and home, but an explicit gid: no initgroups */
        return 0;
    }
    errno = 0;
    struct passwd *pw = getpwnam(spec);
    if (!pw)
        return EINVAL;
    u->uid = (uint32_t)pw->pw_uid;
    u->gid = (uint32_t)pw->pw_gid;
    fill_named(u, pw);
    return 0;
}

int user_switch(const struct guest_user *u)
{
    if (u->named == 1) {
        if (initgroups(u->name, (gid_t)u->gid) < 0)
            return -1;
    } else {
        gid_t g = (gid_t)u->gid;
        if (setgroups(1, &g) < 0)
            return -1;
    }
    if (setgid((gid_t)u->gid) < 0 || setuid((uid_t)u->uid) < 0)
        return -1;
    return 0;
}
