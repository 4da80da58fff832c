/* test_doctor.c - each check on a hand-made rootfs: the exact finding on
 * the trap, and nothing on the image that is right. */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "t_doctor.h"
#include "../../../../base/cleanup.h"
#include "../../../../builder/doctor/doctor.h"

/* Run the doctor over the one-layer rootfs "r"; the ids, space-separated. */
static char *ids_of(const struct oci_image *img, const struct bld_doctor_opts *o,
                    struct bld_findings *f, struct cb_err **err)
{
    const char *dirs[] = {"r"};
    cleanup_rootfs struct bld_rootfs *fs = td_open(dirs, 1, err);
    struct cb_buf b;

    bld_findings_init(f);
    if (!fs || bld_doctor_check(img, fs, o, f, err) < 0)
        return NULL;
    cb_buf_init(&b, 1 << 20);
    for (size_t i = 0; i < f->n; i++)
        cb_buf_addf(&b, NULL, "%s%s", i ? " " : "", f->v[i].id);
    return cb_buf_detach(&b, NULL);
}

static const char *ev(const struct bld_findings *f, size_t i, const char *key)
{
    return i < f->n ? oci_map_peek(&f->v[i].evidence, key) : NULL;
}

TEST2(doctor_right_image_has_no_findings, blobs)
{
    cleanup_err struct cb_err *err = NULL;
    cleanup_image struct oci_image img;
    cleanup_findings struct bld_findings f;
    td_base("r");
    td_dir("r/home/app", 0755);
    td_own("r/home/app", 1000, 1000);
    td_file("r/home/app/readme", "root-owned but readable", 0644);
    td_config(&img, "app", (const char *const[]){"sh", "-c", "exec sh -x", NULL}, NULL);
    cleanup_free char *ids = ids_of(&img, NULL, &f, &err);
    ASSERT_STR_EQ(ids, "");
    ASSERT_INT_EQ(bld_findings_status(&f, true), 0);
}

TEST2(doctor_unknown_user_and_group, blobs)
{
    cleanup_err struct cb_err *err = NULL;
    cleanup_image struct oci_image img;
    cleanup_findings struct bld_findings f;
    td_base("r");
    td_config(&img, "ghost", (const char *const[]){"sh", NULL}, NULL);
    cleanup_free char *ids = ids_of(&img, NULL, &f, &err);
    ASSERT_STR_EQ(ids, "user-unknown");
    ASSERT_STR_EQ(f.v[0].message, "USER 'ghost' is not in the image's /etc/passwd");
    ASSERT_INT_EQ(bld_findings_status(&f, false), 1);
    bld_findings_release(&f);
    oci_image_release(&img);
    td_config(&img, "app:nogroup", (const char *const[]){"sh", NULL}, NULL);
    free(ids);
    ids = ids_of(&img, NULL, &f, &err);
    ASSERT_STR_EQ(ids, "group-unknown");
    bld_findings_release(&f);
    oci_image_release(&img);
    td_config(&img, "4242:4242", (const char *const[]){"sh", NULL},
              (const char *const[]){"HOME=/tmp", NULL});
    td_dir("r/tmp", 01777);
    free(ids);
    ids = ids_of(&img, NULL, &f, &err);
    ASSERT_STR_EQ(ids, ""); /* numeric ids need no entry */
    bld_findings_release(&f);
    oci_image_release(&img);
    td_config(&img, "65534", (const char *const[]){"sh", NULL}, NULL);
    free(ids);
    ids = ids_of(&img, NULL, &f, &err);
    ASSERT_STR_EQ(ids, ""); /* no entry, no ENV HOME: no home to check */
}

TEST2(doctor_home_missing_and_not_writable, blobs)
{
    cleanup_err struct cb_err *err = NULL;
    cleanup_image struct oci_image img;
    cleanup_findings struct bld_findings f;
    td_base("r");
    td_config(&img, "app", (const char *const[]){"sh", NULL}, NULL);
    cleanup_free char *ids = ids_of(&img, NULL, &f, &err);
    ASSERT_STR_EQ(ids, "home-missing");
    ASSERT_STR_EQ(f.v[0].message, "HOME '/home/app' of user 'app' does not exist");
    ASSERT_STR_EQ(ev(&f, 0, "home_source"), "/etc/passwd");
    bld_findings_release(&f);
    td_dir("r/home/app", 0755); /* root-owned */
    free(ids);
    ids = ids_of(&img, NULL, &f, &err);
    ASSERT_STR_EQ(ids, "home-not-writable home-owned-by-root");
    ASSERT_STR_EQ(ev(&f, 0, "owner"), "0:0");
    bld_findings_release(&f);
    td_file("r/etc/passwd", "app:x:1000:1000::/nonexistent:/bin/sh\n", 0644);
    free(ids);
    ids = ids_of(&img, NULL, &f, &err);
    ASSERT_STR_EQ(ids, "home-missing");
    ASSERT_INT_EQ(f.v[0].severity, BLD_SEV_WARN); /* a deliberate "no home" */
}

