#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "../../../oci/auth.h"
#include "../../../base/cleanup.h"
#include "../../../base/xalloc.h"

TEST(auth_challenge_bearer)
{
    struct oci_challenge c;
    ASSERT_INT_EQ(
        oci_challenge_parse(
            "Bearer "
            "realm=\"https://auth.docker.io/"
            "token\",service=\"registry.docker.io\",scope=\"repository:library/busybox:pull\"",
            &c),
        0);
    ASSERT_INT_EQ(c.scheme, OCI_AUTH_BEARER);
    ASSERT_STR_EQ(c.realm, "https://auth.docker.io/token");
    ASSERT_STR_EQ(c.service, "registry.docker.io");
    ASSERT_STR_EQ(c.scope, "repository:library/busybox:pull");
    ASSERT(c.error == NULL);
    oci_challenge_release(&c);
}

TEST(auth_challenge_basic_and_escapes)
{
    struct oci_challenge c;
    ASSERT_INT_EQ(oci_challenge_parse("basic realm=\"a \\\"quoted\\\" realm\"", &c), 0);
    ASSERT_INT_EQ(c.scheme, OCI_AUTH_BASIC);
    ASSERT_STR_EQ(c.realm, "a \"quoted\" realm");
    oci_challenge_release(&c);
}

TEST(auth_challenge_picks_first_known_scheme)
{
    struct oci_challenge c;
    ASSERT_INT_EQ(oci_challenge_parse(
                      "Negotiate abc, Bearer realm=r,service=s,error=\"insufficient_scope\"", &c),
                  0);
    ASSERT_INT_EQ(c.scheme, OCI_AUTH_BEARER);
    ASSERT_STR_EQ(c.realm, "r");
    ASSERT_STR_EQ(c.service, "s");
    ASSERT_STR_EQ(c.error, "insufficient_scope");
    oci_challenge_release(&c);
    ASSERT_INT_EQ(oci_challenge_parse("Negotiate abc", &c), -1);
    ASSERT_INT_EQ(oci_challenge_parse(NULL, &c), -1);
}

/* A fake token endpoint: records the requests, answers from a script. */
struct fake {
    int calls;
    char *last_url, *last_auth, *last_form;
    long status;
    const char *reply;
};

static int fake_http(void *ud, const char *url, const char *authorization, const char *form,
                     struct cb_buf *body, long *status, struct cb_err **err)
{
    struct fake *f = ud;
    f->calls++;
    free(f->last_url);
    free(f->last_auth);
    free(f->last_form);
    f->last_url = xstrdup(url);
    f->last_auth = authorization ? xstrdup(authorization) : NULL;
    f->last_form = form ? xstrdup(form) : NULL;
    *status = f->status;
    return cb_buf_adds(body, f->reply, err);
}

static void fake_release(struct fake *f)
{
    free(f->last_url);
    free(f->last_auth);
    free(f->last_form);
}

TEST(auth_bearer_anonymous_token_cached_per_scope)
{
    struct fake f = {.status = 200, .reply = "{\"access_token\":\"T1\",\"expires_in\":300}"};
    cleanup_err struct cb_err *err = NULL;
    cleanup_free char *h1 = NULL, *h2 = NULL, *h3 = NULL;
    setenv("DOCKER_CONFIG", "nothing-here", 1);
    setenv("HOME", ".", 1);
    unsetenv("REGISTRY_AUTH_FILE");
    unsetenv("XDG_RUNTIME_DIR");
    struct oci_auth *a = oci_auth_new("reg.example", "a/b", fake_http, &f);

    ASSERT_OK(oci_auth_header(a, "repository:a/b:pull", &h1, &err), err);
    ASSERT(h1 == NULL); /* no challenge yet */
    ASSERT_INT_EQ(oci_auth_on_unauthorized(a, "Bearer realm=\"https://auth/t\",service=\"svc x\"",
                                           "repository:a/b:pull", false, &err),
                  1);
    ASSERT_OK(oci_auth_header(a, "repository:a/b:pull", &h2, &err), err);
    ASSERT_STR_EQ(h2, "Bearer T1");
    ASSERT_STR_EQ(f.last_url, "https://auth/t?service=svc%20x&scope=repository%3Aa%2Fb%3Apull");
    ASSERT(f.last_auth == NULL);
    ASSERT_OK(oci_auth_header(a, "repository:a/b:pull", &h3, &err), err);
    ASSERT_INT_EQ(f.calls, 1); /* cached */
    free(h3);
    h3 = NULL;
    ASSERT_OK(oci_auth_header(a, "repository:a/b:pull,push repository:c:pull", &h3, &err), err);
    ASSERT_INT_EQ(f.calls, 2); /* another scope set, another token */
    ASSERT(
        strstr(f.last_url, "&scope=repository%3Aa%2Fb%3Apull%2Cpush&scope=repository%3Ac%3Apull"));
    oci_auth_free(a);
    fake_release(&f);
}

