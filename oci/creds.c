/* creds.c - registry credentials: docker's config.json and containers'
 * auth.json lookup, docker-credential-<name> helpers, and storing or erasing
 * credentials for login/logout. */
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "creds.h"
#include "reference.h"
#include "regjson.h"
#include "../base/buf.h"
#include "../base/cleanup.h"
#include "../base/fsutil.h"
#include "../base/strv.h"
#include "../base/xalloc.h"
#include "../base/banned.h"

extern char **environ;

#define HELPER_OUTPUT_LIMIT ((size_t)1 << 20)
#define HELPER_NOT_FOUND "credentials not found"

void oci_creds_release(struct oci_creds *c)
{
    if (!c)
        return;
    free(c->username);
    free(c->password);
    free(c->identity_token);
    free(c->registry_token);
    free(c->helper);
    free(c->source);
    memset(c, 0, sizeof(*c));
}

char *oci_base64_encode(const void *data, size_t len)
{
    char *out = xmalloc(4 * ((len + 2) / 3) + 1);
    EVP_EncodeBlock((unsigned char *)out, data, (int)len);
    return out;
}

char *oci_base64_decode(const char *s, size_t *len)
{
    size_t n = strlen(s);
    char *out;
    int got;

    while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r'))
        n--;
    if (n % 4)
        return NULL;
    out = xmalloc(n / 4 * 3 + 1);
    got = EVP_DecodeBlock((unsigned char *)out, (const unsigned char *)s, (int)n);
    if (got < 0) {
        free(out);
        return NULL;
    }
    for (size_t i = n; i > 0 && s[i - 1] == '='; i--)
        got--;
    out[got] = 0;
    if (len)
        *len = (size_t)got;
    return out;
}

char *oci_docker_config_path(void)
{
    const char *d = getenv("DOCKER_CONFIG");
    const char *home = getenv("HOME");
    if (d && *d)
        return cb_path_join(d, "config.json");
    return xasprintf("%s/.docker/config.json", home && *home ? home : "/root");
}

/* Write input to fd without dying of SIGPIPE when the helper left early. */
static void write_input(int fd, const char *input)
{
    sigset_t pipe_set, old;
    struct timespec zero = {0, 0};
    size_t len = strlen(input), off = 0;

    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
    while (off < len) {
        ssize_t w = write(fd, input + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            if (errno == EPIPE)
                sigtimedwait(&pipe_set, NULL, &zero);
            break;
        }
        off += (size_t)w;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/* Run docker-credential-<name> VERB with input on stdin; its stdout goes to
 * out, its exit status to *status. */
static int run_helper(const char *name, const char *verb, const char *input, struct cb_buf *out,
                      int *status, struct cb_err **err)
{
    cleanup_free char *prog = xasprintf("docker-credential-%s", name);
    char *argv[] = {prog, (char *)verb, NULL};
    int in[2], outp[2], rc;
    posix_spawn_file_actions_t fa;
    pid_t pid;

    if (pipe2(in, O_CLOEXEC) < 0)
        return cb_fail(err, CB_EIO, errno, "pipe");
    if (pipe2(outp, O_CLOEXEC) < 0) {
        close(in[0]);
        close(in[1]);
        return cb_fail(err, CB_EIO, errno, "pipe");
    }
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    posix_spawn_file_actions_adddup2(&fa, outp[1], 1);
    rc = posix_spawnp(&pid, prog, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(in[0]);
    close(outp[1]);
    if (rc != 0) {
        close(in[1]);
        close(outp[0]);
        return cb_fail(err, CB_EAUTH, rc, "run credential helper '%s'", prog);
    }
    write_input(in[1], input ? input : "");
    close(in[1]);
    rc = cb_read_all(outp[0], out, err);
    close(outp[0]);
    while (waitpid(pid, status, 0) < 0 && errno == EINTR)
        ;
    if (rc < 0)
        return cb_wrap(err, "read from credential helper '%s'", prog);
    return 0;
}

static char *trimmed(const char *s)
{
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == ' ' || s[n - 1] == '\r'))
        n--;
    return xstrndup(s, n);
}

/* 1 found, 0 not found, < 0 error. */
static int helper_get(const char *name, const char *server, struct oci_creds *out,
                      struct cb_err **err)
{
    cleanup_buf struct cb_buf b = {0};
    cleanup_free char *user = NULL, *secret = NULL, *msg = NULL;
    int status = 0;

    cb_buf_init(&b, HELPER_OUTPUT_LIMIT);
    if (run_helper(name, "get", server, &b, &status, err) < 0)
        return cb_err_rc(err);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        if (strstr(cb_buf_str(&b), HELPER_NOT_FOUND))
            return 0;
        msg = trimmed(cb_buf_str(&b));
        return cb_fail(err, CB_EAUTH, 0, "credential helper 'docker-credential-%s' get '%s': %s",
                       name, server, *msg ? msg : "failed");
    }
    if (oci_regjson_helper_parse(b.data, b.len, &user, &secret, err) < 0)
        return cb_wrap(err, "credential helper 'docker-credential-%s'", name);
    if (!strcmp(user, "<token>"))
        out->identity_token = TAKE_PTR(secret);
    else {
        out->username = TAKE_PTR(user);
        out->password = TAKE_PTR(secret);
    }
    out->helper = xstrdup(name);
    out->source = xasprintf("credential helper 'docker-credential-%s'", name);
    return 1;
}

