/* doctor_internal.h - what the doctor's check and fixup files share: the
 * facts gathered once about an image (runtime user, HOME, PATH, the start
 * program, Python .local trees) and small helpers over the rootfs view. */
#ifndef CBUILD_BUILDER_DOCTOR_DOCTOR_INTERNAL_H
#define CBUILD_BUILDER_DOCTOR_DOCTOR_INTERNAL_H

#include <stdbool.h>
#include <sys/types.h>

#include "doctor.h"
#include "rootfs.h"
#include "../../base/strv.h"
#include "../../oci/image.h"

/* Docker's PATH when the image sets none. */
#define DOC_DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* The runtime user, resolved against the image's /etc/passwd and /etc/group. */
struct doc_user {
    char *spec;      /* USER as written ("" = root) */
    char *group;     /* group part of USER, or NULL */
    bool user_known; /* numeric, or found in /etc/passwd */
    bool group_known;
    uid_t uid;
    gid_t gid;
    gid_t *groups; /* supplementary groups */
    size_t n_groups;
    char *passwd_home; /* NULL when there is no passwd entry */
};

/* A Python user-base tree: DIR/.local holding lib/pythonX.Y/site-packages. */
struct doc_pytree {
    char *base;             /* "/home/app/.local" (resolved) */
    char *site;             /* ".../lib/python3.11/site-packages" */
    uid_t uid;              /* owner of base */
    struct cb_strv modules; /* top-level importable names */
    struct cb_strv dists;   /* *.dist-info / *.egg-info names */
    struct cb_strv scripts; /* names in base/bin */
};

struct doc_facts {
    const struct oci_image *img;
    struct bld_rootfs *fs;
    struct doc_user user;
    char *home; /* effective HOME: ENV HOME, passwd home, or "/" */
    bool home_from_env;
    char *path;          /* ENV PATH or the default */
    char *workdir;       /* WORKDIR or "/" */
    struct cb_strv argv; /* ENTRYPOINT + CMD */
    char *program;       /* the program run: argv[0], or sh -c's first word */
    bool via_shell;      /* program came from a sh -c script */
    char *script;        /* that script, or NULL */
    char *program_path;  /* where it resolves in the image, or NULL */
    struct doc_pytree *trees;
    size_t n_trees;
    bool has_python;
};

int doc_facts_gather(const struct oci_image *img, struct bld_rootfs *fs, struct doc_facts *f,
                     struct cb_err **err);
void doc_facts_release(struct doc_facts *f);

/* users.c */
int doc_user_resolve(struct bld_rootfs *fs, const char *spec, struct doc_user *u,
                     struct cb_err **err);
void doc_user_release(struct doc_user *u);
/* Permission for u on st (root bypasses, as the kernel does). */
bool doc_can_write(const struct doc_user *u, const struct bld_rootfs_stat *st);
bool doc_can_exec(const struct doc_user *u, const struct bld_rootfs_stat *st);

/* The value of ENV key in img, or NULL (borrowed). */
const char *doc_env_peek(const struct oci_image *img, const char *key);
/* Find a bare program name on path (colon list) in the view; allocated
 * resolved-path-as-found ("/usr/bin/python3") or NULL. */
char *doc_which(struct bld_rootfs *fs, const char *path, const char *name);
/* Whether dir is one of path's entries. */
bool doc_path_has(const char *path, const char *dir);
/* The basename of p (borrowed from p). */
const char *doc_basename(const char *p);
/* Join v with ", ", at most max items then ", ... (N more)". */
char *doc_join(const struct cb_strv *v, size_t max);

/* Find the Python user-base trees (doctor_python.c); fills f->trees. */
int doc_gather_trees(struct doc_facts *f, struct cb_err **err);
/* Whether the start program writes into its working directory (npm, next...). */
bool doc_program_writes_cwd(const struct doc_facts *f);

/* The check groups, in the order they run. */
int doc_check_user(struct doc_facts *f, struct bld_findings *out, struct cb_err **err);
int doc_check_program(struct doc_facts *f, struct bld_findings *out, struct cb_err **err);
int doc_check_python(struct doc_facts *f, struct bld_findings *out, struct cb_err **err);
int doc_check_node(struct doc_facts *f, struct bld_findings *out, struct cb_err **err);
int doc_check_ownership(struct doc_facts *f, struct bld_findings *out, struct cb_err **err);
int doc_check_secrets(struct doc_facts *f, struct bld_findings *out, struct cb_err **err);
int doc_check_args(struct doc_facts *f, const struct bld_doctor_opts *o, struct bld_findings *out,
                   struct cb_err **err);

/* doctor_exec.c: probe the findings from first on with o->exec. */
int doc_exec_probes(struct doc_facts *f, const struct bld_doctor_opts *o, struct bld_findings *out,
                    size_t first, struct cb_err **err);

/* Node helpers shared with the fixups. */
bool doc_uses_npm(struct doc_facts *f);
char *doc_npm_cache(struct doc_facts *f);
/* The root-owned entries under the user's home, HOME included (only those
 * in the user's way with blocking_only: dirs it cannot write, files it
 * cannot read); at most max paths listed, *total counts all. */
int doc_root_owned(struct doc_facts *f, bool blocking_only, size_t max, struct cb_strv *paths,
                   size_t *total, struct cb_err **err);

/* doctor_json.c: package.json's scripts.start, or NULL. */
char *doc_pkg_start_script(const char *data, size_t len);

#endif
