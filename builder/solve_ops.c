/* solve_ops.c - the layer steps (RUN, COPY/ADD, WORKDIR): each computes its
 * cache key, reuses the record when there is one, or snapshots, does the
 * work, commits a layer and records it. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "solve.h"
#include "copy.h"
#include "gitsrc.h"
#include "run.h"
#include "step.h"
#include "dockerfile/ignore.h"
#include "../cache/contenthash.h"
#include "../cache/keys.h"
#include "../oci/fetch.h"
#include "../oci/layout.h"
#include "../base/cleanup.h"
#include "../base/fsutil.h"
#include "../base/xalloc.h"
#include "../base/banned.h"

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* The build args an instruction used, with their values, sorted by name. */
static size_t used_args(const struct bld_stage_ctx *c, size_t k, struct cache_kv *out, size_t max)
{
    /* k past the stage's instructions: an ONBUILD trigger, which records none */
    const struct cb_strv *names =
        c->stage->args_used && k < c->stage->n ? &c->stage->args_used[k] : NULL;
    size_t n = 0;

    for (size_t i = 0; names && i < names->n && n < max; i++) {
        const struct bld_kv *kv = bld_kvs_find(&c->args, names->v[i]);
        bool dup = false;
        for (size_t j = 0; j < n; j++)
            dup |= !strcmp(out[j].name, names->v[i]);
        if (kv && !dup)
            out[n++] = (struct cache_kv){kv->key, kv->value};
    }
    return n;
}

/* Apply a record to the state: its layer(s) and one history entry. */
static void apply_result(struct bld_stage_ctx *c, const struct cache_record *rec,
                         const char *created_by)
{
    char *created = bld_stage_created(c, rec->created_ns);

    for (size_t i = 0; i < rec->n_layers; i++) {
        struct oci_descriptor d;
        oci_descriptor_init(&d);
        d.media_type = xstrdup(rec->layers[i].blob.media_type);
        d.digest = rec->layers[i].blob.digest;
        d.size = rec->layers[i].blob.size;
        bld_state_add_layer(c->st, &d, &rec->layers[i].diff_id);
        oci_descriptor_release(&d);
    }
    bld_state_add_history(c->st, created, created_by, rec->n_layers == 0);
    c->st->key = rec->key;
    c->st->has_key = true;
    c->last_created_ns = rec->created_ns;
    free(created);
}

/* 1 and the state advanced when key has a usable record, else 0. */
static int try_cache(struct bld_stage_ctx *c, const struct oci_digest *key, const char *created_by,
                     int step, struct cb_err **err)
{
    cleanup_cache_record struct cache_record *rec = NULL;
    struct oci_layout *l = oci_store_layout_peek(c->s->store);
    int rc;

    if (c->no_cache)
        return 0;
    rc = cache_records_lookup(c->s->records, key, &rec, err);
    if (rc <= 0)
        return rc;
    for (size_t i = 0; i < rec->n_layers; i++)
        if (!oci_layout_has_blob(l, &rec->layers[i].blob.digest))
            return 0; /* pruned: run again */
    apply_result(c, rec, created_by);
    cache_records_touch(c->s->records, key, 0, NULL);
    cb_progress_step(&c->s->o->progress, CB_PROGRESS_CACHED, step, NULL, NULL);
    pthread_mutex_lock(&c->s->lock);
    c->s->steps_cached++;
    pthread_mutex_unlock(&c->s->lock);
    return 1;
}

/* Record what the snapshot turned into and advance the state. */
static int commit(struct bld_stage_ctx *c, struct bld_snapshot *snap, const struct oci_digest *key,
                  const char *created_by, int step, struct cb_err **err)
{
    struct bld_layer_result lr;
    cleanup_cache_record struct cache_record *rec = cache_record_new();

    if (bld_step_commit(c->s, snap, &lr, err) < 0)
        return cb_err_rc(err);
    rec->key = *key;
    rec->created_by = xstrdup(created_by);
    rec->created_ns = c->s->o->has_epoch ? c->s->o->epoch * 1000000000 : now_ns();
    if (!lr.empty)
        cache_record_add_layer(rec, lr.layer.media_type, &lr.layer.digest, lr.layer.size,
                               &lr.diff_id);
    bld_layer_result_release(&lr);
    if (cache_records_put(c->s->records, rec, err) < 0) {
        return cb_wrap(err, "record the cache");
    }
    apply_result(c, rec, created_by);
    cb_progress_step(&c->s->o->progress, CB_PROGRESS_DONE, step, NULL, NULL);
    pthread_mutex_lock(&c->s->lock);
    c->s->steps_run++;
    pthread_mutex_unlock(&c->s->lock);
    return 0;
}

/* A layer's compression is part of its key when it is not the default, so
 * that --compression zstd gives zstd layers (compressed once, at commit)
 * instead of reusing gzip ones. */
static void add_compression(const struct bld_stage_ctx *c, struct cache_kv *flags, size_t *n)
{
    if (c->s->o->compression != OCI_COMPRESSION_GZIP)
        flags[(*n)++] =
            (struct cache_kv){"compression", oci_compression_name(c->s->o->compression)};
}

static void fill_key_common(const struct bld_stage_ctx *c, struct cache_key_req *r,
                            struct cb_strv *shell)
{
    const struct oci_run_config *cfg = &c->st->img.config;
    bld_state_shell(c->st, shell);
    r->env = (const char *const *)cfg->env.v;
    r->n_env = cfg->env.n;
    r->user = cfg->user;
    r->workdir = bld_state_workdir(c->st);
    r->shell = (const char *const *)shell->v;
    r->n_shell = shell->n;
    r->platform = c->s->platform_str;
    r->parents = &c->st->key;
    r->n_parents = 1;
}

