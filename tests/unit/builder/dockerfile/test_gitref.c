/* test_gitref.c - gitref.c: git source references. */
#include <stdlib.h>

#include "harness.h"
#include "../../../../builder/dockerfile/gitref.h"

TEST(gitref_forms)
{
    struct bld_gitref g;
    struct cb_err *err = NULL;
    ASSERT_FAILS(bld_gitref_parse("https://h/o/r.git?subdir=s#:other", &g, &err), err, CB_EINVAL,
                 "subdir conflicts");
    ASSERT_INT_EQ(bld_gitref_parse("https://h/o/r.git?branch=main&subdir=s", &g, &err), 1);
    ASSERT_STR_EQ(g.remote, "https://h/o/r.git");
    ASSERT_STR_EQ(g.short_name, "r");
    ASSERT_STR_EQ(g.ref, "refs/heads/main");
    ASSERT_STR_EQ(g.subdir, "s");
    bld_gitref_release(&g);
    ASSERT_INT_EQ(bld_gitref_parse("git@h.io:o/r?keep-git-dir&submodules=false", &g, &err), 1);
    ASSERT_INT_EQ(g.keep_git_dir, 1);
    ASSERT_INT_EQ(g.submodules, 0);
    bld_gitref_release(&g);
    ASSERT_INT_EQ(bld_gitref_parse("https://h/o/r", &g, &err), 0);
    ASSERT_INT_EQ(bld_gitref_parse("./local.git", &g, &err), 0);
    ASSERT_FAILS(bld_gitref_parse("https://h/r.git?ref=a&ref=b", &g, &err), err, CB_EINVAL,
                 "multiple values");
    ASSERT_FAILS(bld_gitref_parse("https://h/r.git?subdir=", &g, &err), err, CB_EINVAL,
                 "has no value");
}

TEST(gitref_fragment_format)
{
    bool ok;
    char *s = bld_gitref_fragment("https://h/r.git?tag=v1&subdir=/d", true, &ok);
    ASSERT(ok);
    ASSERT_STR_EQ(s, "https://h/r.git#refs/tags/v1:d");
    free(s);
    s = bld_gitref_fragment("not a url", false, &ok);
    ASSERT(!ok);
    ASSERT_STR_EQ(s, "not a url");
    free(s);
}
