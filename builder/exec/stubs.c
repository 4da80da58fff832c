/* stubs.c - recording and removing mount-target stubs; WORKDIR creation. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "stubs.h"
#include "../../base/cleanup.h"
#include "../../base/fsutil.h"
#include "../../base/xalloc.h"
#include "../../base/banned.h"

void bld_stubs_init(struct bld_stubs *s)
{
    memset(s, 0, sizeof(*s));
}

void bld_stubs_release(struct bld_stubs *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i].path);
    free(s->v);
    bld_stubs_init(s);
}

static bool exists_beneath(int rootfd, const char *path, struct stat *st)
{
    cleanup_err struct cb_err *e = NULL;
    cleanup_close int fd = cb_open_beneath(rootfd, path, O_PATH | O_NOFOLLOW, 0, &e);
    return fd >= 0 && (!st || fstat(fd, st) == 0);
}

static void add(struct bld_stubs *s, int rootfd, const char *path)
{
    cleanup_free char *parent = xstrdup(path);
    char *slash = strrchr(parent, '/');
    struct stat st = {0};
    struct bld_stub *stub;
    for (size_t i = 0; i < s->n; i++)
        if (!strcmp(s->v[i].path, path))
            return;
    if (slash)
        *slash = '\0';
    exists_beneath(rootfd, slash ? parent : ".", &st);
    XGROW(s->v, s->n + 1, s->alloc);
    stub = &s->v[s->n++];
    stub->path = xstrdup(path);
    stub->parent_times[0] = st.st_atim;
    stub->parent_times[1] = st.st_mtim;
    stub->parent_mode = st.st_mode;
    stub->parent_uid = st.st_uid;
    stub->parent_gid = st.st_gid;
}

void bld_stubs_record(struct bld_stubs *s, int rootfd, const char *target)
{
    cleanup_free char *path = xstrdup(target);
    char *p = path;
    while (*p == '/')
        p++;
    for (char *c = p; *c;) {
        char *slash = strchr(c, '/');
        if (slash)
            *slash = '\0';
        if (*p && !exists_beneath(rootfd, p, NULL))
            add(s, rootfd, p);
        if (!slash)
            break;
        *slash = '/';
        c = slash + 1;
    }
}

static bool dir_is_empty(int dirfd, const char *name)
{
    int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    cleanup_dir DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    struct dirent *de;
    if (!d) {
        if (fd >= 0)
            close(fd);
        return false;
    }
    while ((de = readdir(d)))
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
            return false;
    return true;
}

static bool is_opaque(int fd)
{
    char v[2] = {0};
    return fgetxattr(fd, "trusted.overlay.opaque", v, 1) == 1 && v[0] == 'y';
}

/* Remove path's copied-up directories from an upper dir, bottom up, while
 * they are empty, not opaque and (for the first) unchanged. */
static void uncopy_parents(int dirfd, char *path, const struct bld_stub *stub)
{
    for (bool first = true; *path; first = false) {
        cleanup_err struct cb_err *e = NULL;
        cleanup_close int fd =
            cb_open_beneath(dirfd, path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0, &e);
        cleanup_close int pfd = -1;
        char *slash = strrchr(path, '/');
        struct stat st;
        if (fd < 0 || fstat(fd, &st) < 0 || !dir_is_empty(fd, ".") || is_opaque(fd))
            return;
        if (first && (st.st_mode != stub->parent_mode || st.st_uid != stub->parent_uid ||
                      st.st_gid != stub->parent_gid))
            return;
        if (slash)
            *slash = '\0';
        pfd =
            cb_open_beneath(dirfd, slash ? path : ".", O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0, &e);
        if (pfd < 0 || unlinkat(pfd, slash ? slash + 1 : path, AT_REMOVEDIR) < 0)
            return;
        if (!slash)
            return;
    }
}

static void clean_one(int dirfd, const struct bld_stub *stub, bool overlay_upper)
{
    cleanup_free char *parent = xstrdup(stub->path);
    cleanup_err struct cb_err *e = NULL;
    cleanup_close int pfd = -1;
    char *slash = strrchr(parent, '/');
    const char *name = slash ? slash + 1 : stub->path;
    struct stat st;
    if (slash)
        *slash = '\0';
    pfd = cb_open_beneath(dirfd, slash ? parent : ".", O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0, &e);
    if (pfd < 0 || fstatat(pfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return;
    if (S_ISDIR(st.st_mode) ? !dir_is_empty(pfd, name)
                            : !(S_ISREG(st.st_mode) || S_ISSOCK(st.st_mode)) || st.st_size)
        return;
    if (unlinkat(pfd, name, S_ISDIR(st.st_mode) ? AT_REMOVEDIR : 0) < 0)
        return;
    if (dir_is_empty(pfd, "."))
        futimens(pfd, stub->parent_times);
    if (overlay_upper && slash)
        uncopy_parents(dirfd, parent, stub);
}

void bld_stubs_clean(const struct bld_stubs *s, const char *dir, bool overlay_upper)
{
    cleanup_close int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dirfd < 0)
        return;
    for (size_t i = s->n; i-- > 0;) /* deepest first: recorded parent first */
        clean_one(dirfd, &s->v[i], overlay_upper);
}

int bld_mkdir_beneath(int rootfd, const char *path, uid_t uid, gid_t gid, struct cb_err **err)
{
    cleanup_free char *copy = xstrdup(path);
    for (char *c = copy; *c; c++) {
        bool last = false;
        char *slash;
        while (*c == '/')
            c++;
        if (!*c)
            break;
        slash = strchr(c, '/');
        last = !slash;
        if (slash)
            *slash = '\0';
        if (!exists_beneath(rootfd, copy, NULL)) {
            cleanup_free char *parent = xstrndup(copy, (size_t)(c - copy));
            cleanup_close int pfd =
                cb_open_beneath(rootfd, *parent ? parent : "/", O_RDONLY | O_DIRECTORY, 0, err);
            if (pfd < 0)
                return cb_wrap(err, "create '%s'", path);
            if (mkdirat(pfd, c, 0755) < 0 && errno != EEXIST)
                return cb_fail(err, CB_EIO, errno, "create '%s'", path);
            if (fchownat(pfd, c, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
                return cb_fail(err, CB_EIO, errno, "chown '%s'", path);
        }
        if (last)
            break;
        *slash = '/';
        c = slash;
    }
    return 0;
}
