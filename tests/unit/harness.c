/* harness.c - runs the registered tests, each forked into a fresh temp dir,
 * prints TAP lines and ends with "N passed, N failed, N skipped". */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "../../base/fsutil.h"
#include "../../base/xalloc.h"

extern const struct t_case t_cases[];

int t_variant;

#ifndef CB_SRCDIR
#define CB_SRCDIR "."
#endif

void t_fail(struct t_ctx *t, const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    t->failed = 1;
    printf("#   %s:%d: ", file, line);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
}

const char *t_srcdir(void)
{
    const char *s = getenv("CB_SRCDIR");
    return s && *s ? s : CB_SRCDIR;
}

char *t_data(const char *rel)
{
    return xasprintf("%s/tests/data/%s", t_srcdir(), rel);
}

void t_write(const char *path, const char *content)
{
    const char *slash = strrchr(path, '/');
    FILE *f;

    if (slash) {
        char *dir = xstrndup(path, (size_t)(slash - path));
        if (*dir && cb_mkdir_p(dir, 0755, NULL) < 0)
            abort();
        free(dir);
    }
    f = fopen(path, "w");
    if (!f || fputs(content, f) < 0 || fclose(f) != 0)
        abort();
}

char *t_read(const char *path)
{
    struct cb_buf b;
    cb_buf_init(&b, 64 << 20);
    if (cb_read_file(path, &b, NULL) < 0) {
        cb_buf_release(&b);
        return NULL;
    }
    return cb_buf_detach(&b, NULL);
}

/* 0 pass, 1 fail, 77 skip */
static int run_one(const struct t_case *c, const char *tmproot)
{
    char *dir = cb_mkdtemp(tmproot, "t-", NULL);
    int status = 0;
    pid_t pid;

    if (!dir) {
        printf("#   cannot create a temp dir in %s: %s\n", tmproot, strerror(errno));
        return 1;
    }
    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        struct t_ctx t = {0, 0};
        if (chdir(dir) < 0)
            _exit(1);
        c->fn(&t);
        fflush(stdout);
        _exit(t.failed ? 1 : t.skipped ? 77 : 0);
    }
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    cb_rm_rf(dir, NULL);
    free(dir);
    if (WIFSIGNALED(status)) {
        printf("#   killed by signal %d\n", WTERMSIG(status));
        return 1;
    }
    return WEXITSTATUS(status);
}

int main(int argc, char **argv)
{
    const char *filter = argc > 1 ? argv[1] : NULL;
    const char *tmp = getenv("TMPDIR");
    int pass = 0, fail = 0, skip = 0, n = 0;
    char *tmproot;

    setvbuf(stdout, NULL, _IOLBF, 0);
    tmproot = cb_mkdtemp(tmp && *tmp ? tmp : "/tmp", "cbuild-unit-", NULL);
    if (!tmproot) {
        fprintf(stderr, "cannot create a temp dir\n");
        return 1;
    }
    for (const struct t_case *c = t_cases; c->name; c++) {
        int rc;
        if (filter && !strstr(c->name, filter))
            continue;
        rc = run_one(c, tmproot);
        n++;
        if (rc == 0) {
            pass++;
            printf("ok %d - %s\n", n, c->name);
        } else if (rc == 77) {
            skip++;
            printf("ok %d - %s # SKIP\n", n, c->name);
        } else {
            fail++;
            printf("not ok %d - %s\n", n, c->name);
        }
    }
    cb_rm_rf(tmproot, NULL);
    free(tmproot);
    printf("1..%d\n", n);
    printf("%d passed, %d failed, %d skipped\n", pass, fail, skip);
    return fail ? 1 : 0;
}
