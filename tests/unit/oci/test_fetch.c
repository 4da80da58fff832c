/* oci/fetch.c tests against tests/helpers/httpserve.py (python3), started
 * per test on a free 127.0.0.1 port in the test's directory; the routes
 * file "routes.json" says what each path answers. */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "../../../oci/fetch.h"
#include "../../../base/buf.h"
#include "../../../base/cleanup.h"
#include "../../../base/xalloc.h"

extern char **environ;
static pid_t fetch_server_pid = -1;

static void fetch_stop_server(char **base)
{
    free(*base);
    if (fetch_server_pid > 0) {
        kill(fetch_server_pid, SIGTERM);
        waitpid(fetch_server_pid, NULL, 0);
        fetch_server_pid = -1;
    }
}
#define cleanup_server __attribute__((cleanup(fetch_stop_server)))

/* Start httpserve.py with routes (https when tls is set); returns
 * "http(s)://127.0.0.1:PORT" or NULL. */
static char *fetch_start_server_tls(const char *routes, bool tls)
{
    cleanup_free char *script = xasprintf("%s/tests/helpers/httpserve.py", t_srcdir());
    char *argv[] = {"python3",  script,        "--port-file", "port",     "--log",   "log",
                    "--routes", "routes.json", "--tls",       "cert.pem", "key.pem", NULL};
    posix_spawn_file_actions_t fa;
    int rc;

    if (!tls)
        argv[8] = NULL;
    t_write("routes.json", routes);
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "server.out", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    rc = posix_spawnp(&fetch_server_pid, "python3", &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0)
        return NULL;
    for (int i = 0; i < 400; i++) {
        char *port = t_read("port");
        if (port && *port) {
            port[strcspn(port, "\n")] = 0;
            char *base = xasprintf("%s://127.0.0.1:%s", tls ? "https" : "http", port);
            free(port);
            return base;
        }
        free(port);
        struct timespec ts = {0, 25 * 1000000L};
        nanosleep(&ts, NULL);
    }
    return NULL;
}

static char *fetch_start_server(const char *routes)
{
    return fetch_start_server_tls(routes, false);
}

static int fetch_buf_sink(void *ud, const void *data, size_t len, struct cb_err **err)
{
    return cb_buf_add(ud, data, len, err);
}

static int fetch_count(const char *text, const char *needle)
{
    int n = 0;
    for (const char *p = text; p && (p = strstr(p, needle)); p++)
        n++;
    return n;
}

/* Entries in the test directory whose name contains s. */
static int fetch_dir_count(const char *s)
{
    cleanup_dir DIR *d = opendir(".");
    struct dirent *e;
    int n = 0;
    while (d && (e = readdir(d)))
        n += strstr(e->d_name, s) != NULL;
    return n;
}

#define START(routes)                                                                              \
    cleanup_server char *base = fetch_start_server(routes);                                        \
    if (!base)                                                                                     \
        SKIP("httpserve.py did not start (python3?)");

TEST(fetch_200_body_digest_last_modified_user_agent)
{
    START("{\"/f/hello.txt\": [{\"body\": \"hello world\\n\", \"headers\": "
          "{\"Last-Modified\": \"Wed, 21 Oct 2015 07:28:00 GMT\"}}]}");
    cleanup_err struct cb_err *err = NULL;
    cleanup_buf struct cb_buf got;
    cleanup_free char *url = xasprintf("%s/f/hello.txt", base);
    struct oci_fetch_req req = {.url = url};
    struct oci_fetch_result res;
    struct oci_digest want;

    cb_buf_init(&got, 1 << 20);
    struct oci_sink s = {fetch_buf_sink, &got};
    ASSERT_OK(oci_fetch(&req, &s, &res, &err), err);
    ASSERT_STR_EQ(cb_buf_str(&got), "hello world\n");
    oci_digest_of("hello world\n", 12, &want);
    ASSERT(oci_digest_equal(&res.digest, &want));
    ASSERT_INT_EQ(res.size, 12);
    ASSERT_INT_EQ(res.last_modified, 1445412480);
    ASSERT_STR_EQ(res.filename, "hello.txt");
    ASSERT_STR_EQ(res.final_url, url);
    oci_fetch_result_release(&res);
    cleanup_free char *log = t_read("log");
    ASSERT(strstr(log, "GET /f/hello.txt User-Agent=cbuild/"));
    ASSERT(!strstr(log, "Authorization"));
}

