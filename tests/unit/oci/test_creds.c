#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "../../../oci/creds.h"
#include "../../../base/cleanup.h"
#include "../../../base/xalloc.h"

static void isolate(void)
{
    char cwd[4096];
    if (!getcwd(cwd, sizeof(cwd)))
        abort();
    char *home = xasprintf("%s/home", cwd);
    setenv("HOME", home, 1);
    setenv("DOCKER_CONFIG", "cfg", 1);
    unsetenv("REGISTRY_AUTH_FILE");
    unsetenv("XDG_RUNTIME_DIR");
    unsetenv("XDG_CONFIG_HOME");
    unsetenv("DOCKER_AUTH_CONFIG");
    free(home);
}

static void helper_script(const char *name, const char *body)
{
    char cwd[4096];
    cleanup_free char *path = xasprintf("bin/docker-credential-%s", name);
    t_write(path, body);
    chmod(path, 0755);
    if (!getcwd(cwd, sizeof(cwd)))
        abort();
    cleanup_free char *p = xasprintf("%s/bin:%s", cwd, getenv("PATH"));
    setenv("PATH", p, 1);
}

TEST(creds_config_json_auth)
{
    struct oci_creds c;
    cleanup_err struct cb_err *err = NULL;
    isolate();
    t_write("cfg/config.json", "{\"auths\":{\"reg.example:5000\":{\"auth\":\"dXNlcjpwYTpzcw==\"},"
                               "\"https://index.docker.io/v1/\":{\"auth\":\"aHViOmh1YnB3\"}}}");
    ASSERT_INT_EQ(oci_creds_lookup("reg.example:5000", "a/b", &c, &err), 1);
    ASSERT_STR_EQ(c.username, "user");
    ASSERT_STR_EQ(c.password, "pa:ss");
    oci_creds_release(&c);
    ASSERT_INT_EQ(oci_creds_lookup("docker.io", "library/x", &c, &err), 1);
    ASSERT_STR_EQ(c.username, "hub");
    oci_creds_release(&c);
    ASSERT_INT_EQ(oci_creds_lookup("other.example", NULL, &c, &err), 0);
}

TEST(creds_bad_auth_value_is_an_error)
{
    struct oci_creds c;
    cleanup_err struct cb_err *err = NULL;
    isolate();
    t_write("cfg/config.json", "{\"auths\":{\"r.example\":{\"auth\":\"bm9jb2xvbg==\"}}}");
    ASSERT_FAILS(oci_creds_lookup("r.example", NULL, &c, &err), err, CB_EAUTH,
                 "invalid 'auth' value");
}

TEST(creds_helper_get_and_not_found)
{
    struct oci_creds c;
    cleanup_err struct cb_err *err = NULL;
    isolate();
    helper_script("fake",
                  "#!/bin/sh\nread -r s\n"
                  "case \"$s\" in r.example) echo "
                  "'{\"ServerURL\":\"r.example\",\"Username\":\"AWS\",\"Secret\":\"pw\"}';;\n"
                  "tok.example) echo '{\"Username\":\"<token>\",\"Secret\":\"refresh\"}';;\n"
                  "*) echo 'credentials not found in native keychain'; exit 1;;\nesac\n");
    t_write("cfg/config.json", "{\"credHelpers\":{\"r.example\":\"fake\",\"tok.example\":\"fake\"},"
                               "\"credsStore\":\"fake\"}");
    ASSERT_INT_EQ(oci_creds_lookup("r.example", NULL, &c, &err), 1);
    ASSERT_STR_EQ(c.username, "AWS");
    ASSERT_STR_EQ(c.password, "pw");
    ASSERT_STR_EQ(c.helper, "fake");
    oci_creds_release(&c);
    ASSERT_INT_EQ(oci_creds_lookup("tok.example", NULL, &c, &err), 1);
    ASSERT_STR_EQ(c.identity_token, "refresh");
    ASSERT(c.username == NULL);
    oci_creds_release(&c);
    ASSERT_INT_EQ(oci_creds_lookup("none.example", NULL, &c, &err), 0);
}

TEST(creds_helper_failure_quotes_its_output)
{
    struct oci_creds c;
    cleanup_err struct cb_err *err = NULL;
    isolate();
    helper_script("broken", "#!/bin/sh\necho 'no AWS credentials'\nexit 1\n");
    t_write("cfg/config.json", "{\"credHelpers\":{\"r.example\":\"broken\"}}");
    ASSERT_FAILS(oci_creds_lookup("r.example", NULL, &c, &err), err, CB_EAUTH,
                 "docker-credential-broken' get 'r.example': no AWS credentials");
    cb_err_free(err);
    err = NULL;
    t_write("cfg/config.json", "{\"credHelpers\":{\"r.example\":\"missing-helper\"}}");
    ASSERT_FAILS(oci_creds_lookup("r.example", NULL, &c, &err), err, CB_EAUTH,
                 "docker-credential-missing-helper");
}