TEST2(doctor_program_path_exec_and_shebang, blobs)
{
    cleanup_err struct cb_err *err = NULL;
    cleanup_image struct oci_image img;
    cleanup_findings struct bld_findings f;
    td_base("r");
    td_file("r/usr/bin/noexec", "x", 0644);
    td_file("r/usr/bin/script", "#!/usr/local/bin/python3 -u\nprint()\n", 0755);
    td_file("r/usr/bin/envscript", "#!/usr/bin/env node\n", 0755);
    td_link("r/usr/bin/env", "../../bin/sh");
    td_config(&img, NULL, (const char *const[]){"missing", NULL}, NULL);
    cleanup_free char *ids = ids_of(&img, NULL, &f, &err);
    ASSERT_STR_EQ(ids, "cmd-not-found");
    ASSERT_STR_EQ(f.v[0].message, "the start program 'missing' is not on the image's PATH");
    bld_findings_release(&f);
    free(img.config.cmd.v[0]);
    img.config.cmd.v[0] = xstrdup("noexec");
    free(ids);
    ids = ids_of(&img, NULL, &f, &err);
    ASSERT_STR_EQ(ids, "cmd-not-executable");
    bld_findings_release(&f);
    free(img.config.cmd.v[0]);
    img.config.cmd.v[0] = xstrdup("/usr/bin/script");
    free(ids);
    ids = ids_of(&img, NULL, &f, &err);
    ASSERT_STR_EQ(ids, "cmd-interpreter-missing");
    ASSERT_STR_EQ(ev(&f, 0, "interpreter"), "/usr/local/bin/python3");
    bld_findings_release(&f);
    free(img.config.cmd.v[0]);
    img.config.cmd.v[0] = xstrdup("envscript");
    free(ids);
    ids = ids_of(&img, NULL, &f, &err);
    ASSERT_STR_EQ(ids, "cmd-interpreter-missing");
    ASSERT_STR_EQ(ev(&f, 0, "interpreter"), "node");
}

/* The production trap: packages copied to /home/app/.local for a user
 * whose home is /app. */
static void python_trap(void)
{
    td_base("r");
    td_file("r/etc/passwd",
            "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/app:/usr/sbin/nologin\n", 0644);
    td_file("r/usr/bin/python3", "#!/bin/sh\n", 0755);
    td_dir("r/app", 0755);
    td_own("r/app", 1000, 1000);
    td_file("r/home/app/.local/lib/python3.11/site-packages/uvicorn/__init__.py", "", 0644);
    td_file("r/home/app/.local/lib/python3.11/site-packages/six.py", "", 0644);
    td_dir("r/home/app/.local/lib/python3.11/site-packages/uvicorn-0.30.1.dist-info", 0755);
    td_dir("r/home/app/.local/lib/python3.11/site-packages/__pycache__", 0755);
    td_file("r/home/app/.local/bin/uvicorn", "#!/usr/bin/python3\n", 0755);
    td_own("r/home/app/.local", 1000, 1000);
    td_own("r/home/app", 1000, 1000);
}