/* ---------------------------------------------------------------- RUN */

/* "a,b,c", or NULL for an empty or absent list. */
static char *join(const struct cb_strv *l)
{
    struct cb_buf b;
    if (!l || !l->n)
        return NULL;
    cb_buf_init(&b, CB_BUF_LIMIT_DEFAULT);
    for (size_t i = 0; i < l->n; i++)
        cb_buf_addf(&b, NULL, "%s%s", i ? "," : "", l->v[i]);
    return cb_buf_detach(&b, NULL);
}

/* BuildKit's heredoc handling: a lone "<<EOF" runs the body as the script,
 * otherwise the shell gets the command line with the bodies appended and
 * does the heredocs itself. */
static void run_argv(const struct bld_stage_ctx *c, const struct bld_instr *in, struct cb_strv *av)
{
    const struct bld_cmdline *cmd = &in->u.run.cmd;
    struct cb_buf b;

    if (!cmd->prepend_shell || cmd->nfiles == 0) {
        bld_cmdline_argv(c->st, cmd, av);
        return;
    }
    bld_state_shell(c->st, av);
    cb_buf_init(&b, CB_BUF_LIMIT_DEFAULT);
    if (cmd->nfiles == 1 && cmd->args.n == 1 && cmd->args.v[0][0] == '<' &&
        !strchr(cmd->args.v[0], ' ')) {
        char *body = cmd->files[0].chomp ? bld_heredoc_chomp(cmd->files[0].content)
                                         : xstrdup(cmd->files[0].content);
        cb_buf_adds(&b, body, NULL);
        free(body);
    } else {
        cb_buf_adds(&b, cmd->args.n ? cmd->args.v[0] : "", NULL);
        for (size_t i = 0; i < cmd->nfiles; i++)
            cb_buf_addf(&b, NULL, "\n%s%s", cmd->files[i].content, cmd->files[i].name);
    }
    cb_strv_push_take(av, cb_buf_detach(&b, NULL));
}

static char *mount_spec(const struct bld_run_mount *m, const char *target)
{
    static const char *const types[] = {"bind", "cache", "tmpfs", "secret", "ssh"};
    static const char *const sharing[] = {"shared", "private", "locked"};
    struct cb_buf b;

    cb_buf_init(&b, CB_BUF_LIMIT_DEFAULT);
    cb_buf_addf(&b, NULL, "type=%s", types[m->type]);
    if (target)
        cb_buf_addf(&b, NULL, ",target=%s", target);
    if (m->id)
        cb_buf_addf(&b, NULL, ",id=%s", m->id);
    if (m->type == BLD_RUN_MOUNT_CACHE)
        cb_buf_addf(&b, NULL, ",sharing=%s", sharing[m->sharing]);
    if (m->type == BLD_RUN_MOUNT_BIND && !m->read_only)
        cb_buf_adds(&b, ",rw", NULL);
    if (m->has_mode)
        cb_buf_addf(&b, NULL, ",mode=0%o", (unsigned)m->mode);
    if (m->has_uid)
        cb_buf_addf(&b, NULL, ",uid=%u", (unsigned)m->uid);
    if (m->has_gid)
        cb_buf_addf(&b, NULL, ",gid=%u", (unsigned)m->gid);
    if (m->size_limit > 0)
        cb_buf_addf(&b, NULL, ",size=%lld", (long long)m->size_limit);
    if (m->required)
        cb_buf_adds(&b, ",required=true", NULL);
    if (m->env)
        cb_buf_addf(&b, NULL, ",env=%s", m->env);
    return cb_buf_detach(&b, NULL);
}

struct run_mounts {
    struct cb_strv specs, sources;
    struct cb_strv key_specs; /* the specs without host paths, for the key */
    struct cache_mount *keys;
    struct cache_kv *opts;
    struct oci_digest *contents; /* what a bind from the context exposes */
    struct oci_digest *froms;    /* the key of a from= stage or image */
};

static int bind_digest(struct bld_stage_ctx *c, const char *source, struct oci_digest *out,
                       struct cb_err **err);

/* Where a mount's from= points: a stage, a named context or an image, as a
 * directory; *key gets what identifies its content. */
static int mount_from(struct bld_stage_ctx *c, const char *from, const char **root,
                      struct oci_digest *key, struct cb_err **err)
{
    const struct bld_named_context *nc = bld_solver_context(c->s, from);
    long stage = nc ? -1 : bld_graph_stage_ref(c->s->df, c->idx, from);
    struct bld_state img;
    int rc;

    if (nc && nc->kind == BLD_CONTEXT_DIR) {
        *root = nc->value;
        oci_digest_of(nc->value, strlen(nc->value), key);
        return 0;
    }
    if (stage >= 0) {
        *key = c->s->runs[stage].state.key;
        return bld_step_materialize(c->s, &c->s->runs[stage].state, root, err);
    }
    {
        cleanup_free char *ref = nc ? bld_context_image_ref(c->s, nc, err) : xstrdup(from);
        if (!ref)
            return cb_err_rc(err);
        rc = bld_image_state(c->s, ref, &img, err);
    }
    if (rc == 0) {
        *key = img.key;
        rc = bld_step_materialize(c->s, &img, root, err);
    }
    bld_state_release(&img);
    return rc;
}