static int entry_to_creds(const struct oci_authfile_entry *e, const char *path,
                          struct oci_creds *out, struct cb_err **err)
{
    if (e->auth) {
        cleanup_free char *dec = oci_base64_decode(e->auth, NULL);
        char *colon = dec ? strchr(dec, ':') : NULL;
        if (!colon)
            return cb_fail(err, CB_EAUTH, 0,
                           "'%s': invalid 'auth' value (want base64 of user:password)", path);
        *colon = 0;
        out->username = xstrdup(dec);
        out->password = xstrdup(colon + 1);
    } else if (e->username && e->password) {
        out->username = xstrdup(e->username);
        out->password = xstrdup(e->password);
    }
    if (e->identitytoken)
        out->identity_token = xstrdup(e->identitytoken);
    if (e->registrytoken)
        out->registry_token = xstrdup(e->registrytoken);
    out->source = xstrdup(path);
    return 1;
}

/* auths keys that may name registry, most specific first. */
static void candidate_keys(const char *registry, const char *repository, struct cb_strv *keys)
{
    if (repository) {
        cleanup_free char *r = xstrdup(repository);
        for (;;) {
            cb_strv_pushf(keys, "%s/%s", registry, r);
            char *slash = strrchr(r, '/');
            if (!slash)
                break;
            *slash = 0;
        }
    }
    cb_strv_push(keys, registry);
    cb_strv_pushf(keys, "https://%s", registry);
    cb_strv_pushf(keys, "http://%s", registry);
    cb_strv_pushf(keys, "https://%s/v1/", registry);
    cb_strv_pushf(keys, "https://%s/v2/", registry);
    cb_strv_push(keys, oci_ref_config_key(registry));
}

static int lookup_in(const struct oci_authfile *f, const char *what, const char *registry,
                     const char *repository, struct oci_creds *out, struct cb_err **err)
{
    cleanup_strv_s struct cb_strv keys = CB_STRV_INIT;
    struct oci_authfile_entry e;
    const char *helper;
    int rc;

    if (!oci_authfile_exists(f))
        return 0;
    helper = oci_authfile_helper(f, registry);
    if (helper)
        return helper_get(helper, oci_ref_config_key(registry), out, err);
    helper = oci_authfile_creds_store(f);
    if (helper) {
        rc = helper_get(helper, oci_ref_config_key(registry), out, err);
        if (rc != 0)
            return rc;
    }
    candidate_keys(registry, repository, &keys);
    for (size_t i = 0; i < keys.n; i++)
        if (oci_authfile_get(f, keys.v[i], &e))
            return entry_to_creds(&e, what, out, err);
    return 0;
}

static int lookup_in_file(const char *path, const char *registry, const char *repository,
                          struct oci_creds *out, struct cb_err **err)
{
    cleanup_authfile struct oci_authfile *f = oci_authfile_load(path, err);
    if (!f)
        return cb_err_rc(err);
    return lookup_in(f, path, registry, repository, out, err);
}

/* $DOCKER_AUTH_CONFIG: a whole config.json in the environment (newer
 * docker/cli), consulted before the files. */
static int lookup_in_env(const char *registry, const char *repository, struct oci_creds *out,
                         struct cb_err **err)
{
    const char *v = getenv("DOCKER_AUTH_CONFIG");
    if (!v || !*v)
        return 0;
    cleanup_authfile struct oci_authfile *f =
        oci_authfile_parse(v, strlen(v), "$DOCKER_AUTH_CONFIG", err);
    if (!f)
        return cb_err_rc(err);
    return lookup_in(f, "$DOCKER_AUTH_CONFIG", registry, repository, out, err);
}

