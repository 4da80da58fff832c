/* Registry client tests against tests/helpers/faultreg.py (python3),
 * started per test on a free port in the test's directory. */
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>

#include "harness.h"
#include "../../../oci/registry.h"
#include "../../../oci/registry_internal.h"
#include "../../../base/cleanup.h"
#include "../../../base/xalloc.h"

extern char **environ;
static pid_t server_pid = -1;

/* The harness ends a test with _exit: a server is stopped by this cleanup
 * on the host variable, whichever way the test returns. */
static void stop_server(char **host)
{
    free(*host);
    if (server_pid > 0) {
        kill(server_pid, SIGTERM);
        waitpid(server_pid, NULL, 0);
        server_pid = -1;
    }
}
#define cleanup_server __attribute__((cleanup(stop_server)))

/* Start faultreg with extra args; returns "127.0.0.1:PORT" or NULL. */
static char *start_server(const char *extra)
{
    cleanup_free char *script = xasprintf("%s/tests/helpers/faultreg.py", t_srcdir());
    char *argv[] = {"python3", script,    "--port-file", "port",        "--log",
                    "log",     "--rules", "rules.json",  (char *)extra, NULL};
    if (!extra)
        argv[8] = NULL;
    posix_spawn_file_actions_t fa;
    int rc;

    t_write("rules.json", "[]");
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "server.out", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    rc = posix_spawnp(&server_pid, "python3", &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0)
        return NULL;
    for (int i = 0; i < 200; i++) {
        char *port = t_read("port");
        if (port && *port) {
            port[strcspn(port, "\n")] = 0;
            char *host = xasprintf("127.0.0.1:%s", port);
            free(port);
            return host;
        }
        free(port);
        struct timespec ts = {0, 25 * 1000000L};
        nanosleep(&ts, NULL);
    }
    return NULL;
}

static int buf_sink(void *ud, const void *data, size_t len, struct cb_err **err)
{
    return cb_buf_add(ud, data, len, err);
}

static struct oci_registry *client(const char *host, const char *repo, size_t chunk)
{
    struct oci_registry_opts o = {
        .tls_verify_off = true, .retries = 2, .retry_base_ms = 1, .chunk_size = chunk};
    setenv("DOCKER_CONFIG", "nocfg", 1);
    return oci_registry_new(host, repo, &o, NULL);
}

/* Push data as a blob through a file. */
static int push_data(struct oci_registry *r, const char *data, struct oci_digest *d,
                     struct cb_err **err)
{
    t_write("blob", data);
    cleanup_close int fd = open("blob", O_RDONLY | O_CLOEXEC);
    int64_t sent = 0;
    oci_digest_of(data, strlen(data), d);
    int rc = oci_registry_push_blob(r, d, (int64_t)strlen(data), fd, &sent, err);
    return rc < 0 ? rc : (int)sent;
}

TEST(registry_resolve_locations)
{
    cleanup_free char *a =
        reg_resolve("http://h:1/v2/r/blobs/uploads/", "/v2/r/blobs/uploads/u?x=1");
    cleanup_free char *b =
        reg_resolve("http://h:1/v2/r/blobs/uploads/", "https://s3.example/b?sig=2");
    cleanup_free char *c = reg_resolve("http://h:1/v2/r/blobs/uploads/", "u2");
    ASSERT_STR_EQ(a, "http://h:1/v2/r/blobs/uploads/u?x=1");
    ASSERT_STR_EQ(b, "https://s3.example/b?sig=2");
    ASSERT_STR_EQ(c, "http://h:1/v2/r/blobs/uploads/u2");
}

TEST(registry_blob_round_trip_and_exists)
{
    cleanup_server char *host = start_server(NULL);
    cleanup_err struct cb_err *err = NULL;
    cleanup_buf struct cb_buf got = {0};
    struct oci_digest d;
    bool exists = true;
    if (!host)
        SKIP("faultreg.py did not start (python3?)");
    cleanup_registry struct oci_registry *r = client(host, "t/blobs", 0);
    oci_registry_want_push(r);
    oci_digest_of("hello registry", 14, &d);
    ASSERT_OK(oci_registry_blob_exists(r, &d, &exists, &err), err);
    ASSERT(!exists);
    ASSERT_INT_EQ(push_data(r, "hello registry", &d, &err), 14);
    ASSERT_OK(oci_registry_blob_exists(r, &d, &exists, &err), err);
    ASSERT(exists);
    cb_buf_init(&got, 1 << 20);
    struct oci_sink s = {buf_sink, &got};
    ASSERT_OK(oci_registry_get_blob(r, &d, 14, &s, &err), err);
    ASSERT_STR_EQ(cb_buf_str(&got), "hello registry");
}