static int run_mount(struct bld_stage_ctx *c, const struct bld_instr *in,
                     const struct bld_run_mount *m, size_t i, struct run_mounts *rm,
                     struct cb_err **err)
{
    cleanup_free char *target = m->target && m->target[0] != '/'
                                    ? bld_workdir_resolve(c->st, m->target)
                                    : xstrdup(m->target ? m->target : "");
    char *spec = mount_spec(m, *target ? target : NULL);
    const char *root = c->s->o->context;
    bool uses_source = m->type == BLD_RUN_MOUNT_BIND || (m->type == BLD_RUN_MOUNT_CACHE && m->from);

    rm->keys[i] = (struct cache_mount){
        .type = (enum cache_mount_type)(m->type + 1), .target = NULL, .id = m->id};
    if (m->from && (m->type == BLD_RUN_MOUNT_BIND || m->type == BLD_RUN_MOUNT_CACHE)) {
        if (mount_from(c, m->from, &root, &rm->froms[i], err) < 0) {
            free(spec);
            return cb_wrap(err, "Dockerfile:%d: RUN --mount from=%s", in->node->start_line,
                           m->from);
        }
        rm->keys[i].from = &rm->froms[i];
    } else if (m->type == BLD_RUN_MOUNT_BIND) {
        if (bind_digest(c, m->source ? m->source : ".", &rm->contents[i], err) < 0) {
            free(spec);
            return cb_wrap(err, "Dockerfile:%d: RUN --mount=type=bind,source=%s",
                           in->node->start_line, m->source ? m->source : ".");
        }
        rm->keys[i].content = &rm->contents[i];
    }
    cb_strv_push(&rm->key_specs, spec);
    if (uses_source) {
        char *src = cb_path_join(root, m->source ? m->source : ".");
        char *full = xasprintf("%s,source=%s", spec, src);
        free(spec);
        spec = full;
        cb_strv_push_take(&rm->sources, src);
    } else {
        cb_strv_push(&rm->sources, "");
    }
    rm->opts[i] = (struct cache_kv){"spec", NULL};
    cb_strv_push_take(&rm->specs, spec);
    rm->keys[i].target = rm->key_specs.v[i];
    return 0;
}

static int run_mounts(struct bld_stage_ctx *c, const struct bld_instr *in, struct run_mounts *rm,
                      struct cb_err **err)
{
    size_t n = in->u.run.nmounts;
    rm->keys = xcalloc(n ? n : 1, sizeof(*rm->keys));
    rm->opts = xcalloc(n ? n : 1, sizeof(*rm->opts));
    rm->contents = xcalloc(n ? n : 1, sizeof(*rm->contents));
    rm->froms = xcalloc(n ? n : 1, sizeof(*rm->froms));
    for (size_t i = 0; i < n; i++)
        if (run_mount(c, in, &in->u.run.mounts[i], i, rm, err) < 0)
            return cb_err_rc(err);
    return 0;
}

static void run_mounts_release(struct run_mounts *rm)
{
    cb_strv_release(&rm->specs);
    cb_strv_release(&rm->sources);
    cb_strv_release(&rm->key_specs);
    free(rm->keys);
    free(rm->opts);
    free(rm->contents);
    free(rm->froms);
}

/* RUN's environment: the ARGs in scope that ENV does not shadow, then ENV. */
static void run_env(const struct bld_stage_ctx *c, struct cb_strv *env)
{
    for (size_t i = 0; i < c->args.n; i++)
        if (!bld_state_getenv(c->st, c->args.v[i].key))
            cb_strv_pushf(env, "%s=%s", c->args.v[i].key, c->args.v[i].value);
    for (size_t i = 0; i < c->st->img.config.env.n; i++)
        cb_strv_push(env, c->st->img.config.env.v[i]);
}

static char *run_history(const struct cb_strv *argv, const struct cache_kv *args, size_t n_args)
{
    struct cb_buf b;
    cb_buf_init(&b, CB_BUF_LIMIT_DEFAULT);
    cb_buf_adds(&b, "RUN ", NULL);
    if (n_args) {
        cb_buf_addf(&b, NULL, "|%zu", n_args);
        for (size_t i = 0; i < n_args; i++)
            cb_buf_addf(&b, NULL, " %s=%s", args[i].name, args[i].value ? args[i].value : "");
        cb_buf_addc(&b, ' ', NULL);
    }
    for (size_t i = 0; i < argv->n; i++)
        cb_buf_addf(&b, NULL, "%s%s", i ? " " : "", argv->v[i]);
    cb_buf_adds(&b, " # buildkit", NULL);
    return cb_buf_detach(&b, NULL);
}

static int do_run(struct bld_stage_ctx *c, const struct bld_instr *in, const struct cb_strv *argv,
                  struct run_mounts *rm, const struct oci_digest *key, const char *hist, int step,
                  struct cb_err **err)
{
    cleanup_snapshot struct bld_snapshot *snap = NULL;
    struct cb_strv env = CB_STRV_INIT;
    char *label = xasprintf("Dockerfile:%d", in->node->start_line);
    int net = in->u.run.network == BLD_NET_NONE    ? 1
              : in->u.run.network == BLD_NET_HOST  ? 2
              : in->u.run.network == BLD_NET_UNSET ? c->s->o->network
                                                   : 0;
    struct bld_run_req r = {
        .step = step,
        .label = label,
        .argv = argv->v,
        .user = c->st->img.config.user,
        .cwd = bld_state_workdir(c->st),
        .network = net,
        .mount_specs = rm->specs.v,
        .mount_sources = rm->sources.v,
        .n_mounts = rm->specs.n,
    };
    int rc;

