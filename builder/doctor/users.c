/* users.c - the runtime user as the container runtime will see it: USER
 * ("name[:group]" or "uid[:gid]") resolved against the image's /etc/passwd
 * and /etc/group (read through the rootfs view) by the executor's own rules
 * (bld_user_lookup), and the kernel's permission rules for that user. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "doctor_internal.h"
#include "../exec/user.h"
#include "../../base/cleanup.h"
#include "../../base/xalloc.h"
#include "../../base/banned.h"

#define DB_LIMIT ((size_t)4 << 20)

/* Read an /etc file of the image; missing is an empty file. */
static int read_db(struct bld_rootfs *fs, const char *path, struct cb_buf *out, struct cb_err **err)
{
    cleanup_err struct cb_err *e = NULL;
    cb_buf_init(out, DB_LIMIT);
    if (bld_rootfs_read(fs, path, 0, out, &e) < 0) {
        if (e->code == CB_ENOTFOUND)
            return 0;
        *err = TAKE_PTR(e);
        return -CB_EIO;
    }
    return 0;
}

int doc_user_resolve(struct bld_rootfs *fs, const char *spec, struct doc_user *u,
                     struct cb_err **err)
{
    cleanup_buf struct cb_buf pw = {0}, gr = {0};
    const char *colon = spec ? strchr(spec, ':') : NULL;
    struct bld_user_lookup l;

    memset(u, 0, sizeof(*u));
    u->spec = xstrdup(spec ? spec : "");
    u->group = colon ? xstrdup(colon + 1) : NULL;
    if (read_db(fs, "/etc/passwd", &pw, err) < 0 || read_db(fs, "/etc/group", &gr, err) < 0)
        return cb_err_rc(err);
    bld_user_lookup(cb_buf_str(&pw), cb_buf_str(&gr), spec, &l);
    u->user_known = l.user_found;
    u->group_known = l.group_found;
    u->uid = l.ids.uid;
    u->gid = l.ids.gid;
    u->groups = TAKE_PTR(l.ids.groups);
    u->n_groups = l.ids.n_groups;
    if (l.name)
        u->passwd_home = TAKE_PTR(l.ids.home);
    bld_user_lookup_release(&l);
    return 0;
}

void doc_user_release(struct doc_user *u)
{
    free(u->spec);
    free(u->group);
    free(u->groups);
    free(u->passwd_home);
    memset(u, 0, sizeof(*u));
}

static bool in_groups(const struct doc_user *u, gid_t gid)
{
    if (u->gid == gid)
        return true;
    for (size_t i = 0; i < u->n_groups; i++)
        if (u->groups[i] == gid)
            return true;
    return false;
}

static bool allowed(const struct doc_user *u, const struct bld_rootfs_stat *st, mode_t bit)
{
    if (st->uid == u->uid)
        return st->mode & (bit << 6);
    if (in_groups(u, st->gid))
        return st->mode & (bit << 3);
    return st->mode & bit;
}

bool doc_can_write(const struct doc_user *u, const struct bld_rootfs_stat *st)
{
    return u->uid == 0 || allowed(u, st, S_IWOTH);
}

bool doc_can_exec(const struct doc_user *u, const struct bld_rootfs_stat *st)
{
    if (S_ISDIR(st->mode))
        return u->uid == 0 || allowed(u, st, S_IXOTH);
    return u->uid == 0 ? (st->mode & 0111) != 0 : allowed(u, st, S_IXOTH);
}