TEST(registry_chunked_upload_and_mount)
{
    cleanup_server char *host = start_server("--chunk-min=4");
    cleanup_err struct cb_err *err = NULL;
    struct oci_digest d;
    bool mounted = false, exists = false;
    if (!host)
        SKIP("faultreg.py did not start (python3?)");
    cleanup_registry struct oci_registry *r = client(host, "t/chunks", 3);
    oci_registry_want_push(r);
    ASSERT_INT_EQ(push_data(r, "0123456789abcdef", &d, &err), 16);
    cleanup_free char *log = t_read("log");
    int patches = 0;
    for (char *p = log; (p = strstr(p, "\"PATCH\"")); p++)
        patches++;
    ASSERT_INT_EQ(patches, 4); /* 16 bytes in chunks of max(3, min 4) */
    cleanup_registry struct oci_registry *r2 = client(host, "t/other", 0);
    oci_registry_want_push(r2);
    oci_registry_add_scope_repo(r2, "t/chunks");
    ASSERT_OK(oci_registry_mount_blob(r2, &d, "t/nothere", &mounted, &err), err);
    ASSERT(!mounted);
    ASSERT_OK(oci_registry_mount_blob(r2, &d, "t/chunks", &mounted, &err), err);
    ASSERT(mounted);
    ASSERT_OK(oci_registry_blob_exists(r2, &d, &exists, &err), err);
    ASSERT(exists);
}

TEST(registry_manifest_put_get_head)
{
    cleanup_server char *host = start_server(NULL);
    cleanup_err struct cb_err *err = NULL;
    const char *m =
        "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\"}";
    struct oci_remote_doc doc;
    struct oci_digest want, head;
    char ds[OCI_DIGEST_STR_MAX];
    bool exists = false;
    if (!host)
        SKIP("faultreg.py did not start (python3?)");
    cleanup_registry struct oci_registry *r = client(host, "t/m", 0);
    oci_registry_want_push(r);
    ASSERT_OK(oci_registry_put_manifest(r, "v1", "application/vnd.oci.image.manifest.v1+json", m,
                                        strlen(m), &err),
              err);
    ASSERT_OK(oci_registry_get_manifest(r, "v1", &doc, &err), err);
    oci_digest_of(m, strlen(m), &want);
    ASSERT(oci_digest_equal(&doc.digest, &want));
    ASSERT_STR_EQ(doc.media_type, "application/vnd.oci.image.manifest.v1+json");
    ASSERT_INT_EQ(doc.body.len, strlen(m));
    oci_remote_doc_release(&doc);
    ASSERT_OK(oci_registry_head_manifest(r, oci_digest_fmt(&want, ds), &exists, &head, &err), err);
    ASSERT(exists && oci_digest_equal(&head, &want));
    ASSERT_FAILS(oci_registry_get_manifest(r, "nope", &doc, &err), err, CB_ENOTFOUND,
                 "HTTP 404 not found: MANIFEST_UNKNOWN: manifest unknown");
}

TEST(registry_digest_mismatch_and_retry_exhaustion)
{
    cleanup_server char *host = start_server(NULL);
    cleanup_err struct cb_err *err = NULL;
    cleanup_buf struct cb_buf got = {0};
    struct oci_digest d;
    if (!host)
        SKIP("faultreg.py did not start (python3?)");
    cleanup_registry struct oci_registry *r = client(host, "t/bad", 0);
    oci_registry_want_push(r);
    ASSERT_INT_EQ(push_data(r, "some content", &d, &err), 12);
    t_write("rules.json", "[{\"id\":\"c\",\"method\":\"GET\",\"path\":\"/blobs/"
                          "\",\"action\":\"corrupt\",\"times\":-1}]");
    cb_buf_init(&got, 1 << 20);
    struct oci_sink s = {buf_sink, &got};
    ASSERT_FAILS(oci_registry_get_blob(r, &d, 12, &s, &err), err, CB_EDIGEST, "content has digest");
    cb_err_free(err);
    err = NULL;
    t_write("rules.json", "[{\"id\":\"s\",\"method\":\"GET\",\"path\":\"/blobs/"
                          "\",\"action\":\"status\",\"status\":502,\"times\":-1}]");
    cb_buf_reset(&got);
    ASSERT_FAILS(oci_registry_get_blob(r, &d, 12, &s, &err), err, CB_EREGISTRY, "HTTP 502");
    cleanup_free char *log = t_read("log");
    int n502 = 0;
    for (char *p = log; (p = strstr(p, "\"status\": 502")); p++)
        n502++;
    ASSERT_INT_EQ(n502, 3); /* the try and 2 retries */
}

TEST(registry_not_tls_needs_tls_verify_false)
{
    cleanup_server char *host = start_server(NULL);
    cleanup_err struct cb_err *err = NULL;
    struct oci_registry_opts o = {.retries = 0};
    if (!host)
        SKIP("faultreg.py did not start (python3?)");
    cleanup_registry struct oci_registry *r = oci_registry_new(host, "t/x", &o, &err);
    ASSERT_FAILS(oci_registry_ping(r, &err), err, CB_ENET, "https://");
}