    run_env(c, &env);
    r.env = env.v;
    rc = bld_step_snapshot(c->s, c->st, &snap, err);
    if (rc == 0)
        rc = bld_run_step(c->s, snap, &r, err);
    if (rc == 0)
        rc = commit(c, snap, key, hist, step, err);
    cb_strv_release(&env);
    free(label);
    return rc;
}

/* RUN executes on this machine: a --platform other than the host's is only
 * good for picking bases and copying files. */
static int check_platform(const struct bld_stage_ctx *c, const struct bld_instr *in,
                          struct cb_err **err)
{
    struct oci_platform host;
    bool same;

    oci_platform_init(&host);
    oci_platform_host(&host);
    same = oci_platform_match(&host, &c->s->platform);
    oci_platform_release(&host);
    if (same)
        return 0;
    return cb_fail(err, CB_EUNSUPPORTED, 0,
                   "Dockerfile:%d: RUN for platform %s cannot execute on this host "
                   "(cross-platform builds are not supported yet)",
                   in->node->start_line, c->s->platform_str);
}

int bld_op_run(struct bld_stage_ctx *c, const struct bld_instr *in, size_t k, int step,
               struct cb_err **err)
{
    struct cb_strv argv = CB_STRV_INIT, shell = CB_STRV_INIT;
    struct run_mounts rm = {CB_STRV_INIT, CB_STRV_INIT, CB_STRV_INIT, NULL, NULL, NULL, NULL};
    struct cache_kv args[64], flags[6];
    struct cache_key_req r = {.kind = CACHE_OP_EXEC};
    cleanup_free char *hosts = join(c->s->o->add_hosts);
    cleanup_free char *ulimits = join(c->s->o->ulimits);
    char shm[32];
    struct oci_digest key;
    char *hist = NULL;
    int rc;

    if (check_platform(c, in, err) < 0)
        return cb_err_rc(err);
    run_argv(c, in, &argv);
    rc = run_mounts(c, in, &rm, err);
    fill_key_common(c, &r, &shell);
    r.args = (const char *const *)argv.v;
    r.n_args = argv.n;
    r.build_args = args;
    r.n_build_args = used_args(c, k, args, 64);
    flags[0] = (struct cache_kv){"network", in->u.run.network == BLD_NET_NONE   ? "none"
                                            : in->u.run.network == BLD_NET_HOST ? "host"
                                                                                : "default"};
    flags[1] = (struct cache_kv){"security",
                                 in->u.run.security == BLD_SEC_INSECURE ? "insecure" : "sandbox"};
    r.flags = flags;
    r.n_flags = 2;
    /* what BuildKit's ExecOp carries too: extra hosts, ulimits, /dev/shm */
    snprintf(shm, sizeof(shm), "%llu", c->s->o->shm_size);
    if (hosts)
        flags[r.n_flags++] = (struct cache_kv){"add-host", hosts};
    if (ulimits)
        flags[r.n_flags++] = (struct cache_kv){"ulimit", ulimits};
    if (c->s->o->shm_size)
        flags[r.n_flags++] = (struct cache_kv){"shm-size", shm};
    add_compression(c, flags, &r.n_flags);
    r.mounts = rm.keys;
    r.n_mounts = rm.specs.n;
    if (rc == 0)
        rc = cache_key_compute(&r, &key, err);
    hist = run_history(&argv, args, r.n_build_args);
    if (rc == 0) {
        bld_shared_acquire(c->s->shared, &key);
        rc = try_cache(c, &key, hist, step, err);
        if (rc == 0)
            rc = do_run(c, in, &argv, &rm, &key, hist, step, err);
        bld_shared_release(c->s->shared, &key);
    }
    free(hist);
    run_mounts_release(&rm);
    cb_strv_release(&argv);
    cb_strv_release(&shell);
    return rc < 0 ? rc : 0;
}

/* ---------------------------------------------------------------- WORKDIR */

struct mkdir_arg {
    const char *path;
    const char *user;
};

static int mkdir_in(void *arg, int rootfd, const char *extra, struct cb_err **err)
{
    struct mkdir_arg *a = arg;
    return bld_copy_mkdir(rootfd, a->path, a->user, err);
}

int bld_op_workdir(struct bld_stage_ctx *c, const struct bld_instr *in, int step,
                   struct cb_err **err)
{
    struct cb_strv shell = CB_STRV_INIT;
    struct cache_key_req r = {.kind = CACHE_OP_META};
    struct cache_kv flags[1];
    const char *args[2] = {"WORKDIR", NULL};
    struct oci_digest key;
    cleanup_free char *hist = NULL;
    int rc;

    rc = bld_config_apply(c->st, in, NULL, err);
    if (rc < 0)
        return rc;
    args[1] = bld_state_workdir(c->st);
    hist = xasprintf("WORKDIR %s", args[1]);
    fill_key_common(c, &r, &shell);
    r.args = args;
    r.n_args = 2;
    r.flags = flags;
    add_compression(c, flags, &r.n_flags);
    rc = cache_key_compute(&r, &key, err);
    cb_strv_release(&shell);
    if (rc < 0)
        return rc;
    bld_shared_acquire(c->s->shared, &key);
    rc = try_cache(c, &key, hist, step, err);
    if (rc != 0) {
        bld_shared_release(c->s->shared, &key);
    } else {
        cleanup_snapshot struct bld_snapshot *snap = NULL;
        struct mkdir_arg a = {args[1], c->st->img.config.user};
        rc = bld_step_snapshot(c->s, c->st, &snap, err);
        if (rc == 0)
            rc = bld_step_in_snapshot(snap, NULL, mkdir_in, &a, err);
        if (rc == 0)
            rc = commit(c, snap, &key, hist, step, err);
        if (rc < 0)
            cb_wrap(err, "Dockerfile:%d: WORKDIR %s", in->node->start_line, args[1]);
        bld_shared_release(c->s->shared, &key);
    }
    return rc < 0 ? rc : 0;
}

