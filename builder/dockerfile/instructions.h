/* instructions.h - nodes -> typed instructions (BuildKit's instructions/parse.go).
 *
 * Every one of the 18 instructions has a struct with all its flags, parsed
 * and validated (unknown flag, duplicated flag, wrong argument count, bad
 * --mount options...).  Values are kept as written: variable expansion is a
 * separate step (bld_instr_expand) because it needs the ARG/ENV scope in
 * effect, which stages.h tracks.  Every instruction carries its node (source
 * lines, keyword as written, original text).
 */
#ifndef CBUILD_BUILDER_DOCKERFILE_INSTRUCTIONS_H
#define CBUILD_BUILDER_DOCKERFILE_INSTRUCTIONS_H

#include <stdbool.h>
#include <stdint.h>

#include "parser.h"
#include "shell.h"

enum bld_instr_kind {
    BLD_I_ADD,
    BLD_I_ARG,
    BLD_I_CMD,
    BLD_I_COPY,
    BLD_I_ENTRYPOINT,
    BLD_I_ENV,
    BLD_I_EXPOSE,
    BLD_I_FROM,
    BLD_I_HEALTHCHECK,
    BLD_I_LABEL,
    BLD_I_MAINTAINER,
    BLD_I_ONBUILD,
    BLD_I_RUN,
    BLD_I_SHELL,
    BLD_I_STOPSIGNAL,
    BLD_I_USER,
    BLD_I_VOLUME,
    BLD_I_WORKDIR,
};

/* "from", "run"... (lower case) */
const char *bld_instr_kind_name(enum bld_instr_kind k);

/* A key/value pair of ENV, LABEL or ARG. */
struct bld_kv {
    char *key;
    char *value;   /* NULL for "ARG name" without a default */
    char *comment; /* ARG doc comment ("sets foo"), or NULL */
    bool legacy;   /* ENV/LABEL written "key value" (no '=') */
};

struct bld_kvs {
    struct bld_kv *v;
    size_t n, alloc;
};
void bld_kvs_release(struct bld_kvs *k);
/* Set key (replacing the first entry with that key, else appending). */
void bld_kvs_set(struct bld_kvs *k, const char *key, const char *value);
/* The first entry with key, or NULL. */
struct bld_kv *bld_kvs_find(const struct bld_kvs *k, const char *key);

/* A command line: shell form (one string, prepend_shell) or exec form. */
struct bld_cmdline {
    struct cb_strv args;
    bool prepend_shell;        /* shell form: run through SHELL */
    struct bld_heredoc *files; /* RUN heredocs (the first may be the script) */
    size_t nfiles;
};

/* RUN --mount as written in the Dockerfile (the frontend's view; the
 * executor has its own struct bld_mount in builder/exec/mounts.h).  The
 * numeric values match the executor's enums. */
enum bld_run_mount_type {
    BLD_RUN_MOUNT_BIND,
    BLD_RUN_MOUNT_CACHE,
    BLD_RUN_MOUNT_TMPFS,
    BLD_RUN_MOUNT_SECRET,
    BLD_RUN_MOUNT_SSH,
};
enum bld_run_mount_sharing {
    BLD_RUN_SHARING_SHARED,
    BLD_RUN_SHARING_PRIVATE,
    BLD_RUN_SHARING_LOCKED
};

struct bld_run_mount {
    enum bld_run_mount_type type;
    char *from;   /* stage, image or context; NULL: the build context */
    char *source; /* path inside from */
    char *target;
    char *id;  /* cache/secret/ssh id */
    char *env; /* secret exposed as this env var */
    bool read_only;
    bool required;
    enum bld_run_mount_sharing sharing;
    bool has_mode, has_uid, has_gid;
    uint32_t mode;
    uint32_t uid, gid;
    int64_t size_limit; /* tmpfs size in bytes, 0 = none */
};

enum bld_network { BLD_NET_DEFAULT, BLD_NET_NONE, BLD_NET_HOST, BLD_NET_UNSET };
enum bld_security { BLD_SEC_SANDBOX, BLD_SEC_INSECURE };

struct bld_device {
    char *name;
    bool required;
};

struct bld_copy_source { /* a heredoc source of COPY/ADD */
    char *path;
    char *data;
    bool expand;
};