TEST2(doctor_python_user_site_under_the_wrong_home, blobs)
{
    cleanup_err struct cb_err *err = NULL;
    cleanup_image struct oci_image img;
    cleanup_findings struct bld_findings f;
    python_trap();
    td_config(&img, "app", (const char *const[]){"uvicorn", "main:app", NULL}, NULL);
    cleanup_free char *ids = ids_of(&img, NULL, &f, &err);
    ASSERT_STR_EQ(ids, "cmd-not-found python-user-site python-scripts-not-on-path");
    ASSERT_STR_EQ(ev(&f, 0, "found_in"), "/home/app/.local/bin");
    ASSERT_STR_EQ(f.v[1].message, "python packages in "
                                  "'/home/app/.local/lib/python3.11/site-packages' are not "
                                  "importable by user 'app': its user base is '/app/.local'");
    ASSERT_STR_EQ(ev(&f, 1, "modules"), "six, uvicorn");
    ASSERT_STR_EQ(ev(&f, 1, "distributions"), "uvicorn-0.30.1.dist-info");
    ASSERT_STR_EQ(f.v[1].fix, "ENV PYTHONUSERBASE=/home/app/.local "
                              "PATH=/home/app/.local/bin:$PATH (or cbuild build --fixup=userbase)");
    ASSERT_INT_EQ(f.v[2].severity, BLD_SEV_ERROR); /* the CMD is one of the scripts */
    bld_findings_release(&f);
    oci_image_release(&img);
    td_config(&img, "app", (const char *const[]){"uvicorn", NULL},
              (const char *const[]){"PYTHONUSERBASE=/home/app/.local",
                                    "PATH=/home/app/.local/bin:/usr/bin:/bin", NULL});
    free(ids);
    ids = ids_of(&img, NULL, &f, &err);
    ASSERT_STR_EQ(ids, "");
}

TEST2(doctor_node_npm_cache_and_typescript, blobs)
{
    cleanup_err struct cb_err *err = NULL;
    cleanup_image struct oci_image img;
    cleanup_findings struct bld_findings f;
    td_base("r");
    td_file("r/usr/bin/npm", "#!/bin/sh\n", 0755);
    td_file("r/srv/package.json", "{\"scripts\": {\"start\": \"next start -p 3000\"}}", 0644);
    td_file("r/srv/next.config.ts", "export default {}\n", 0644);
    td_file("r/srv/node_modules/.bin/next", "#!/bin/sh\n", 0755);
    td_config(&img, "app", (const char *const[]){"npm", "start", NULL}, NULL);
    img.config.working_dir = xstrdup("/srv");
    cleanup_free char *ids = ids_of(&img, NULL, &f, &err);
    ASSERT_STR_EQ(ids, "home-missing workdir-not-writable npm-cache-not-writable "
                       "node-module-missing");
    ASSERT_STR_EQ(ev(&f, 2, "cache"), "/home/app/.npm");
    ASSERT_STR_EQ(ev(&f, 2, "blocked_at"), "/"); /* no /home at all */
    ASSERT_STR_EQ(ev(&f, 3, "expected"), "/srv/node_modules/typescript");
    bld_findings_release(&f);
    td_dir("r/home/app", 0755);
    td_own("r/home/app", 1000, 1000);
    td_dir("r/srv/node_modules/typescript", 0755);
    td_own("r/srv", 1000, 1000);
    free(ids);
    ids = ids_of(&img, NULL, &f, &err);
    ASSERT_STR_EQ(ids, "");
}

TEST2(doctor_secrets_in_env_and_labels, blobs)
{
    cleanup_err struct cb_err *err = NULL;
    cleanup_image struct oci_image img;
    cleanup_findings struct bld_findings f;
    td_base("r");
    td_config(&img, NULL, (const char *const[]){"sh", NULL},
              (const char *const[]){"DB_PASSWORD=x", "PUBLIC_KEY=ok", "KEY_FILE=ok",
                                    "GH=ghp_abcdefghijklmnopqrstuvwxyz0123456789", NULL});
    oci_map_set(&img.config.labels, "api_token", "t");
    oci_map_set(&img.config.labels, "org.opencontainers.image.version", "1");
    cleanup_free char *ids = ids_of(&img, NULL, &f, &err);
    ASSERT_STR_EQ(ids, "secret-in-env secret-in-env secret-in-label");
    ASSERT_STR_EQ(f.v[0].message, "ENV 'DB_PASSWORD' looks like a secret (SecretsUsedInArgOrEnv)");
    ASSERT_STR_EQ(f.v[1].message, "ENV 'GH' holds what looks like a GitHub token");
    ASSERT_INT_EQ(bld_findings_status(&f, false), 0); /* warnings */
    ASSERT_INT_EQ(bld_findings_status(&f, true), 1);
}