/* ---------------------------------------------------------------- COPY/ADD */

struct copy_src {
    const char *root; /* context dir, heredoc temp dir, or NULL: a stage */
    const char *what; /* for messages */
    long from_stage;  /* -1: not a stage */
    bool from_image;  /* COPY --from=IMAGE: image holds it */
    bool urls;        /* ADD of URLs or git: fetched into tmp, never unpacked */
    bool git;         /* ADD of a git repository: checked out on a cache miss */
    struct bld_git_src repo;
    struct bld_state image;
    struct cb_strv matches;
    char *tmp; /* heredoc sources' temp dir */
};

struct skip_ctx {
    struct bld_ignore *ignore;   /* .dockerignore (context only) */
    struct bld_ignore *excludes; /* --exclude */
};

/* 1: rel is excluded by m; 2: and it is a directory whose subtree holds
 * nothing an exception could re-include (skip the walk); 0: included. */
static int excluded(const struct bld_ignore *m, const char *rel, bool is_dir)
{
    if (!m || bld_ignore_match(m, rel, NULL) != 1)
        return 0;
    if (is_dir && bld_ignore_can_skip_dir(m, rel, NULL) != 1)
        return 1;
    return 2;
}

/* For copying: a file is left out when excluded; a directory only when
 * nothing below it can be re-included by a "!" pattern (otherwise it is
 * walked, and created as a parent of what is kept, as docker does). */
static bool skip_path(void *userdata, const char *rel, size_t base, bool is_dir)
{
    struct skip_ctx *sk = userdata;
    /* --exclude patterns are relative to the source being copied */
    const char *src_rel = base && rel[base] == '/' ? rel + base + 1 : rel;
    int a = excluded(sk->ignore, rel, is_dir), b = excluded(sk->excludes, src_rel, is_dir);
    if (!is_dir)
        return a || b;
    return a == 2 || b == 2;
}

static enum cache_filter_result hash_filter(void *userdata, const char *rel, bool is_dir)
{
    struct skip_ctx *sk = userdata;
    int a = excluded(sk->ignore, rel, is_dir), b = excluded(sk->excludes, rel, is_dir);
    if (a == 2 || b == 2 || (!is_dir && (a || b)))
        return CACHE_FILTER_EXCLUDE;
    return a || b ? CACHE_FILTER_EXCLUDE_SELF : CACHE_FILTER_INCLUDE;
}

/* The content digest of what RUN --mount=type=bind exposes from the context,
 * so that changing those files reruns the step. */
static int bind_digest(struct bld_stage_ctx *c, const char *source, struct oci_digest *out,
                       struct cb_err **err)
{
    struct skip_ctx sk = {.ignore = c->s->ignore};
    cleanup_close int fd = open(c->s->o->context, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    const char *paths[1] = {source};
    struct cache_contenthash_opts o = {
        .root_fd = fd,
        .paths = paths,
        .n_paths = 1,
        .filter = hash_filter,
        .filter_data = &sk,
        .statcache = c->s->statcache,
    };

    if (fd < 0)
        return cb_fail(err, CB_EIO, errno, "open '%s'", c->s->o->context);
    return cache_contenthash(&o, out, err);
}

static bool is_url(const char *s)
{
    return !strncmp(s, "http://", 7) || !strncmp(s, "https://", 8);
}

static bool is_git(const char *s)
{
    size_t n = strlen(s);
    return !strncmp(s, "git@", 4) || !strncmp(s, "git://", 6) ||
           (n > 4 && !strcmp(s + n - 4, ".git")) || strstr(s, ".git#");
}

/* ADD https://...: each URL downloaded (and its --checksum verified) into a
 * scratch directory, named as BuildKit names it; mtime from Last-Modified,
 * mode 0600; archives from URLs are not unpacked. */
static int url_sources(struct bld_stage_ctx *c, const struct bld_instr *in, struct copy_src *src,
                       int step, struct cb_err **err)
{
    const struct bld_instr_copy *cp = &in->u.copy;
    struct oci_digest sum;

    if (in->kind != BLD_I_ADD)
        return cb_fail(err, CB_EINVAL, 0, "Dockerfile:%d: COPY takes no URLs (use ADD)",
                       in->node->start_line);
    if (cp->checksum && oci_digest_parse(cp->checksum, &sum, err) < 0)
        return cb_wrap(err, "Dockerfile:%d: ADD --checksum", in->node->start_line);
    if (cp->checksum && cp->sources.n != 1)
        return cb_fail(err, CB_EINVAL, 0, "Dockerfile:%d: ADD --checksum takes one source",
                       in->node->start_line);
    src->tmp = cb_mkdtemp(oci_store_tmp_peek(c->s->store), "add-url-", err);
    if (!src->tmp)
        return cb_err_rc(err);
    src->root = src->tmp;
    src->what = "the downloaded files";
    src->urls = true;
    for (size_t i = 0; i < cp->sources.n; i++) {
        const char *url = cp->sources.v[i];
        cleanup_free char *name = NULL;
        cleanup_free char *path = NULL;
        struct oci_fetch_result res;
        struct oci_fetch_req req = {.url = url,
                                    .checksum = cp->checksum ? &sum : NULL,
                                    .progress = &c->s->o->progress,
                                    .progress_step = step};
        if (!is_url(url))
            return cb_fail(err, CB_EUNSUPPORTED, 0,
                           "Dockerfile:%d: ADD %s: mixing URLs and local files in one ADD is "
                           "not supported",
                           in->node->start_line, url);
        name = oci_fetch_url_filename(url, err);
        if (!name)
            return cb_wrap(err, "Dockerfile:%d: ADD %s", in->node->start_line, url);
        path = cb_path_join(src->tmp, name);
        if (oci_fetch_to_file(&req, path, 0600, &res, err) < 0)
            return cb_wrap(err, "Dockerfile:%d: ADD %s", in->node->start_line, url);
        oci_fetch_result_release(&res);
        cb_strv_push(&src->matches, name);
    }
    return 0;
}

/* 1 when the one source of an ADD names a git repository (as BuildKit
 * reads it), 0 when not, < 0 on a bad git reference. */
static int is_git_add(const struct bld_instr *in, struct cb_err **err)
{
    const struct bld_instr_copy *cp = &in->u.copy;
    struct bld_gitref g;
    int r;

    if (in->kind != BLD_I_ADD || cp->from || cp->ncontents || !cp->sources.n)
        return 0;
    r = bld_gitref_parse(cp->sources.v[0], &g, err);
    if (r > 0)
        bld_gitref_release(&g);
    return r;
}

/* ADD <git repository>: resolved to a commit now (the cache identity);
 * checked out by git_checkout only when the step is not cached. */
static int git_sources(struct bld_stage_ctx *c, const struct bld_instr *in, struct copy_src *src,
                       struct cb_err **err)
{
    const struct bld_instr_copy *cp = &in->u.copy;