TEST(fetch_no_last_modified_is_minus_one)
{
    START("{\"/x\": [{\"body\": \"x\"}]}");
    cleanup_err struct cb_err *err = NULL;
    cleanup_buf struct cb_buf got;
    cleanup_free char *url = xasprintf("%s/x", base);
    struct oci_fetch_req req = {.url = url};
    struct oci_fetch_result res;
    cb_buf_init(&got, 1 << 20);
    struct oci_sink s = {fetch_buf_sink, &got};
    ASSERT_OK(oci_fetch(&req, &s, &res, &err), err);
    ASSERT_INT_EQ(res.last_modified, -1);
    oci_fetch_result_release(&res);
}

TEST(fetch_follows_redirects_and_names_file_after_request_url)
{
    START("{\"/dl/latest\": [{\"status\": 302, \"headers\": {\"Location\": \"/r2\"}, "
          "\"body\": \"moved\"}],"
          " \"/r2\": [{\"status\": 301, \"headers\": {\"Location\": \"/files/app-1.2.tgz\"}}],"
          " \"/files/app-1.2.tgz\": [{\"body\": \"payload\"}]}");
    cleanup_err struct cb_err *err = NULL;
    cleanup_buf struct cb_buf got;
    cleanup_free char *url = xasprintf("%s/dl/latest", base);
    cleanup_free char *final = xasprintf("%s/files/app-1.2.tgz", base);
    struct oci_fetch_req req = {.url = url};
    struct oci_fetch_result res;
    cb_buf_init(&got, 1 << 20);
    struct oci_sink s = {fetch_buf_sink, &got};
    ASSERT_OK(oci_fetch(&req, &s, &res, &err), err);
    ASSERT_STR_EQ(cb_buf_str(&got), "payload");
    ASSERT_STR_EQ(res.final_url, final);
    ASSERT_STR_EQ(res.filename, "latest");
    oci_fetch_result_release(&res);
}

TEST(fetch_redirect_loop_is_bounded)
{
    START("{\"/loop\": [{\"status\": 302, \"headers\": {\"Location\": \"/loop\"}}]}");
    cleanup_err struct cb_err *err = NULL;
    cleanup_buf struct cb_buf got;
    cleanup_free char *url = xasprintf("%s/loop", base);
    struct oci_fetch_req req = {.url = url};
    struct oci_fetch_result res;
    cb_buf_init(&got, 1 << 20);
    struct oci_sink s = {fetch_buf_sink, &got};
    ASSERT_FAILS(oci_fetch(&req, &s, &res, &err), err, CB_ENET, "more than 10 redirects");
    cleanup_free char *log = t_read("log");
    ASSERT_INT_EQ(fetch_count(log, "GET /loop"), 11);
}

TEST(fetch_redirect_to_credentials_or_ftp_refused)
{
    START("{\"/a\": [{\"status\": 302, \"headers\": {\"Location\": "
          "\"http://user:secret@127.0.0.1:1/x\"}}],"
          " \"/b\": [{\"status\": 307, \"headers\": {\"Location\": \"ftp://127.0.0.1/x\"}}]}");
    cleanup_err struct cb_err *err = NULL;
    cleanup_buf struct cb_buf got;
    cleanup_free char *a = xasprintf("%s/a", base), *b = xasprintf("%s/b", base);
    struct oci_fetch_req req = {.url = a};
    struct oci_fetch_result res;
    cb_buf_init(&got, 1 << 20);
    struct oci_sink s = {fetch_buf_sink, &got};
    ASSERT_FAILS(oci_fetch(&req, &s, &res, &err), err, CB_EINVAL, "carries credentials");
    ASSERT(!strstr(err->msg, "secret"));
    req.url = b;
    ASSERT_FAILS(oci_fetch(&req, &s, &res, &err), err, CB_EINVAL, "only http and https");
}

TEST(fetch_404_names_status_and_server_text)
{
    START("{\"/missing.tar\": [{\"status\": 404, \"body\": \"\\n  no such file: missing.tar\\n"
          "second line\\n\"}]}");
    cleanup_err struct cb_err *err = NULL;
    cleanup_free char *url = xasprintf("%s/missing.tar", base);
    struct oci_fetch_req req = {.url = url, .retry_base_ms = 1};
    ASSERT_FAILS(oci_fetch_to_file(&req, "dl.bin", 0600, NULL, &err), err, CB_ENOTFOUND,
                 "HTTP 404 Not Found: no such file: missing.tar");
    ASSERT(strstr(err->msg, url));
    ASSERT(!strstr(err->msg, "second line"));
    ASSERT_INT_EQ(fetch_dir_count("dl.bin"), 0);
    cleanup_free char *log = t_read("log");
    ASSERT_INT_EQ(fetch_count(log, "GET /missing.tar"), 1); /* a 404 is not retried */
}

