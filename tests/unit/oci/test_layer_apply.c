/* The malicious-layer corpus: tars made here with python3's tarfile (which
 * writes any name it is given), applied to target/ next to outside/.  Each
 * must be rejected with a clear error, or (where the spec says the entry
 * replaces what is there) handled without following anything, and in every
 * case nothing outside target/ may change. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "../../../base/cleanup.h"
#include "../../../base/fsutil.h"
#include "../../../oci/layer.h"

static int sh(const char *cmd)
{
    pid_t pid = fork();
    if (pid == 0) {
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

/* Each case: name, python statements adding members to tar t (helpers: f(name,
 * data), d(name), l(name, target), h(name, target)), and the expected error
 * substring, or NULL when the layer must apply and stay inside. */
struct mcase {
    const char *name;
    const char *py;
    const char *want;
};

static const struct mcase cases[] = {
    {"dotdot", "f('../evil', b'x')", "has a '..' component"},
    {"dotdot-nested", "d('a'); f('a/../../evil', b'x')", "has a '..' component"},
    {"dotdot-dot-slash", "f('./../evil', b'x')", "has a '..' component"},
    {"absolute", "f(OUT + '/evil', b'x')", "is absolute"},
    {"absolute-root", "f('/evil', b'x')", "is absolute"},
    {"symlink-then-file", "l('esc', OUT); f('esc/evil', b'x')", "through symlink 'esc'"},
    {"relative-symlink-then-file", "l('esc', '../outside'); f('esc/evil', b'x')",
     "through symlink 'esc'"},
    {"symlink-deep-then-file", "d('a'); l('a/b', '../../outside'); f('a/b/c/evil', b'x')",
     "through symlink 'a/b'"},
    {"symlink-then-dir", "l('esc', OUT); d('esc/sub')", "through symlink 'esc'"},
    {"symlink-then-whiteout", "l('esc', OUT); f('esc/.wh.secret', b'')", "through symlink 'esc'"},
    {"hardlink-dotdot", "h('evil', '../outside/secret')", "has a '..' component"},
    {"hardlink-absolute", "h('evil', OUT + '/secret')", "is absolute"},
    {"hardlink-through-symlink", "l('esc', OUT); h('evil', 'esc/secret')", "through symlink 'esc'"},
    {"symlink-loop", "l('a', 'b'); l('b', 'a'); f('a/evil', b'x')", "through symlink 'a'"},
    {"symlink-self-loop", "l('a', 'a'); f('a/evil', b'x')", "through symlink 'a'"},
    {"whiteout-dotdot", "f('.wh..', b'')", "bad whiteout"},
    {"whiteout-escape", "f('../.wh.secret', b'')", "has a '..' component"},
    /* replaced, never followed: */
    {"symlink-replaced-by-dir", "l('esc', OUT); d('esc'); f('esc/evil', b'x')", NULL},
    {"file-over-symlink", "l('esc', OUT + '/secret'); f('esc', b'overwritten?')", NULL},
    {"hardlink-to-symlink-then-file", "l('s', OUT + '/secret'); h('hl', 's'); f('hl', b'x')", NULL},
};

static const char *prelude =
    "import io, os, sys, tarfile\n"
    "OUT = os.path.abspath('outside')\n"
    "def add(i, data=None):\n"
    "    t.addfile(i, io.BytesIO(data) if data is not None else None)\n"
    "def f(n, data):\n"
    "    i = tarfile.TarInfo(n); i.size = len(data); i.mode = 0o644; add(i, data)\n"
    "def d(n):\n"
    "    i = tarfile.TarInfo(n); i.type = tarfile.DIRTYPE; i.mode = 0o755; add(i)\n"
    "def l(n, target):\n"
    "    i = tarfile.TarInfo(n); i.type = tarfile.SYMTYPE; i.linkname = target; add(i)\n"
    "def h(n, target):\n"
    "    i = tarfile.TarInfo(n); i.type = tarfile.LNKTYPE; i.linkname = target; add(i)\n";

/* Write a python program making every case (case-<i>.tar) and run it once:
 * one interpreter start instead of one per case. */
static int make_all_cases(void)
{
    FILE *f = fopen("gen.py", "w");
    if (!f)
        return -1;
    fprintf(f, "%s", prelude);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        fprintf(f,
                "t = tarfile.open('case-%zu.tar', 'w', format=tarfile.PAX_FORMAT)\n%s\nt.close()\n",
                i, cases[i].py);
    fclose(f);
    return sh("python3 gen.py");
}