    (void)c;
    if (cp->sources.n != 1)
        return cb_fail(err, CB_EUNSUPPORTED, 0,
                       "Dockerfile:%d: ADD %s: a git repository must be the only source",
                       in->node->start_line, cp->sources.v[0]);
    if (bld_git_resolve(cp->sources.v[0], cp->keep_git_dir, cp->checksum, &src->repo, err) < 0) {
        cleanup_free char *shown = bld_git_redact(cp->sources.v[0]);
        return cb_wrap(err, "Dockerfile:%d: ADD %s", in->node->start_line, shown);
    }
    src->git = src->urls = true;
    src->what = "the git checkout";
    return 0;
}

static int git_checkout(struct bld_stage_ctx *c, const struct bld_instr *in, struct copy_src *src,
                        struct cb_err **err)
{
    char *rel = NULL;

    src->tmp = cb_mkdtemp(oci_store_tmp_peek(c->s->store), "add-git-", err);
    if (!src->tmp)
        return cb_err_rc(err);
    src->root = src->tmp;
    if (bld_git_checkout(&src->repo, src->tmp, &rel, err) < 0) {
        cleanup_free char *shown = bld_git_redact(in->u.copy.sources.v[0]);
        return cb_wrap(err, "Dockerfile:%d: ADD %s", in->node->start_line, shown);
    }
    cb_strv_push_take(&src->matches, rel);
    return 0;
}

static int heredoc_sources(struct bld_stage_ctx *c, const struct bld_instr *in,
                           struct copy_src *src, struct cb_err **err)
{
    const char *tmp = oci_store_tmp_peek(c->s->store);
    src->tmp = cb_mkdtemp(tmp, "heredoc-", err);
    if (!src->tmp)
        return cb_err_rc(err);
    src->root = src->tmp;
    src->what = "the heredoc";
    for (size_t i = 0; i < in->u.copy.ncontents; i++) {
        const struct bld_copy_source *h = &in->u.copy.contents[i];
        cleanup_free char *p = cb_path_join(src->tmp, h->path);
        if (cb_write_file_atomic(p, h->data, strlen(h->data), 0644, err) < 0)
            return cb_err_rc(err);
        cb_strv_push(&src->matches, h->path);
    }
    return 0;
}

static int select_sources(struct bld_stage_ctx *c, const struct bld_instr *in, struct skip_ctx *sk,
                          struct copy_src *src, int step, struct cb_err **err)
{
    const struct bld_instr_copy *cp = &in->u.copy;
    const struct bld_named_context *nc = NULL;