/* COPY and ADD share one struct; the ADD-only and COPY-only flags are
 * rejected by the parser for the other instruction. */
struct bld_instr_copy {
    struct cb_strv sources; /* paths as written */
    char *dest;
    struct bld_copy_source *contents; /* heredoc sources */
    size_t ncontents;
    char *from; /* COPY --from */
    char *chown;
    char *chmod;
    bool link;
    bool parents; /* COPY --parents */
    struct cb_strv excludes;
    char *checksum; /* ADD --checksum */
    bool keep_git_dir;
    int unpack; /* ADD --unpack: -1 unset, 0 false, 1 true */
};

struct bld_instr_run {
    struct bld_cmdline cmd;
    struct bld_run_mount *mounts;
    size_t nmounts;
    struct cb_strv mount_specs; /* the --mount values (expanded by bld_instr_expand) */
    enum bld_network network;   /* BLD_NET_UNSET when not given */
    enum bld_security security;
    struct bld_device *devices;
    size_t ndevices;
};

struct bld_healthcheck {
    struct cb_strv test; /* ["NONE"], ["CMD", ...] or ["CMD-SHELL", "..."] */
    int64_t interval_ns, timeout_ns, start_period_ns, start_interval_ns; /* 0 = default */
    int retries;                                                         /* 0 = default */
};

struct bld_instr_from {
    char *base; /* image reference as written */
    char *name; /* AS name (lower-cased, as BuildKit does), or NULL */
    char *name_as_written;
    char *platform; /* --platform as written, or NULL */
};

struct bld_instr {
    enum bld_instr_kind kind;
    const struct bld_node *node; /* borrowed from the AST: lines, keyword, original */
    struct cb_strv flags_used;   /* flag names given, e.g. "mount" */
    union {
        struct bld_instr_from from;
        struct bld_instr_run run;
        struct bld_cmdline cmd;     /* CMD, ENTRYPOINT */
        struct bld_instr_copy copy; /* COPY, ADD */
        struct bld_kvs kvs;         /* ENV, LABEL, ARG */
        struct cb_strv list;        /* EXPOSE ports, VOLUME paths, SHELL */
        char *str;                  /* USER, WORKDIR, STOPSIGNAL, MAINTAINER */
        char *onbuild;              /* ONBUILD: the trigger text */
        struct bld_healthcheck health;
    } u;
};

/* Parse one node into *out (the node must outlive *out).  Errors are
 * CB_ESYNTAX "Dockerfile:LINE: <BuildKit's message>". */
int bld_instr_parse(const struct bld_node *node, struct bld_instr *out, struct cb_err **err);
void bld_instr_release(struct bld_instr *in);

/* Expand the word-expanding fields of in (BuildKit's list: ADD, COPY, ENV,
 * EXPOSE, FROM, LABEL, STOPSIGNAL, USER, VOLUME, WORKDIR, ARG and flag values)
 * with values from lookup; the names looked up are added to usage. */
int bld_instr_expand(struct bld_instr *in, char escape, bld_lookup_fn lookup, void *userdata,
                     struct bld_shell_usage *usage, struct cb_err **err);

/* Small helpers with BuildKit's exact behaviour, exposed for tests. */

/* A Go duration ("1m30s", "50ns") in nanoseconds. */
int bld_parse_duration(const char *s, int64_t *out, struct cb_err **err);
/* Go's time.Duration.String ("1m30s", "100ms", "0s"), allocated. */
char *bld_go_duration(int64_t ns);
/* The image-history text of a HEALTHCHECK: Go's "%+v" of the config,
 * "HEALTHCHECK {Test:[CMD-SHELL x] Interval:1s Timeout:0s ...}". */
char *bld_healthcheck_string(const struct bld_healthcheck *h);
/* EXPOSE spec -> "port/proto" strings (ranges expanded) appended to out. */
int bld_expose_parse(const char *spec, struct cb_strv *out, struct cb_err **err);
/* RUN --device value. */
int bld_device_parse(const char *value, struct bld_device *out, struct cb_err **err);
/* RUN --mount value. */
int bld_run_mount_parse(const char *value, struct bld_run_mount *out, struct cb_err **err);
void bld_run_mount_release(struct bld_run_mount *m);

#endif