TEST(creds_auth_json_namespaces)
{
    struct oci_creds c;
    cleanup_err struct cb_err *err = NULL;
    isolate();
    t_write("auth.json", "{\"auths\":{\"r.example/team\":{\"auth\":\"dGVhbTpwMQ==\"},"
                         "\"r.example\":{\"auth\":\"YWxsOnAy\"}}}");
    setenv("REGISTRY_AUTH_FILE", "auth.json", 1);
    ASSERT_INT_EQ(oci_creds_lookup("r.example", "team/app", &c, &err), 1);
    ASSERT_STR_EQ(c.username, "team");
    oci_creds_release(&c);
    ASSERT_INT_EQ(oci_creds_lookup("r.example", "other/app", &c, &err), 1);
    ASSERT_STR_EQ(c.username, "all");
    oci_creds_release(&c);
    unsetenv("REGISTRY_AUTH_FILE");
    t_write("run/containers/auth.json", "{\"auths\":{\"x.example\":{\"auth\":\"eDp5\"}}}");
    char cwd[4096];
    ASSERT(getcwd(cwd, sizeof(cwd)) != NULL);
    cleanup_free char *run = xasprintf("%s/run", cwd);
    setenv("XDG_RUNTIME_DIR", run, 1);
    ASSERT_INT_EQ(oci_creds_lookup("x.example", NULL, &c, &err), 1);
    ASSERT_STR_EQ(c.password, "y");
    oci_creds_release(&c);
}

TEST(creds_store_and_erase_config_json)
{
    struct stat st;
    struct oci_creds c;
    cleanup_err struct cb_err *err = NULL;
    cleanup_free char *where = NULL;
    bool found = false;
    isolate();
    t_write("cfg/config.json", "{\"psFormat\":\"table\"}");
    ASSERT_OK(oci_creds_store("r.example", "u", "p", &where, &err), err);
    ASSERT_STR_EQ(where, "cfg/config.json");
    ASSERT_INT_EQ(stat("cfg/config.json", &st), 0);
    ASSERT_INT_EQ(st.st_mode & 0777, 0600);
    cleanup_free char *text = t_read("cfg/config.json");
    ASSERT(strstr(text, "\"psFormat\": \"table\"")); /* other settings kept */
    ASSERT(strstr(text, "\"auth\": \"dTpw\""));
    ASSERT_INT_EQ(oci_creds_lookup("r.example", NULL, &c, &err), 1);
    oci_creds_release(&c);
    ASSERT_OK(oci_creds_erase("r.example", &found, &err), err);
    ASSERT(found);
    ASSERT_INT_EQ(oci_creds_lookup("r.example", NULL, &c, &err), 0);
    ASSERT_OK(oci_creds_erase("r.example", &found, &err), err);
    ASSERT(!found);
}

TEST(creds_store_through_creds_store_helper)
{
    cleanup_err struct cb_err *err = NULL;
    cleanup_free char *where = NULL;
    bool found = false;
    isolate();
    helper_script("keep", "#!/bin/sh\necho \"$1\" >>verbs\ncat >>input\necho >>input\n");
    t_write("cfg/config.json", "{\"credsStore\":\"keep\"}");
    ASSERT_OK(oci_creds_store("docker.io", "me", "secret", &where, &err), err);
    ASSERT_STR_EQ(where, "credential helper 'docker-credential-keep'");
    ASSERT_OK(oci_creds_erase("docker.io", &found, &err), err);
    ASSERT(found);
    cleanup_free char *verbs = t_read("verbs");
    cleanup_free char *input = t_read("input");
    ASSERT_STR_EQ(verbs, "store\nerase\n");
    ASSERT(strstr(input, "{\"ServerURL\":\"https://index.docker.io/v1/"
                         "\",\"Username\":\"me\",\"Secret\":\"secret\"}"));
    ASSERT(strstr(input, "\nhttps://index.docker.io/v1/"));
}

TEST(creds_base64_round_trip)
{
    cleanup_free char *e = oci_base64_encode("user:pass", 9);
    size_t n = 0;
    cleanup_free char *d = oci_base64_decode(e, &n);
    ASSERT_STR_EQ(e, "dXNlcjpwYXNz");
    ASSERT_STR_EQ(d, "user:pass");
    ASSERT_INT_EQ(n, 9);
    ASSERT(oci_base64_decode("abc", NULL) == NULL);
}

TEST(creds_docker_auth_config_env_first)
{
    struct oci_creds c;
    cleanup_err struct cb_err *err = NULL;
    isolate();
    t_write("cfg/config.json", "{\"auths\":{\"r.example\":{\"auth\":\"ZmlsZTpw\"}}}");
    setenv("DOCKER_AUTH_CONFIG", "{\"auths\":{\"r.example\":{\"auth\":\"ZW52OnA=\"}}}", 1);
    ASSERT_INT_EQ(oci_creds_lookup("r.example", NULL, &c, &err), 1);
    ASSERT_STR_EQ(c.username, "env");
    ASSERT_STR_EQ(c.source, "$DOCKER_AUTH_CONFIG");
    oci_creds_release(&c);
    setenv("DOCKER_AUTH_CONFIG", "{not json", 1);
    ASSERT_FAILS(oci_creds_lookup("r.example", NULL, &c, &err), err, CB_EINVAL,
                 "$DOCKER_AUTH_CONFIG");
}