    src->from_stage = -1;
    if (cp->ncontents)
        return heredoc_sources(c, in, src, err);
    if (cp->from && (nc = bld_solver_context(c->s, cp->from)) && nc->kind == BLD_CONTEXT_DIR) {
        sk->ignore = NULL;
        src->root = nc->value;
        src->what = "the build context given with --build-context";
    } else if (cp->from) {
        cleanup_free char *ref = nc ? bld_context_image_ref(c->s, nc, err) : NULL;
        if (nc && !ref)
            return cb_wrap(err, "Dockerfile:%d: COPY --from=%s", in->node->start_line, cp->from);
        src->from_stage = nc ? -1 : bld_graph_stage_ref(c->s->df, c->idx, cp->from);
        if (src->from_stage < 0) {
            if (bld_image_state(c->s, ref ? ref : cp->from, &src->image, err) < 0)
                return cb_wrap(err, "Dockerfile:%d: COPY --from=%s", in->node->start_line,
                               cp->from);
            src->from_image = true;
        }
        return 0;
    }
    if (!src->root) {
        int git = is_git_add(in, err);
        if (git < 0)
            return cb_wrap(err, "Dockerfile:%d: ADD %s", in->node->start_line, cp->sources.v[0]);
        if (git) {
            sk->ignore = NULL;
            return git_sources(c, in, src, err);
        }
        if (cp->sources.n && is_url(cp->sources.v[0]))
            return url_sources(c, in, src, step, err);
        src->root = c->s->o->context;
        src->what = "the build context";
    }
    for (size_t i = 0; i < cp->sources.n; i++) {
        if (strstr(cp->sources.v[i], "://") || is_git(cp->sources.v[i]))
            return cb_fail(err, CB_EUNSUPPORTED, 0, "Dockerfile:%d: %s %s: %s",
                           in->node->start_line, in->kind == BLD_I_ADD ? "ADD" : "COPY",
                           cp->sources.v[i],
                           in->kind == BLD_I_COPY ? "COPY takes no URLs (use ADD)"
                           : is_git(cp->sources.v[i])
                               ? "a git repository must be the only source"
                               : "mixing URLs and local files in one ADD is not supported");
        if (bld_copy_select(src->root, cp->sources.v[i], skip_path, sk, src->what, 0, &src->matches,
                            err) < 0)
            return cb_wrap(err, "Dockerfile:%d: %s", in->node->start_line,
                           in->kind == BLD_I_ADD ? "ADD" : "COPY");
    }
    return 0;
}

static int source_digest(struct bld_stage_ctx *c, struct copy_src *src, struct skip_ctx *sk,
                         struct oci_digest *out, struct cb_err **err)
{
    cleanup_close int fd = -1;
    struct cache_contenthash_opts o = {0};

    if (src->from_stage >= 0 || src->from_image) {
        *out = src->from_image ? src->image.key : c->s->runs[src->from_stage].state.key;
        return 0;
    }
    if (src->git) {
        cleanup_free char *id = bld_git_identity(&src->repo);
        oci_digest_of(id, strlen(id), out);
        return 0;
    }
    fd = open(src->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return cb_fail(err, CB_EIO, errno, "open '%s'", src->root);
    o.root_fd = fd;
    o.paths = (const char *const *)src->matches.v;
    o.n_paths = src->matches.n;
    o.filter = hash_filter;
    o.filter_data = sk;
    o.statcache = src->tmp ? NULL : c->s->statcache;
    if (src->matches.n == 0) {
        oci_digest_of("", 0, out);
        return 0;
    }
    return cache_contenthash(&o, out, err);
}

struct copy_arg {
    struct bld_stage_ctx *c;
    const struct bld_instr *in;
    struct copy_src *src;
    struct skip_ctx *sk;
    const char *dest;
    struct bld_chmod chmod;
};

static int copy_in(void *arg, int rootfd, const char *extra_root, struct cb_err **err)
{
    struct copy_arg *a = arg;
    const struct bld_instr_copy *cp = &a->in->u.copy;
    struct cb_strv matches = CB_STRV_INIT;
    const char *root = extra_root ? extra_root : a->src->root;
    struct bld_copy_req r = {
        .src_root = root,
        .srcs = extra_root ? &matches : &a->src->matches,
        .dest = a->dest,
        .parents = cp->parents,
        .chown = cp->chown,
        .keep_owner = extra_root != NULL,
        .chmod = &a->chmod,
        .skip = skip_path,
        .skip_data = a->sk,
        .unpack_archives = a->in->kind == BLD_I_ADD && cp->unpack != 0 && !a->src->urls,
    };
    int rc = 0;

    for (size_t i = 0; extra_root && i < cp->sources.n && rc == 0; i++)
        rc = bld_copy_select(root, cp->sources.v[i], a->sk->excludes ? skip_path : NULL, a->sk,
                             "the source stage", BLD_COPY_ROOTFS, &matches, err);
    r.dest_is_dir = r.srcs->n > 1;
    if (rc == 0)
        rc = bld_copy_into(rootfd, &r, err);
    cb_strv_release(&matches);
    return rc;
}

static int do_copy(struct copy_arg *a, const struct oci_digest *key, const char *hist, int step,
                   struct cb_err **err)
{
    struct bld_stage_ctx *c = a->c;
    cleanup_snapshot struct bld_snapshot *snap = NULL;
    cleanup_snapshot struct bld_snapshot *from = NULL;
    struct bld_state empty;
    int rc;

    bld_state_init(&empty);
    rc = bld_step_snapshot(c->s, a->in->u.copy.link ? &empty : c->st, &snap, err);
    if (rc == 0 && (a->src->from_stage >= 0 || a->src->from_image))
        rc = bld_step_snapshot(
            c->s, a->src->from_image ? &a->src->image : &c->s->runs[a->src->from_stage].state,
            &from, err);
    if (rc == 0)
        rc = bld_step_in_snapshot(snap, from, copy_in, a, err);
    if (rc == 0)
        rc = commit(c, snap, key, hist, step, err);
    bld_state_release(&empty);
    return rc;
}

static int copy_key(struct bld_stage_ctx *c, const struct bld_instr *in, size_t k,
                    const struct copy_arg *a, const struct oci_digest *content,
                    struct oci_digest *key, struct cb_err **err)
{
    const struct bld_instr_copy *cp = &in->u.copy;
    struct cb_strv shell = CB_STRV_INIT, args = CB_STRV_INIT;
    struct cache_kv bargs[64], flags[7];
    struct oci_digest parents[2];
    struct cache_key_req r = {.kind = in->kind == BLD_I_ADD ? CACHE_OP_ADD : CACHE_OP_COPY};
    size_t nf = 0;
    int rc;