static int make_case(const struct mcase *c, const char *tar)
{
    char cmd[4096];
    FILE *f = fopen("gen1.py", "w");
    if (!f)
        return -1;
    fprintf(f, "%st = tarfile.open('%s', 'w', format=tarfile.PAX_FORMAT)\n%s\nt.close()\n", prelude,
            tar, c->py);
    fclose(f);
    snprintf(cmd, sizeof(cmd), "python3 gen1.py");
    return sh(cmd);
}

/* outside/ still holds exactly "secret" with its content, and no "evil"
 * exists anywhere but under target/. */
static int outside_untouched(void)
{
    return sh("test \"$(ls -A outside)\" = secret && test \"$(cat outside/secret)\" = s3cret && "
              "test -z \"$(find . -name evil -not -path './target/*')\"");
}

TEST(layer_apply_malicious_corpus_rejected)
{
    if (sh("command -v python3 >/dev/null") != 0)
        SKIP("python3 missing");
    ASSERT_INT_EQ(make_all_cases(), 0);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct mcase *c = &cases[i];
        cleanup_err struct cb_err *err = NULL;
        ASSERT_INT_EQ(sh("rm -rf target outside && mkdir target outside && "
                         "printf s3cret > outside/secret"),
                      0);
        char tar[64];
        snprintf(tar, sizeof(tar), "case-%zu.tar", i);
        int r = oci_layer_apply_file(tar, "target", NULL, NULL, &err);
        if (c->want) {
            if (r >= 0)
                T_FAIL("case %s: applied, want rejection", c->name);
            if (err->code != CB_EINVAL || !strstr(err->msg, c->want))
                T_FAIL("case %s: error '%s', want '%s'", c->name, err->msg, c->want);
        } else if (r < 0) {
            T_FAIL("case %s: %s", c->name, err->msg);
        }
        if (outside_untouched() != 0)
            T_FAIL("case %s: something was written outside the target", c->name);
    }
}

TEST(layer_apply_replacements_stay_inside)
{
    cleanup_err struct cb_err *err = NULL;
    struct stat st;
    ASSERT_INT_EQ(sh("mkdir target outside && printf s3cret > outside/secret"), 0);
    ASSERT_INT_EQ(make_case(&cases[sizeof(cases) / sizeof(cases[0]) - 3], "a.tar"), 0);
    ASSERT_OK(oci_layer_apply_file("a.tar", "target", NULL, NULL, &err), err);
    ASSERT_INT_EQ(lstat("target/esc", &st), 0);
    ASSERT(S_ISDIR(st.st_mode));
    ASSERT(cb_path_exists("target/esc/evil"));
    ASSERT_INT_EQ(make_case(&cases[sizeof(cases) / sizeof(cases[0]) - 2], "b.tar"), 0);
    ASSERT_OK(oci_layer_apply_file("b.tar", "target", NULL, NULL, &err), err);
    ASSERT_INT_EQ(lstat("target/esc", &st), 0);
    ASSERT(S_ISREG(st.st_mode));
    ASSERT_INT_EQ(outside_untouched(), 0);
}

/* A symlink already in the rootfs (from a lower layer) is not followed either. */
TEST(layer_apply_refuses_existing_symlinked_parent)
{
    cleanup_err struct cb_err *err = NULL;
    const struct mcase c = {"pre", "f('lib/evil', b'x')", NULL};
    ASSERT_INT_EQ(sh("mkdir target outside && printf s3cret > outside/secret && "
                     "ln -s ../outside target/lib"),
                  0);
    ASSERT_INT_EQ(make_case(&c, "c.tar"), 0);
    ASSERT_FAILS(oci_layer_apply_file("c.tar", "target", NULL, NULL, &err), err, CB_EINVAL,
                 "layer entry 'lib/evil': refusing to write through symlink 'lib'");
    ASSERT_INT_EQ(outside_untouched(), 0);
}

TEST(layer_apply_corrupt_input_fails_cleanly)
{
    cleanup_err struct cb_err *err = NULL;
    mkdir("target", 0755);
    ASSERT_INT_EQ(sh("head -c 3000 /dev/urandom > junk && printf '\\037\\213xx' > badgz"), 0);
    ASSERT_FAILS(oci_layer_apply_file("junk", "target", NULL, NULL, &err), err, CB_EIO,
                 "apply layer to 'target'");
    ASSERT_FAILS(oci_layer_apply_file("badgz", "target", NULL, NULL, &err), err, CB_EIO, "gzip");
}

TEST(layer_apply_empty_blob_is_empty_layer)
{
    cleanup_err struct cb_err *err = NULL;
    struct oci_layer_desc d;
    mkdir("target", 0755);
    t_write("empty", "");
    ASSERT_OK(oci_layer_apply_file("empty", "target", NULL, &d, &err), err);
    ASSERT_INT_EQ(d.entries, 0);
}
