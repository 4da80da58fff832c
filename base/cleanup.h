/* cleanup.h - scope-bound cleanup attributes (crun's habit).
 *
 * A variable with a cleanup attribute is initialised where it is declared,
 * to NULL or -1.  Hand ownership out with TAKE_PTR()/TAKE_FD().
 */
#ifndef CBUILD_BASE_CLEANUP_H
#define CBUILD_BASE_CLEANUP_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <errno.h>

static inline void cb_freep(void *p)
{
    free(*(void **)p);
}

static inline void cb_closep(int *fd)
{
    if (*fd >= 0) {
        int saved = errno;
        close(*fd);
        errno = saved;
    }
    *fd = -1;
}

static inline void cb_fclosep(FILE **f)
{
    if (*f)
        fclose(*f);
    *f = NULL;
}

static inline void cb_closedirp(DIR **d)
{
    if (*d)
        closedir(*d);
    *d = NULL;
}

/* Free a NULL-terminated array of strings and the array. */
static inline void cb_strv_freep(char ***v)
{
    if (*v) {
        for (char **p = *v; *p; p++)
            free(*p);
        free(*v);
    }
    *v = NULL;
}

#define cleanup_free __attribute__((cleanup(cb_freep)))
#define cleanup_close __attribute__((cleanup(cb_closep)))
#define cleanup_file __attribute__((cleanup(cb_fclosep)))
#define cleanup_dir __attribute__((cleanup(cb_closedirp)))
#define cleanup_strv __attribute__((cleanup(cb_strv_freep)))

#define TAKE_PTR(p)                                                                                \
    ({                                                                                             \
        __typeof__(p) take_ptr_tmp_ = (p);                                                         \
        (p) = NULL;                                                                                \
        take_ptr_tmp_;                                                                             \
    })

#define TAKE_FD(fd)                                                                                \
    ({                                                                                             \
        int take_fd_tmp_ = (fd);                                                                   \
        (fd) = -1;                                                                                 \
        take_fd_tmp_;                                                                              \
    })

#endif
