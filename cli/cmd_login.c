/* cmd_login.c - `cbuild login [-u USER] [-p PASS | --password-stdin] HOST`:
 * check the credentials against the registry, then store them (credential
 * helper or config.json); and `cbuild logout HOST`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "options.h"
#include "regcli.h"
#include "../base/buf.h"
#include "../base/cleanup.h"
#include "../base/fsutil.h"
#include "../oci/creds.h"
#include "../oci/reference.h"
#include "../oci/registry.h"
#include "../base/banned.h"

static char *read_password_stdin(struct cb_err **err)
{
    struct cb_buf b;
    cb_buf_init(&b, 64 << 10);
    if (cb_read_all(0, &b, err) < 0) {
        cb_buf_release(&b);
        return NULL;
    }
    while (b.len > 0 && (b.data[b.len - 1] == '\n' || b.data[b.len - 1] == '\r'))
        cb_buf_truncate(&b, b.len - 1);
    char *s = cb_buf_detach(&b, NULL);
    cb_buf_release(&b);
    return s;
}

int cmd_login(int argc, char **argv, struct cli_env *env)
{
    const char *user = NULL, *pass = NULL;
    bool from_stdin = false, tls_verify = true;
    const struct cli_option opts[] = {
        {'u', "username", CLI_OPT_STRING, &user, "USER", "user name"},
        {'p', "password", CLI_OPT_STRING, &pass, "PASS", "password (prefer --password-stdin)"},
        {0, "password-stdin", CLI_OPT_BOOL, &from_stdin, NULL, "read the password from stdin"},
        {0, "tls-verify", CLI_OPT_BOOL, &tls_verify, NULL,
         "verify TLS; =false allows plain http and self-signed certificates"},
        {0},
    };
    static const struct cli_usage u_tmpl = {
        "cbuild login [-u USER] [-p PASS | --password-stdin] HOST",
        "Check credentials against a registry and store them.", NULL};
    struct cli_usage u = u_tmpl;
    cleanup_strv_s struct cb_strv args = CB_STRV_INIT;
    cleanup_free char *host = NULL, *stdin_pass = NULL, *where = NULL;
    cleanup_registry struct oci_registry *r = NULL;
    struct cli_reg reg;
    cleanup_err struct cb_err *err = NULL;
    int rc;

    (void)env;
    u.options = opts;
    rc = cli_parse(argc, argv, &u, 0, &args);
    if (rc)
        return rc > 0 ? 0 : 2;
    if (args.n != 1)
        return cli_usage_error(&u, "expected one registry host");
    if (!user || !*user)
        return cli_usage_error(&u, "--username is required");
    if (pass && from_stdin)
        return cli_usage_error(&u, "--password and --password-stdin are mutually exclusive");
    if (!pass && !from_stdin)
        return cli_usage_error(&u, "give --password-stdin (or --password)");
    if (from_stdin && !(pass = stdin_pass = read_password_stdin(&err)))
        return cli_report(err);
    if (!*pass)
        return cli_usage_error(&u, "the password is empty");
    host = oci_ref_normalize_host(args.v[0], &err);
    if (!host)
        return cli_report(err);
    cli_reg_init(&reg, tls_verify, true, stderr);
    reg.opts.username = user;
    reg.opts.password = pass;
    r = oci_registry_new(host, NULL, &reg.opts, &err);
    rc = r ? oci_registry_ping(r, &err) : -1;
    cli_reg_release(&reg);
    if (rc < 0) {
        cb_wrap(&err, "login to '%s' failed", host);
        return cli_report(err);
    }
    if (oci_creds_store(host, user, pass, &where, &err) < 0)
        return cli_report(err);
    printf("Login Succeeded (credentials stored in %s)\n", where);
    return 0;
}

int cmd_logout(int argc, char **argv, struct cli_env *env)
{
    static const struct cli_option opts[] = {{0}};
    static const struct cli_usage u = {"cbuild logout HOST",
                                       "Remove stored credentials for a registry.", opts};
    cleanup_strv_s struct cb_strv args = CB_STRV_INIT;
    cleanup_free char *host = NULL;
    cleanup_err struct cb_err *err = NULL;
    bool found = false;
    int rc;

    (void)env;
    rc = cli_parse(argc, argv, &u, 0, &args);
    if (rc)
        return rc > 0 ? 0 : 2;
    if (args.n != 1)
        return cli_usage_error(&u, "expected one registry host");
    host = oci_ref_normalize_host(args.v[0], &err);
    if (!host)
        return cli_report(err);
    if (oci_creds_erase(host, &found, &err) < 0)
        return cli_report(err);
    printf(found ? "Removed login credentials for %s\n" : "Not logged in to %s\n", host);
    return 0;
}