TEST(fetch_long_error_text_is_bounded)
{
    char body[2000];
    memset(body, 'e', sizeof(body) - 1);
    body[sizeof(body) - 1] = 0;
    cleanup_free char *routes =
        xasprintf("{\"/x\": [{\"status\": 403, \"reason\": \"Nope\", \"body\": \"%s\"}]}", body);
    START(routes);
    cleanup_err struct cb_err *err = NULL;
    cleanup_free char *url = xasprintf("%s/x", base);
    struct oci_fetch_req req = {.url = url};
    ASSERT_FAILS(oci_fetch_to_file(&req, "dl.bin", 0600, NULL, &err), err, CB_EAUTH,
                 "HTTP 403 Nope: eeee");
    ASSERT(strlen(err->msg) < 300 + strlen(url));
}

TEST(fetch_500_then_200_is_retried)
{
    START("{\"/flaky\": [{\"status\": 500, \"body\": \"boom\"}, {\"status\": 429}, "
          "{\"body\": \"finally\"}]}");
    cleanup_err struct cb_err *err = NULL;
    cleanup_buf struct cb_buf got;
    cleanup_free char *url = xasprintf("%s/flaky", base);
    struct oci_fetch_req req = {.url = url, .retries = 2, .retry_base_ms = 1};
    struct oci_fetch_result res;
    cb_buf_init(&got, 1 << 20);
    struct oci_sink s = {fetch_buf_sink, &got};
    ASSERT_OK(oci_fetch(&req, &s, &res, &err), err);
    ASSERT_STR_EQ(cb_buf_str(&got), "finally");
    oci_fetch_result_release(&res);
    cleanup_free char *log = t_read("log");
    ASSERT_INT_EQ(fetch_count(log, "GET /flaky"), 3);
}

TEST(fetch_retries_are_bounded)
{
    START("{\"/down\": [{\"status\": 503, \"body\": \"maintenance\"}]}");
    cleanup_err struct cb_err *err = NULL;
    cleanup_free char *url = xasprintf("%s/down", base);
    struct oci_fetch_req req = {.url = url, .retries = 2, .retry_base_ms = 1};
    ASSERT_FAILS(oci_fetch_to_file(&req, "dl.bin", 0600, NULL, &err), err, CB_EREGISTRY,
                 "HTTP 503 Service Unavailable: maintenance");
    cleanup_free char *log = t_read("log");
    ASSERT_INT_EQ(fetch_count(log, "GET /down"), 3);
    req.retries = -1;
    ASSERT_FAILS(oci_fetch_to_file(&req, "dl.bin", 0600, NULL, &err), err, CB_EREGISTRY, "503");
    free(log);
    log = t_read("log");
    ASSERT_INT_EQ(fetch_count(log, "GET /down"), 4);
}

TEST(fetch_connection_reset_is_retried)
{
    START("{\"/r\": [{\"reset\": true}, {\"body\": \"ok\"}]}");
    cleanup_err struct cb_err *err = NULL;
    cleanup_free char *url = xasprintf("%s/r", base);
    struct oci_fetch_req req = {.url = url, .retry_base_ms = 1};
    ASSERT_OK(oci_fetch_to_file(&req, "dl.bin", 0600, NULL, &err), err);
    cleanup_free char *out = t_read("dl.bin");
    ASSERT_STR_EQ(out, "ok");
}

