/* progress.h - renders build progress events (base/progress.h) on a terminal
 * or a log: tty (a live view that collapses when done), plain (BuildKit's
 * "#N" lines), rawjson (one JSON event per line) or quiet. */
#ifndef CBUILD_CLI_PROGRESS_H
#define CBUILD_CLI_PROGRESS_H

#include <stdio.h>

#include "../base/error.h"
#include "../base/progress.h"

enum cli_progress_mode {
    CLI_PROGRESS_AUTO,
    CLI_PROGRESS_TTY,
    CLI_PROGRESS_PLAIN,
    CLI_PROGRESS_QUIET,
    CLI_PROGRESS_RAWJSON,
};

struct cli_progress;

/* Parse "auto|tty|plain|quiet|rawjson"; -1 when unknown. */
int cli_progress_mode_parse(const char *s);

/* out is usually stderr.  AUTO picks tty when out is a terminal and CI is
 * not set, plain otherwise. */
struct cli_progress *cli_progress_new(enum cli_progress_mode mode, FILE *out);
/* The sink to hand to the builder. */
struct cb_progress cli_progress_sink(struct cli_progress *p);
/* Stop the live view (printing the final state) and print summary lines. */
void cli_progress_finish(struct cli_progress *p, const char *summary);
void cli_progress_free(struct cli_progress *p);
/* The mode in effect after AUTO was resolved. */
enum cli_progress_mode cli_progress_mode(const struct cli_progress *p);

/* rawjson encoding of one event (cli/progress_json.c), written as one line. */
void cli_progress_json_write(FILE *out, const struct cb_progress_event *ev, double now,
                             double started);

/* The final rawjson line of a failed run: {"error":{"message","category",
 * "exit"}}, so tools can tell auth and registry failures from failed steps. */
void cli_progress_json_error(FILE *out, const struct cb_err *err, int exit_status);

#endif