TEST(auth_bearer_refetch_after_401_and_expiry)
{
    struct fake f = {.status = 200, .reply = "{\"token\":\"T\",\"expires_in\":1}"};
    cleanup_err struct cb_err *err = NULL;
    char *h = NULL;
    setenv("DOCKER_CONFIG", "nothing-here", 1);
    struct oci_auth *a = oci_auth_new("reg.example", "a", fake_http, &f);
    const char *ch = "Bearer realm=\"http://t/token\",service=\"s\"";

    ASSERT_INT_EQ(oci_auth_on_unauthorized(a, ch, "repository:a:pull", false, &err), 1);
    ASSERT_OK(oci_auth_header(a, "repository:a:pull", &h, &err), err);
    free(h);
    ASSERT_INT_EQ(f.calls, 1);
    /* the registry says the token is no good: one more token */
    ASSERT_INT_EQ(oci_auth_on_unauthorized(
                      a, "Bearer realm=\"http://t/token\",service=\"s\",error=\"invalid_token\"",
                      "repository:a:pull", true, &err),
                  1);
    ASSERT_OK(oci_auth_header(a, "repository:a:pull", &h, &err), err);
    free(h);
    ASSERT_INT_EQ(f.calls, 2);
    oci_auth_free(a);
    fake_release(&f);
}

TEST(auth_basic_with_and_without_creds)
{
    struct fake f = {.status = 200, .reply = "{}"};
    cleanup_err struct cb_err *err = NULL;
    cleanup_free char *h = NULL;
    setenv("DOCKER_CONFIG", "nothing-here", 1);
    struct oci_auth *a = oci_auth_new("reg.example", "a", fake_http, &f);

    /* Basic without credentials: nothing to retry with */
    ASSERT_INT_EQ(oci_auth_on_unauthorized(a, "Basic realm=x", "repository:a:pull", false, &err),
                  0);
    oci_auth_set_creds(a, "user", "pa:ss");
    ASSERT(oci_auth_has_creds(a));
    ASSERT_INT_EQ(oci_auth_on_unauthorized(a, "Basic realm=x", "repository:a:pull", false, &err),
                  1);
    ASSERT_OK(oci_auth_header(a, "repository:a:pull", &h, &err), err);
    ASSERT_STR_EQ(h, "Basic dXNlcjpwYTpzcw==");
    /* the same credentials refused: no retry */
    ASSERT_INT_EQ(oci_auth_on_unauthorized(a, "Basic realm=x", "repository:a:pull", true, &err), 0);
    ASSERT_INT_EQ(f.calls, 0);
    oci_auth_free(a);
}

TEST(auth_token_with_password_and_rejection)
{
    struct fake f = {.status = 401,
                     .reply =
                         "{\"errors\":[{\"code\":\"UNAUTHORIZED\",\"message\":\"bad creds\"}]}"};
    cleanup_err struct cb_err *err = NULL;
    char *h = NULL;
    struct oci_auth *a = oci_auth_new("reg.example", "a", fake_http, &f);

    oci_auth_set_creds(a, "u", "p");
    ASSERT_INT_EQ(oci_auth_on_unauthorized(a, "Bearer realm=\"http://t/token\",service=\"s\"",
                                           "repository:a:pull", false, &err),
                  1);
    ASSERT_FAILS(oci_auth_header(a, "repository:a:pull", &h, &err), err, CB_EAUTH,
                 "fetch token from 'http://t/token': HTTP 401: UNAUTHORIZED: bad creds");
    ASSERT_STR_EQ(f.last_auth, "Basic dTpw");
    oci_auth_free(a);
    fake_release(&f);
}