TEST(fetch_cut_body_restarts_a_file_but_not_a_sink)
{
    START("{\"/cut\": [{\"body\": \"first-half\", \"short\": true}, {\"body\": \"whole\"}],"
          " \"/cut2\": [{\"body\": \"first-half\", \"short\": true}, {\"body\": \"whole\"}]}");
    cleanup_err struct cb_err *err = NULL;
    cleanup_buf struct cb_buf got;
    cleanup_free char *url = xasprintf("%s/cut", base), *url2 = xasprintf("%s/cut2", base);
    struct oci_fetch_req req = {.url = url, .retry_base_ms = 1};
    struct oci_fetch_result res;
    struct oci_digest want;

    /* The file starts over: its bytes and digest are the second answer's. */
    ASSERT_OK(oci_fetch_to_file(&req, "dl.bin", 0600, &res, &err), err);
    cleanup_free char *body = t_read("dl.bin");
    ASSERT_STR_EQ(body, "whole");
    oci_digest_of("whole", 5, &want);
    ASSERT(oci_digest_equal(&res.digest, &want));
    ASSERT_INT_EQ(res.size, 5);
    oci_fetch_result_release(&res);

    /* A sink cannot take bytes back: no retry, a network error. */
    cb_buf_init(&got, 1 << 20);
    struct oci_sink s = {fetch_buf_sink, &got};
    req.url = url2;
    ASSERT_FAILS(oci_fetch(&req, &s, &res, &err), err, CB_ENET, url2);
    cleanup_free char *log = t_read("log");
    ASSERT_INT_EQ(fetch_count(log, "GET /cut "), 2);
    ASSERT_INT_EQ(fetch_count(log, "GET /cut2 "), 1);
}

TEST(fetch_unreachable_is_net_error)
{
    /* A port nobody listens on: bind one, learn it, close it. */
    START("{}");
    cleanup_err struct cb_err *err = NULL;
    fetch_stop_server(&base);
    base = NULL;
    cleanup_free char *port = t_read("port");
    port[strcspn(port, "\n")] = 0;
    cleanup_free char *url = xasprintf("http://127.0.0.1:%s/x", port);
    struct oci_fetch_req req = {.url = url, .retries = 1, .retry_base_ms = 1};
    ASSERT_FAILS(oci_fetch_to_file(&req, "dl.bin", 0600, NULL, &err), err, CB_ENET, url);
    ASSERT_INT_EQ(fetch_dir_count("dl.bin"), 0);
}

TEST(fetch_checksum_match_writes_file_mode_and_mtime)
{
    START("{\"/a.txt\": [{\"body\": \"abc\", \"headers\": "
          "{\"Last-Modified\": \"Thu, 01 Jan 2004 00:00:10 GMT\"}}]}");
    cleanup_err struct cb_err *err = NULL;
    cleanup_free char *url = xasprintf("%s/a.txt", base);
    struct oci_digest sum;
    struct oci_fetch_result res;
    struct stat st;
    oci_digest_of("abc", 3, &sum);
    struct oci_fetch_req req = {.url = url, .checksum = &sum};
    ASSERT_OK(oci_fetch_to_file(&req, "dest", 0600, &res, &err), err);
    ASSERT_INT_EQ(stat("dest", &st), 0);
    ASSERT_INT_EQ(st.st_mode & 07777, 0600);
    ASSERT_INT_EQ(st.st_mtime, 1072915210);
    ASSERT_INT_EQ(st.st_size, 3);
    ASSERT_INT_EQ(res.last_modified, 1072915210);
    ASSERT_STR_EQ(res.filename, "a.txt");
    oci_fetch_result_release(&res);
    ASSERT_INT_EQ(fetch_dir_count("cbuild-fetch"), 0);
}

TEST(fetch_checksum_mismatch_writes_nothing)
{
    START("{\"/a.txt\": [{\"body\": \"abc\"}]}");
    cleanup_err struct cb_err *err = NULL;
    cleanup_free char *url = xasprintf("%s/a.txt", base);
    struct oci_digest sum, got;
    char want_s[OCI_DIGEST_STR_MAX], got_s[OCI_DIGEST_STR_MAX];
    oci_digest_of("abd", 3, &sum);
    oci_digest_of("abc", 3, &got);
    struct oci_fetch_req req = {.url = url, .checksum = &sum};
    t_write("dest", "old contents");
    ASSERT_FAILS(oci_fetch_to_file(&req, "dest", 0600, NULL, &err), err, CB_EDIGEST,
                 "does not match");
    cleanup_free char *expect =
        xasprintf("checksum of '%s' does not match: expected %s, got %s", url,
                  oci_digest_fmt(&sum, want_s), oci_digest_fmt(&got, got_s));
    ASSERT_STR_EQ(err->msg, expect);
    cleanup_free char *old = t_read("dest");
    ASSERT_STR_EQ(old, "old contents");
    ASSERT_INT_EQ(fetch_dir_count("cbuild-fetch"), 0);
}