TEST2(doctor_build_arg_default_baked_into_stage_files, blobs)
{
    cleanup_err struct cb_err *err = NULL;
    cleanup_image struct oci_image img;
    cleanup_findings struct bld_findings f;
    const char *dirs[] = {"r", "stage"};
    struct bld_doctor_arg args[] = {
        {"NEXT_PUBLIC_API_BASE", "http://localhost:8080", false},
        {"OTHER", "http://127.0.0.1", true}, /* overridden: not reported */
    };
    size_t layers[] = {1};
    struct bld_doctor_opts o = {
        .args = args, .n_args = 2, .stage_layers = layers, .n_stage_layers = 1};
    td_base("r");
    td_file("r/base.js", "http://localhost:8080 in the base is not ours", 0644);
    td_file("stage/app/.next/chunk.js", "fetch(\"http://localhost:8080/api\")", 0644);
    td_file("stage/app/other.js", "http://127.0.0.1", 0644);
    td_config(&img, NULL, (const char *const[]){"sh", NULL}, NULL);
    cleanup_rootfs struct bld_rootfs *fs = td_open(dirs, 2, &err);
    bld_findings_init(&f);
    ASSERT_OK(bld_doctor_check(&img, fs, &o, &f, &err), err);
    ASSERT_INT_EQ(f.n, 1);
    ASSERT_STR_EQ(f.v[0].id, "build-arg-default-baked");
    ASSERT_STR_EQ(ev(&f, 0, "files"), "/app/.next/chunk.js");
}

TEST(doctor_json_and_text_output)
{
    cleanup_err struct cb_err *err = NULL;
    cleanup_findings struct bld_findings f;
    cleanup_buf struct cb_buf b;
    bld_findings_init(&f);
    struct bld_finding *x = bld_findings_add(&f, "an-id", BLD_SEV_ERROR, "do this", "it is %d", 1);
    oci_map_set(&x->evidence, "path", "/x");
    cb_buf_init(&b, 1 << 20);
    ASSERT_OK(bld_findings_json(&f, &b, &err), err);
    ASSERT_STR_EQ(b.data, "[\n  {\n    \"evidence\": {\n      \"path\": \"/x\"\n    },\n    "
                          "\"fix\": \"do this\",\n    \"id\": \"an-id\",\n    \"message\": \"it is "
                          "1\",\n    \"severity\": \"error\"\n  }\n]\n");
    cb_buf_reset(&b);
    ASSERT_OK(bld_findings_text(&f, &b, &err), err);
    ASSERT_STR_EQ(b.data, "error[an-id]: it is 1\n  path: /x\n  fix: do this\n");
}

/* A fake runtime for --exec: python fails to import, the shell finds the
 * program (so that finding is not reproduced). */
static int fake_exec(void *userdata, char *const *argv, size_t argc, int *status,
                     struct cb_buf *out, struct cb_err **err)
{
    struct cb_strv *seen = userdata;
    cb_strv_push(seen, argv[argc - 1]);
    if (!strcmp(argv[0], "python3")) {
        cb_buf_adds(out,
                    "Traceback (most recent call last):\nModuleNotFoundError: No module "
                    "named 'uvicorn'\n",
                    NULL);
        *status = 1;
    } else {
        *status = 0;
    }
    return 0;
}

TEST2(doctor_exec_probes_confirm_or_downgrade, blobs)
{
    cleanup_err struct cb_err *err = NULL;
    cleanup_image struct oci_image img;
    cleanup_findings struct bld_findings f;
    cleanup_strv_s struct cb_strv seen = CB_STRV_INIT;
    struct bld_doctor_opts o = {.exec = fake_exec, .exec_data = &seen};
    python_trap();
    td_file("r/home/app/.local/lib/python3.11/site-packages/not-a-module/x", "", 0644);
    td_config(&img, "app", (const char *const[]){"uvicorn", NULL}, NULL);
    cleanup_free char *ids = ids_of(&img, &o, &f, &err);
    ASSERT_STR_EQ(ids, "cmd-not-found python-user-site python-scripts-not-on-path");
    ASSERT_INT_EQ(seen.n, 2);
    ASSERT_STR_EQ(seen.v[0], "uvicorn");             /* command -v "$0" uvicorn */
    ASSERT_STR_EQ(seen.v[1], "import six, uvicorn"); /* no invalid names */
    ASSERT_STR_EQ(ev(&f, 0, "exec"),
                  "[sh, -c, command -v \"$0\", uvicorn] exited 0: not reproduced");
    ASSERT_INT_EQ(f.v[0].severity, BLD_SEV_WARN);
    ASSERT_STR_EQ(ev(&f, 1, "exec"), "[python3, -c, import six, uvicorn] exited 1: "
                                     "ModuleNotFoundError: No module named 'uvicorn'");
    ASSERT_INT_EQ(f.v[1].severity, BLD_SEV_ERROR);
    ASSERT(!ev(&f, 2, "exec")); /* no probe for this one */
}
