/* cmd_build.c - `cbuild build [OPTIONS] CONTEXT`: docker build's flags
 * (cli/build_flags.c), one call to bld_build(), then what the flags ask of
 * the result (builder/publish.h): the doctor, the push, the image ID,
 * --iidfile and --metadata-file. */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "build_flags.h"
#include "cli.h"
#include "commands.h"
#include "progress.h"
#include "../builder/publish.h"
#include "../base/cleanup.h"
#include "../base/fsutil.h"
#include "../base/json.h"
#include "../base/banned.h"

static int cancel_pipe[2] = {-1, -1};

static void on_signal(int sig)
{
    char c = (char)sig;
    cli_reg_interrupted = 1;
    if (write(cancel_pipe[1], &c, 1) < 0)
        _exit(130);
}

/* The image ID on stdout, --iidfile and --metadata-file. */
static int finish(const struct build_run *b, const struct bld_build_result *res,
                  struct cb_err **err)
{
    char id[OCI_DIGEST_STR_MAX], md[OCI_DIGEST_STR_MAX];

    oci_digest_fmt(&res->config, id);
    oci_digest_fmt(&res->manifest.digest, md);
    if (b->iidfile && cb_write_file_atomic(b->iidfile, id, strlen(id), 0644, err) < 0)
        return cb_wrap(err, "--iidfile");
    if (b->metadata) {
        static const char *const keys[] = {"containerimage.config.digest", "containerimage.digest"};
        const char *values[] = {id, md};
        struct cb_buf out;
        int rc;
        cb_buf_init(&out, 1 << 20);
        rc = cb_json_dump_string_map(keys, values, 2, &out, err);
        if (rc == 0)
            rc = cb_buf_addc(&out, '\n', err);
        if (rc == 0)
            rc = cb_write_file_atomic(b->metadata, out.data, out.len, 0644, err);
        cb_buf_release(&out);
        if (rc < 0)
            return cb_wrap(err, "--metadata-file");
    }
    printf("%s\n", id);
    return 0;
}

/* --doctor and --push: before the ID is printed, so a strict doctor stops
 * both the push and the success. */
static int after(struct build_run *b, struct oci_store *store, const struct bld_build_result *res,
                 struct cb_err **err)
{
    int rc = 0;

    if (b->doctor) {
        struct cb_buf report;
        cb_buf_init(&report, 16 << 20);
        rc = bld_build_doctor(store, res, !strcmp(b->doctor, "strict"), &report, err);
        fputs(cb_buf_str(&report), stderr);
        cb_buf_release(&report);
    }
    if (rc == 0 && b->push) {
        struct cli_reg reg;
        cli_reg_init(&reg, b->tls_verify, b->mode == CLI_PROGRESS_QUIET, stderr);
        rc = bld_push_tags(store, &res->manifest, b->tags, &reg.opts, err);
        cli_reg_release(&reg);
        if (rc < 0)
            cb_wrap(err, "--push");
    }
    return rc;
}

static int run(struct build_run *b, struct cli_env *env, struct cb_err **err)
{
    struct bld_build_result res;
    struct cli_progress *prog;
    struct oci_store *store;
    int rc;

    if (pipe2(cancel_pipe, O_CLOEXEC) == 0) {
        b->o.cancel_fd = cancel_pipe[0];
        signal(SIGINT, on_signal);
        signal(SIGTERM, on_signal);
    }
    store = oci_store_open(env->root, OCI_STORE_SHARED, err);
    if (!store)
        return cb_err_rc(err);
    prog = cli_progress_new((enum cli_progress_mode)b->mode, stderr);
    b->o.progress = cli_progress_sink(prog);
    rc = bld_build(store, &b->o, &res, err);
    b->built = true; /* from here on a failure is a failed build: status 1 */
    {
        char *sum = rc == 0 ? bld_build_summary(&res) : NULL;
        cli_progress_finish(prog, sum);
        free(sum);
    }
    cli_progress_free(prog);
    if (rc == 0)
        rc = after(b, store, &res, err);
    if (rc == 0)
        rc = finish(b, &res, err);
    bld_build_result_release(&res);
    oci_store_free(store);
    return rc;
}

int cmd_build(int argc, char **argv, struct cli_env *env)
{
    struct build_run b;
    cleanup_err struct cb_err *err = NULL;
    int rc = cli_build_parse(argc, argv, &b, &err);

    if (rc == 0)
        rc = run(&b, env, &err);
    cli_build_release(&b);
    if (rc == 1)
        return 0; /* --help */
    if (rc < 0 && !err)
        return 2; /* a usage error, already printed */
    if (rc < 0 && b.built) {
        int status = err->code == CB_EINTR ? 130 : 1;
        if (b.mode == CLI_PROGRESS_RAWJSON)
            cli_progress_json_error(stderr, err, status);
        cli_report(err);
        return status;
    }
    return rc < 0 ? cli_report(err) : 0;
}