    for (size_t i = 0; i < cp->sources.n; i++)
        cb_strv_push(&args, cp->sources.v[i]);
    for (size_t i = 0; i < cp->ncontents; i++)
        cb_strv_pushf(&args, "<<%s", cp->contents[i].path);
    cb_strv_push(&args, a->dest);
    fill_key_common(c, &r, &shell);
    r.args = (const char *const *)args.v;
    r.n_args = args.n;
    flags[nf++] = (struct cache_kv){"chown", cp->chown};
    flags[nf++] = (struct cache_kv){"chmod", cp->chmod};
    flags[nf++] = (struct cache_kv){"link", cp->link ? "true" : "false"};
    flags[nf++] = (struct cache_kv){"parents", cp->parents ? "true" : "false"};
    if (cp->from)
        flags[nf++] = (struct cache_kv){"from", cp->from};
    r.flags = flags;
    add_compression(c, flags, &nf);
    r.n_flags = nf;
    r.build_args = bargs;
    r.n_build_args = used_args(c, k, bargs, 64);
    r.content = content;
    parents[0] = c->st->key;
    r.parents = parents;
    r.n_parents = cp->link ? 0 : 1;
    rc = cache_key_compute(&r, key, err);
    cb_strv_release(&shell);
    cb_strv_release(&args);
    return rc;
}

static bool dest_is_dir_syntax(const char *d)
{
    size_t n = strlen(d);
    return n > 0 && (d[n - 1] == '/' || (d[n - 1] == '.' && (n == 1 || d[n - 2] == '/')));
}

/* BuildKit's history text: "COPY [--parents] [--chown=U] [--chmod=M] SRC...
 * [<<DOC...] DEST # buildkit", with the sources and flags as expanded (and
 * no --from, --link, --exclude or --checksum). */
static char *copy_history(const struct bld_instr *in)
{
    const struct bld_instr_copy *cp = &in->u.copy;
    struct cb_buf b;

    cb_buf_init(&b, CB_BUF_LIMIT_DEFAULT);
    cb_buf_adds(&b, in->kind == BLD_I_ADD ? "ADD" : "COPY", NULL);
    if (cp->parents)
        cb_buf_adds(&b, " --parents", NULL);
    if (cp->chown && *cp->chown)
        cb_buf_addf(&b, NULL, " --chown=%s", cp->chown);
    if (cp->chmod && *cp->chmod)
        cb_buf_addf(&b, NULL, " --chmod=%s", cp->chmod);
    for (size_t i = 0; i < cp->sources.n; i++)
        cb_buf_addf(&b, NULL, " %s", cp->sources.v[i]);
    for (size_t i = 0; i < cp->ncontents; i++)
        cb_buf_addf(&b, NULL, " <<%s", cp->contents[i].path);
    cb_buf_addf(&b, NULL, " %s # buildkit", cp->dest);
    return cb_buf_detach(&b, NULL);
}

int bld_op_copy(struct bld_stage_ctx *c, const struct bld_instr *in, size_t k, int step,
                struct cb_err **err)
{
    const struct bld_instr_copy *cp = &in->u.copy;
    struct copy_src src = {.matches = CB_STRV_INIT};
    struct skip_ctx sk = {.ignore = c->s->ignore};
    struct copy_arg a = {.c = c, .in = in, .src = &src, .sk = &sk};
    struct oci_digest content, key;
    cleanup_free char *dest = NULL;
    cleanup_free char *hist = copy_history(in);
    int rc = 0;

    if (cp->excludes.n)
        sk.excludes = bld_ignore_new((const char *const *)cp->excludes.v, cp->excludes.n, err);
    if (cp->excludes.n && !sk.excludes)
        return cb_wrap(err, "Dockerfile:%d: --exclude", in->node->start_line);
    if (cp->from)
        sk.ignore = NULL; /* .dockerignore applies to the main context only */
    dest = cp->dest[0] == '/' ? xstrdup(cp->dest) : bld_workdir_resolve(c->st, cp->dest);
    /* BuildKit: a destination ending in "/" or "." names a directory */
    if (dest_is_dir_syntax(cp->dest) && strcmp(dest, "/")) {
        char *d = xasprintf("%s/", dest);
        free(dest);
        dest = d;
    }
    a.dest = dest;
    rc = bld_chmod_parse(cp->chmod, &a.chmod, err);
    if (rc == 0)
        rc = select_sources(c, in, &sk, &src, step, err);
    if (rc == 0)
        rc = source_digest(c, &src, &sk, &content, err);
    if (rc == 0)
        rc = copy_key(c, in, k, &a, &content, &key, err);
    if (rc == 0) {
        bld_shared_acquire(c->s->shared, &key);
        rc = try_cache(c, &key, hist, step, err);
        if (rc == 0 && src.git)
            rc = git_checkout(c, in, &src, err);
        if (rc == 0)
            rc = do_copy(&a, &key, hist, step, err);
        bld_shared_release(c->s->shared, &key);
    }
    if (src.tmp)
        cb_rm_rf(src.tmp, NULL);
    free(src.tmp);
    cb_strv_release(&src.matches);
    if (src.from_image)
        bld_state_release(&src.image);
    if (src.git)
        bld_git_src_release(&src.repo);
    bld_chmod_release(&a.chmod);
    bld_ignore_free(sk.excludes);
    return rc < 0 ? rc : 0;
}