static void auth_files(struct cb_strv *files)
{
    const char *v = getenv("REGISTRY_AUTH_FILE");
    const char *home = getenv("HOME");
    if (v && *v)
        cb_strv_push(files, v);
    cb_strv_push_take(files, oci_docker_config_path());
    v = getenv("XDG_RUNTIME_DIR");
    if (v && *v)
        cb_strv_pushf(files, "%s/containers/auth.json", v);
    v = getenv("XDG_CONFIG_HOME");
    if (v && *v)
        cb_strv_pushf(files, "%s/containers/auth.json", v);
    else if (home && *home)
        cb_strv_pushf(files, "%s/.config/containers/auth.json", home);
}

int oci_creds_lookup(const char *registry, const char *repository, struct oci_creds *out,
                     struct cb_err **err)
{
    cleanup_strv_s struct cb_strv files = CB_STRV_INIT;

    memset(out, 0, sizeof(*out));
    auth_files(&files);
    for (size_t i = 0; i <= files.n; i++) {
        int rc = i == 0 ? lookup_in_env(registry, repository, out, err)
                        : lookup_in_file(files.v[i - 1], registry, repository, out, err);
        if (rc != 0) {
            if (rc < 0)
                oci_creds_release(out);
            return rc < 0 ? cb_wrap(err, "credentials for '%s'", registry) : 1;
        }
    }
    return 0;
}

static int helper_run_checked(const char *name, const char *verb, const char *input,
                              struct cb_err **err)
{
    cleanup_buf struct cb_buf b = {0};
    cleanup_free char *msg = NULL;
    int status = 0;

    cb_buf_init(&b, HELPER_OUTPUT_LIMIT);
    if (run_helper(name, verb, input, &b, &status, err) < 0)
        return cb_err_rc(err);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 1;
    if (!strcmp(verb, "erase") && strstr(cb_buf_str(&b), HELPER_NOT_FOUND))
        return 0;
    msg = trimmed(cb_buf_str(&b));
    return cb_fail(err, CB_EAUTH, 0, "credential helper 'docker-credential-%s' %s: %s", name, verb,
                   *msg ? msg : "failed");
}

int oci_creds_store(const char *registry, const char *username, const char *password, char **where,
                    struct cb_err **err)
{
    cleanup_free char *path = oci_docker_config_path();
    cleanup_authfile struct oci_authfile *f = oci_authfile_load(path, err);
    const char *key = oci_ref_config_key(registry);
    const char *helper;

    if (!f)
        return cb_err_rc(err);
    helper = oci_authfile_helper(f, registry);
    if (!helper)
        helper = oci_authfile_creds_store(f);
    if (helper) {
        cleanup_free char *in = oci_regjson_helper_input(key, username, password);
        if (helper_run_checked(helper, "store", in, err) < 0)
            return cb_err_rc(err);
        if (where)
            *where = xasprintf("credential helper 'docker-credential-%s'", helper);
        return 0;
    }
    cleanup_free char *plain = xasprintf("%s:%s", username, password);
    cleanup_free char *b64 = oci_base64_encode(plain, strlen(plain));
    oci_authfile_set(f, key, b64);
    if (oci_authfile_save(f, path, err) < 0)
        return cb_err_rc(err);
    if (where)
        *where = TAKE_PTR(path);
    return 0;
}

int oci_creds_erase(const char *registry, bool *found, struct cb_err **err)
{
    cleanup_free char *path = oci_docker_config_path();
    cleanup_authfile struct oci_authfile *f = oci_authfile_load(path, err);
    const char *key = oci_ref_config_key(registry);
    const char *helper;
    bool any = false;
    int rc;

    if (!f)
        return cb_err_rc(err);
    helper = oci_authfile_helper(f, registry);
    if (!helper)
        helper = oci_authfile_creds_store(f);
    if (helper) {
        rc = helper_run_checked(helper, "erase", key, err);
        if (rc < 0)
            return rc;
        any = rc > 0;
    }
    if (oci_authfile_remove(f, key) ||
        (strcmp(key, registry) && oci_authfile_remove(f, registry))) {
        any = true;
        if (oci_authfile_save(f, path, err) < 0)
            return cb_err_rc(err);
    }
    *found = any;
    return 0;
}
