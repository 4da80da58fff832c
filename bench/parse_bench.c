/* parse_bench.c - how long the frontend takes on a 5,000-line Dockerfile.
 *
 *   parse_bench [LINES] [RUNS]
 *
 * Generates a Dockerfile of LINES lines (default 5000) mixing every
 * instruction, continuation lines, comments, heredocs and JSON forms, then
 * times RUNS (default 20) rounds of: parse (text -> AST), typed
 * instructions and stages, and ARG/ENV expansion.  Prints the best and the
 * median round in milliseconds. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../base/buf.h"
#include "../builder/dockerfile/stages.h"
#include "../base/banned.h"

static const char *const chunk[] = {
    "# a comment line\n",
    "ARG VERSION=1.2.3\n",
    "ENV PATH=/usr/local/bin:$PATH LANG=C.UTF-8\n",
    "RUN apt-get update && \\\n    apt-get install -y curl git && \\\n    rm -rf "
    "/var/lib/apt/lists/*\n",
    "COPY --chown=1000:1000 --chmod=755 src/ /app/src/\n",
    "ADD --checksum=sha256:0123 https://example.com/x-${VERSION}.tar.gz /tmp/\n",
    "RUN --mount=type=cache,target=/root/.cache,sharing=locked make -j8\n",
    "LABEL org.opencontainers.image.version=\"$VERSION\" maintainer=\"someone\"\n",
    "WORKDIR /app/${VERSION}\n",
    "EXPOSE 8080/tcp 9000-9002/udp\n",
    "CMD [\"/app/server\", \"--port\", \"8080\"]\n",
    "HEALTHCHECK --interval=30s --timeout=3s CMD curl -f http://localhost/ || exit 1\n",
    "RUN <<EOF\nset -e\necho building ${VERSION}\nEOF\n",
    "USER app:app\n",
    "VOLUME [\"/data\"]\n",
};

static char *generate(int lines, size_t *len)
{
    struct cb_buf b;
    cb_buf_init(&b, CB_BUF_LIMIT_DEFAULT);
    int n = 0, stage = 0;
    while (n < lines) {
        if (n % 500 == 0) {
            cb_buf_addf(&b, NULL, "FROM debian:bookworm AS stage%d\n", stage++);
            n++;
            continue;
        }
        const char *c = chunk[(size_t)n % (sizeof(chunk) / sizeof(chunk[0]))];
        cb_buf_adds(&b, c, NULL);
        for (const char *p = c; *p; p++)
            n += *p == '\n';
    }
    return cb_buf_detach(&b, len);
}

static double now_ms(clockid_t clk)
{
    struct timespec ts;
    clock_gettime(clk, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    int lines = argc > 1 ? (int)strtol(argv[1], NULL, 10) : 5000;
    int runs = argc > 2 ? (int)strtol(argv[2], NULL, 10) : 20;
    if (lines <= 0 || runs <= 0)
        return 2;
    size_t len;
    char *text = generate(lines, &len);
    double *t = calloc((size_t)runs, sizeof(*t)), *c = calloc((size_t)runs, sizeof(*c));
    size_t ninstr = 0;
    for (int r = 0; r < runs; r++) {
        struct cb_err *err = NULL;
        double t0 = now_ms(CLOCK_MONOTONIC), c0 = now_ms(CLOCK_PROCESS_CPUTIME_ID);
        struct bld_dockerfile *df = bld_dockerfile_parse(text, len, &err);
        if (!df || bld_stages_expand(df, NULL, NULL, &err) < 0) {
            fprintf(stderr, "parse_bench: %s\n", err ? err->msg : "?");
            return 1;
        }
        t[r] = now_ms(CLOCK_MONOTONIC) - t0;
        c[r] = now_ms(CLOCK_PROCESS_CPUTIME_ID) - c0;
        ninstr = df->ast->n;
        bld_dockerfile_free(df);
    }
    qsort(t, (size_t)runs, sizeof(*t), cmp);
    qsort(c, (size_t)runs, sizeof(*c), cmp);
    printf("parse_bench: %d lines, %zu bytes, %zu instructions, %d runs "
           "(parse + instructions + stages + expansion)\n"
           "  wall: best %.2f ms, median %.2f ms\n"
           "  cpu:  best %.2f ms, median %.2f ms\n",
           lines, len, ninstr, runs, t[0], t[runs / 2], c[0], c[runs / 2]);
    free(t);
    free(c);
    free(text);
    return 0;
}
