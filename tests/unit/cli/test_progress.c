#include <stdlib.h>

#include "harness.h"
#include "../../../cli/progress.h"
#include "../../../base/json.h"

static char *render(enum cli_progress_mode mode)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    struct cli_progress *p = cli_progress_new(mode, f);
    struct cb_progress sink = cli_progress_sink(p);

    cb_progress_step(&sink, CB_PROGRESS_START, 1, "[builder 1/2] RUN make", NULL);
    cb_progress_log(&sink, 1, 1, "hello\nwor", 9);
    cb_progress_step(&sink, CB_PROGRESS_START, 2, "[stage-1 1/1] COPY a b", NULL);
    cb_progress_step(&sink, CB_PROGRESS_CACHED, 2, NULL, NULL);
    cb_progress_log(&sink, 1, 2, "ld\n", 3);
    cb_progress_step(&sink, CB_PROGRESS_DONE, 1, NULL, NULL);
    cb_progress_step(&sink, CB_PROGRESS_START, 3, "[builder 2/2] RUN false", NULL);
    cb_progress_step(&sink, CB_PROGRESS_ERROR, 3, NULL, "exit code: 1");
    cli_progress_finish(p, "summary line\n");
    cli_progress_free(p);
    fclose(f);
    return buf;
}

/* Drop the timing numbers so the text can be compared exactly. */
static void strip_times(char *s)
{
    char *w = s;
    for (char *r = s; *r;) {
        if ((*r >= '0' && *r <= '9') && r > s && (r[-1] == ' ') && strchr(r, '.') &&
            (r[1] == '.' || (r[1] >= '0' && r[1] <= '9'))) {
            char *e = r;
            while ((*e >= '0' && *e <= '9') || *e == '.')
                e++;
            if (*e == 's' || *e == ' ') {
                *w++ = 'T';
                r = e;
                continue;
            }
        }
        *w++ = *r++;
    }
    *w = '\0';
}

TEST(progress_plain_is_buildkit_like)
{
    char *out = render(CLI_PROGRESS_PLAIN);
    strip_times(out);
    ASSERT_STR_EQ(out, "#1 [builder 1/2] RUN make\n"
                       "#1 T hello\n"
                       "\n"
                       "#2 [stage-1 1/1] COPY a b\n"
                       "#2 CACHED\n"
                       "\n"
                       "#1 [builder 1/2] RUN make\n"
                       "#1 T world\n"
                       "#1 DONE Ts\n"
                       "\n"
                       "#3 [builder 2/2] RUN false\n"
                       "#3 ERROR: exit code: 1\n"
                       "\n"
                       "summary line\n");
    free(out);
}

TEST(progress_quiet_prints_nothing)
{
    char *out = render(CLI_PROGRESS_QUIET);
    ASSERT_STR_EQ(out, "");
    free(out);
}

TEST(progress_rawjson_one_object_per_line)
{
    char *out = render(CLI_PROGRESS_RAWJSON);
    int lines = 0, vertexes = 0, logs = 0;
    for (char *line = out, *nl; (nl = strchr(line, '\n')); line = nl + 1) {
        json_t *j;
        *nl = '\0';
        j = cb_json_parse(line, strlen(line), "event", NULL);
        ASSERT(j != NULL);
        lines++;
        vertexes += json_object_get(j, "vertexes") != NULL;
        logs += json_object_get(j, "logs") != NULL;
        if (strstr(line, "\"error\""))
            ASSERT(strstr(line, "\"error\":\"exit code: 1\"") != NULL);
        if (strstr(line, "\"cached\""))
            ASSERT(strstr(line, "\"vertex\":2") != NULL);
        json_decref(j);
    }
    ASSERT_INT_EQ(lines, 8);
    ASSERT_INT_EQ(vertexes, 6);
    ASSERT_INT_EQ(logs, 2);
    free(out);
}

TEST(progress_mode_names)
{
    ASSERT_INT_EQ(cli_progress_mode_parse("plain"), CLI_PROGRESS_PLAIN);
    ASSERT_INT_EQ(cli_progress_mode_parse("rawjson"), CLI_PROGRESS_RAWJSON);
    ASSERT_INT_EQ(cli_progress_mode_parse("fancy"), -1);
}

TEST(progress_tty_collapses_and_shows_marks)
{
    char *out = render(CLI_PROGRESS_TTY);
    ASSERT(strstr(out, "FINISHED") != NULL);
    ASSERT(strstr(out, "COPY a b CACHED") != NULL);
    ASSERT(strstr(out, "RUN false ERROR") != NULL);
    free(out);
}