TEST(auth_identity_token_uses_oauth_post)
{
    struct fake f = {.status = 200, .reply = "{\"access_token\":\"AT\"}"};
    cleanup_err struct cb_err *err = NULL;
    cleanup_free char *h = NULL;
    t_write("cfg/config.json", "{\"auths\":{\"reg.example\":{\"identitytoken\":\"REFRESH\"}}}");
    setenv("DOCKER_CONFIG", "cfg", 1);
    struct oci_auth *a = oci_auth_new("reg.example", "a", fake_http, &f);

    ASSERT_INT_EQ(oci_auth_on_unauthorized(a, "Bearer realm=\"http://t/token\",service=\"s\"",
                                           "repository:a:pull", false, &err),
                  1);
    ASSERT_OK(oci_auth_header(a, "repository:a:pull", &h, &err), err);
    ASSERT_STR_EQ(h, "Bearer AT");
    ASSERT_STR_EQ(f.last_url, "http://t/token");
    ASSERT_STR_EQ(f.last_form, "grant_type=refresh_token&refresh_token=REFRESH&client_id=cbuild&"
                               "service=s&scope=repository%3Aa%3Apull");
    oci_auth_free(a);
    fake_release(&f);
}

TEST(auth_insufficient_scope_widens_the_token_request)
{
    struct fake f = {.status = 200, .reply = "{\"token\":\"T\",\"expires_in\":300}"};
    cleanup_err struct cb_err *err = NULL;
    char *h = NULL;
    setenv("DOCKER_CONFIG", "nothing-here", 1);
    struct oci_auth *a = oci_auth_new("reg.example", "a", fake_http, &f);
    const char *ch = "Bearer realm=\"http://t/token\",service=\"s\"";

    ASSERT_INT_EQ(oci_auth_on_unauthorized(a, ch, "repository:a:pull", false, &err), 1);
    ASSERT_OK(oci_auth_header(a, "repository:a:pull", &h, &err), err);
    free(h);
    ASSERT_INT_EQ(
        oci_auth_on_unauthorized(a,
                                 "Bearer realm=\"http://t/token\",service=\"s\","
                                 "scope=\"repository:b:pull\",error=\"insufficient_scope\"",
                                 "repository:a:pull", true, &err),
        1);
    ASSERT_OK(oci_auth_header(a, "repository:a:pull", &h, &err), err);
    free(h);
    ASSERT_INT_EQ(f.calls, 2);
    ASSERT(strstr(f.last_url, "&scope=repository%3Aa%3Apull&scope=repository%3Ab%3Apull"));
    oci_auth_free(a);
    fake_release(&f);
}

TEST(auth_go_anonymous_drops_credentials_once)
{
    struct fake f = {.status = 200, .reply = "{\"token\":\"ANON\"}"};
    cleanup_err struct cb_err *err = NULL;
    cleanup_free char *h = NULL;
    setenv("DOCKER_CONFIG", "nothing-here", 1);
    struct oci_auth *a = oci_auth_new("public.ecr.aws", "x/y", fake_http, &f);
    oci_auth_set_creds(a, "AWS", "stale");
    ASSERT_INT_EQ(oci_auth_on_unauthorized(
                      a,
                      "Bearer realm=\"https://public.ecr.aws/token/\",service=\"public.ecr.aws\"",
                      "repository:x/y:pull", false, &err),
                  1);
    ASSERT_INT_EQ(oci_auth_go_anonymous(a), 1);
    ASSERT_INT_EQ(oci_auth_go_anonymous(a), 0);
    ASSERT(!oci_auth_has_creds(a));
    ASSERT_OK(oci_auth_header(a, "repository:x/y:pull", &h, &err), err);
    ASSERT_STR_EQ(h, "Bearer ANON");
    ASSERT(f.last_auth == NULL); /* the token was asked for anonymously */
    oci_auth_free(a);
    fake_release(&f);
}
