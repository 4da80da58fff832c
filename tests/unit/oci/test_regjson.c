#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "../../../oci/regjson.h"
#include "../../../base/cleanup.h"

TEST(regjson_errors_one_line)
{
    const char *b =
        "{\"errors\":[{\"code\":\"NAME_UNKNOWN\",\"message\":\"repository name not known\","
        "\"detail\":{\"name\":\"x\"}},{\"code\":\"DENIED\",\"message\":\"no\"}]}";
    cleanup_free char *code = NULL;
    cleanup_free char *s = oci_regjson_errors(b, strlen(b), &code);
    ASSERT_STR_EQ(s, "NAME_UNKNOWN: repository name not known ({\"name\":\"x\"}); DENIED: no");
    ASSERT_STR_EQ(code, "NAME_UNKNOWN");
}

TEST(regjson_errors_not_a_distribution_body)
{
    char *code = (char *)"x";
    ASSERT(oci_regjson_errors("Not Authorized", 14, &code) == NULL);
    ASSERT(code == NULL);
    ASSERT(oci_regjson_errors("{\"errors\":[]}", 13, NULL) == NULL);
    ASSERT(oci_regjson_errors(NULL, 0, NULL) == NULL);
}

TEST(regjson_token_either_field)
{
#define T1 "{\"access_token\":\"A\",\"expires_in\":60,\"refresh_token\":\"R\"}"
    cleanup_err struct cb_err *err = NULL;
    cleanup_free char *t = NULL, *r = NULL;
    long exp = -1;
    ASSERT_OK(oci_regjson_token(T1, strlen(T1), &t, &exp, &r, &err), err);
    ASSERT_STR_EQ(t, "A");
    ASSERT_STR_EQ(r, "R");
    ASSERT_INT_EQ(exp, 60);
    free(t);
    t = NULL;
    ASSERT_OK(oci_regjson_token("{\"token\":\"B\"}", 13, &t, &exp, NULL, &err), err);
    ASSERT_STR_EQ(t, "B");
    ASSERT_INT_EQ(exp, 0);
    ASSERT_FAILS(oci_regjson_token("{\"x\":1}", 7, &t, &exp, NULL, &err), err, CB_EAUTH, "neither");
}

TEST(regjson_authfile_edit_keeps_unknown_fields)
{
    cleanup_err struct cb_err *err = NULL;
    struct oci_authfile_entry e;
    t_write("c.json", "{\"credsStore\":\"\",\"auths\":{\"a\":{\"auth\":\"eDp5\"}},\"x\":[1]}");
    struct oci_authfile *f = oci_authfile_load("c.json", &err);
    ASSERT(f != NULL);
    ASSERT(oci_authfile_exists(f));
    ASSERT(oci_authfile_creds_store(f) == NULL); /* empty means none */
    ASSERT(oci_authfile_get(f, "a", &e));
    ASSERT_STR_EQ(e.auth, "eDp5");
    oci_authfile_set(f, "b", "YjpD");
    ASSERT(oci_authfile_remove(f, "a"));
    ASSERT(!oci_authfile_remove(f, "a"));
    ASSERT_OK(oci_authfile_save(f, "out/c.json", &err), err);
    oci_authfile_free(f);
    cleanup_free char *text = t_read("out/c.json");
    ASSERT(strstr(text, "\"x\": [") && strstr(text, "\"b\": {") && !strstr(text, "\"a\": {"));
}

TEST(regjson_authfile_missing_and_malformed)
{
    cleanup_err struct cb_err *err = NULL;
    struct oci_authfile *f = oci_authfile_load("nope.json", &err);
    ASSERT(f && !oci_authfile_exists(f));
    oci_authfile_free(f);
    t_write("bad.json", "{\"auths\":");
    ASSERT(oci_authfile_load("bad.json", &err) == NULL);
    ASSERT(err && err->code == CB_EINVAL && strstr(err->msg, "bad.json"));
}

TEST(regjson_helper_messages)
{
#define J1 "{\"Username\":\"AWS\",\"Secret\":\"x\"}"
    cleanup_err struct cb_err *err = NULL;
    cleanup_free char *u = NULL, *s = NULL;
    cleanup_free char *in = oci_regjson_helper_input("h", "u\"", "p");
    ASSERT_STR_EQ(in, "{\"ServerURL\":\"h\",\"Username\":\"u\\\"\",\"Secret\":\"p\"}");
    ASSERT_OK(oci_regjson_helper_parse(J1, strlen(J1), &u, &s, &err), err);
    ASSERT_STR_EQ(u, "AWS");
    ASSERT_STR_EQ(s, "x");
}