static const char *fetch_name_for(const char *base, const char *disposition, struct t_ctx *t_,
                                  char **out)
{
    cleanup_err struct cb_err *err = NULL;
    cleanup_free char *routes = xasprintf(
        "{\"/dl/file.bin\": [{\"body\": \"z\", \"headers\": {\"Content-Disposition\": \"%s\"}}]}",
        disposition);
    cleanup_free char *url = xasprintf("%s/dl/file.bin", base);
    struct oci_fetch_req req = {.url = url};
    struct oci_fetch_result res;
    t_write("routes.json", routes);
    if (oci_fetch_to_file(&req, "dl.bin", 0600, &res, &err) < 0) {
        t_fail(t_, __FILE__, __LINE__, "fetch: %s", err->msg);
        return NULL;
    }
    *out = TAKE_PTR(res.filename);
    oci_fetch_result_release(&res);
    return *out;
}

TEST(fetch_filename_from_content_disposition)
{
    START("{}");
    static const char *const cases[][2] = {
        {"attachment; filename=\\\"report v2.pdf\\\"", "report v2.pdf"},
        {"attachment; filename=plain.txt", "plain.txt"},
        {"attachment; filename=\\\"x.txt\\\"; filename*=UTF-8''na%C3%AFve%20y.txt",
         "na\xc3\xafve y.txt"},
        {"attachment; filename=\\\"../../etc/passwd\\\"", "passwd"},
        {"attachment; filename=\\\"..\\\"", "file.bin"},
        {"attachment; filename*=UTF-8''a%00b", "file.bin"},
        {"inline", "file.bin"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        cleanup_free char *name = NULL;
        fetch_name_for(base, cases[i][0], t_, &name);
        if (t_->failed)
            return;
        ASSERT_STR_EQ(name, cases[i][1]);
    }
}

TEST(fetch_url_filename)
{
    cleanup_err struct cb_err *err = NULL;
    static const char *const cases[][2] = {
        {"http://h/a/b%20c.tar.gz?x=1#frag", "b c.tar.gz"},
        {"https://h:8443/x", "x"},
        {"http://h/", "__unnamed__"},
        {"http://h", "__unnamed__"},
        {"http://h/dir/", "__unnamed__"},
        {"http://h/a/..", "__unnamed__"},
        {"http://h/a%2Fb", "b"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        cleanup_free char *name = oci_fetch_url_filename(cases[i][0], &err);
        ASSERT(name);
        ASSERT_STR_EQ(name, cases[i][1]);
    }
    ASSERT(!oci_fetch_url_filename("ftp://h/x", &err));
    ASSERT_INT_EQ(err->code, CB_EINVAL);
    ASSERT(!oci_fetch_url_filename("http://me:pw@h/x", &err));
    ASSERT(strstr(err->msg, "carries credentials") && !strstr(err->msg, "pw"));
    ASSERT(!oci_fetch_url_filename("not a url", &err));
}

static volatile sig_atomic_t fetch_cancel_flag;

static int fetch_cancel_sink(void *ud, const void *data, size_t len, struct cb_err **err)
{
    fetch_cancel_flag = 1; /* as if SIGINT arrived after the first bytes */
    return cb_buf_add(ud, data, len, err);
}

TEST(fetch_cancel_flag_stops_transfer)
{
    START("{\"/slow\": [{\"body\": \"0123456789abcdefghij\", \"chunks\": 20, \"delay\": 0.1}]}");
    cleanup_err struct cb_err *err = NULL;
    cleanup_buf struct cb_buf got;
    cleanup_free char *url = xasprintf("%s/slow", base);
    struct oci_fetch_req req = {.url = url, .cancel = &fetch_cancel_flag};
    struct oci_fetch_result res;
    struct timespec t0, t1;
    cb_buf_init(&got, 1 << 20);
    struct oci_sink s = {fetch_cancel_sink, &got};
    fetch_cancel_flag = 0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    ASSERT_FAILS(oci_fetch(&req, &s, &res, &err), err, CB_EINTR, "cancelled");
    clock_gettime(CLOCK_MONOTONIC, &t1);
    ASSERT(got.len < 20);
    ASSERT(t1.tv_sec - t0.tv_sec < 2); /* the whole body would take 2 s */
    /* Already cancelled: nothing is requested, nothing written. */
    ASSERT_FAILS(oci_fetch_to_file(&req, "dl.bin", 0600, NULL, &err), err, CB_EINTR, "cancelled");
    ASSERT_INT_EQ(fetch_dir_count("dl.bin"), 0);
}

TEST(fetch_max_bytes_and_progress)
{
    START("{\"/big\": [{\"body\": \"0123456789\"}]}");
    cleanup_err struct cb_err *err = NULL;
    cleanup_free char *url = xasprintf("%s/big", base);
    struct oci_fetch_req req = {.url = url, .max_bytes = 9};
    ASSERT_FAILS(oci_fetch_to_file(&req, "dl.bin", 0600, NULL, &err), err, CB_EIO,
                 "larger than the limit of 9 bytes");
    ASSERT_INT_EQ(fetch_dir_count("dl.bin"), 0);
    req.max_bytes = 10;
    ASSERT_OK(oci_fetch_to_file(&req, "dl.bin", 0600, NULL, &err), err);
}

struct fetch_seen {
    int events;
    int64_t last, total;
    int step;
};

static void fetch_on_progress(void *ud, const struct cb_progress_event *ev)
{
    struct fetch_seen *s = ud;
    if (ev->kind != CB_PROGRESS_BYTES)
        return;
    s->events++;
    s->last = ev->current;
    s->total = ev->total;
    s->step = ev->step;
}

TEST(fetch_reports_bytes_progress)
{
    START("{\"/p\": [{\"body\": \"0123456789\", \"chunks\": 2, \"delay\": 0.05}]}");
    cleanup_err struct cb_err *err = NULL;
    cleanup_free char *url = xasprintf("%s/p", base);
    struct fetch_seen seen = {0};
    struct cb_progress p = {fetch_on_progress, &seen};
    struct oci_fetch_req req = {.url = url, .progress = &p, .progress_step = 7};
    ASSERT_OK(oci_fetch_to_file(&req, "dl.bin", 0600, NULL, &err), err);
    ASSERT(seen.events >= 1);
    ASSERT_INT_EQ(seen.last, 10);
    ASSERT_INT_EQ(seen.total, 10);
    ASSERT_INT_EQ(seen.step, 7);
}

/* A self-signed certificate for 127.0.0.1 (openssl req), or false. */
static bool fetch_make_cert(void)
{
    char *argv[] = {
        "openssl", "req",     "-x509", "-newkey",       "rsa:2048", "-nodes",
        "-days",   "2",       "-subj", "/CN=127.0.0.1", "-addext",  "subjectAltName=IP:127.0.0.1",
        "-keyout", "key.pem", "-out",  "cert.pem",      NULL};
    posix_spawn_file_actions_t fa;
    pid_t pid;
    int status = -1;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 2, "openssl.out", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (posix_spawnp(&pid, "openssl", &fa, NULL, argv, environ) == 0)
        waitpid(pid, &status, 0);
    posix_spawn_file_actions_destroy(&fa);
    return status == 0;
}

TEST(fetch_https_needs_trusted_ca_certs_d_or_insecure)
{
    if (!fetch_make_cert())
        SKIP("openssl could not make a certificate");
    cleanup_server char *base =
        fetch_start_server_tls("{\"/s.txt\": [{\"body\": \"secure\"}]}", true);
    if (!base)
        SKIP("httpserve.py did not start (python3?)");
    cleanup_err struct cb_err *err = NULL;
    cleanup_free char *url = xasprintf("%s/s.txt", base);
    cleanup_free char *port = t_read("port");
    struct oci_fetch_req req = {.url = url, .retries = -1};

    port[strcspn(port, "\n")] = 0;
    setenv("CBUILD_CERTS_D", "certs.d", 1);
    ASSERT_FAILS(oci_fetch_to_file(&req, "dl.bin", 0600, NULL, &err), err, CB_ENET,
                 "SSL certificate problem: self-signed certificate (a private CA goes in "
                 "$CBUILD_CERTS_D/HOST:PORT/ca.crt)");
    ASSERT_INT_EQ(fetch_dir_count("dl.bin"), 0);

    cleanup_free char *ca = t_read("cert.pem");
    cleanup_free char *ca_path = xasprintf("certs.d/127.0.0.1:%s/ca.crt", port);
    t_write(ca_path, ca);
    ASSERT_OK(oci_fetch_to_file(&req, "dl.bin", 0600, NULL, &err), err);
    cleanup_free char *got = t_read("dl.bin");
    ASSERT_STR_EQ(got, "secure");

    setenv("CBUILD_CERTS_D", "elsewhere", 1);
    unlink("dl.bin");
    req.insecure = true;
    ASSERT_OK(oci_fetch_to_file(&req, "dl.bin", 0600, NULL, &err), err);
}
