/* test_gitsrc.c - gitsrc.c without a network: redaction of remotes for
 * messages, a full commit id taken as is, and the checksum check. */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "../../../builder/gitsrc.h"
#include "../../../base/cleanup.h"
#include "../../../base/xalloc.h"

TEST(gitsrc_redact_hides_the_password_only)
{
    const struct {
        const char *in, *want;
    } v[] = {
        {"https://github.com/x/y.git", "https://github.com/x/y.git"},
        {"https://bob:s3cret@host/r.git#main", "https://bob:xxxxx@host/r.git#main"},
        {"https://bob@host/r.git", "https://bob@host/r.git"},
        {"ssh://git:pw@host:22/r.git", "ssh://git:xxxxx@host:22/r.git"},
        {"git@github.com:x/y.git", "git@github.com:x/y.git"},
        {"x=https://u:p@h/r.git", "x=https://u:xxxxx@h/r.git"},
        {"https://h/path/with@at:colon", "https://h/path/with@at:colon"},
    };
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        cleanup_free char *got = bld_git_redact(v[i].in);
        ASSERT_STR_EQ(got, v[i].want);
    }
}

TEST(gitsrc_full_commit_id_needs_no_network)
{
    cleanup_err struct cb_err *err = NULL;
    struct bld_git_src g;
    const char *sha = "0123456789ABCDEF0123456789abcdef01234567";
    cleanup_free char *src = xasprintf("https://127.0.0.1:1/r.git#%s:sub", sha);
    ASSERT_OK(bld_git_resolve(src, false, NULL, &g, &err), err);
    ASSERT_STR_EQ(g.commit, "0123456789abcdef0123456789abcdef01234567");
    ASSERT(!g.keep_git_dir);
    ASSERT(g.submodules);
    cleanup_free char *id = bld_git_identity(&g);
    ASSERT(strstr(id, "commit=0123456789abcdef") && strstr(id, "subdir=sub"));
    bld_git_src_release(&g);
    ASSERT_OK(bld_git_resolve(src, true, "0123456", &g, &err), err);
    ASSERT(g.keep_git_dir);
    bld_git_src_release(&g);
    ASSERT_FAILS(bld_git_resolve(src, false, "fedcba9", &g, &err), err, CB_EDIGEST,
                 "resolved to commit 0123456789abcdef0123456789abcdef01234567, the checksum "
                 "wants fedcba9");
    ASSERT_FAILS(bld_git_resolve(src, false, "0123", &g, &err), err, CB_EDIGEST, "checksum");
    ASSERT_FAILS(bld_git_resolve("./local/dir", false, NULL, &g, &err), err, CB_EINVAL,
                 "not a git repository URL");
}
