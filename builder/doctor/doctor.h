/* doctor.h - the image doctor: checks an image's final config and
 * filesystem for the runtime traps a green build hides (an unknown USER, a
 * HOME that is missing or not writable, a start program that does not
 * resolve, Python packages under a .local tree the user's python will not
 * look in, npm without a cache dir, a dropped devDependency the start
 * command needs, root-owned files in the user's home, secrets in ENV/LABEL,
 * dev-looking build-arg defaults baked into files).  Nothing is run: the
 * image's files are read through a rootfs view (rootfs.h).
 *
 * Calling it from a build (the lead's `cbuild build --doctor[=strict]`):
 * the simplest is after the final image is in the store, with the build
 * info for the build-arg check:
 *
 *     struct bld_doctor_arg args[] = {{"API_BASE", "http://localhost:8080", false}, ...};
 *     size_t stage[] = {3, 4};    // indexes of the manifest's layers that
 *                                 // the final stage made (base layers first)
 *     struct bld_doctor_opts o = {.args = args, .n_args = n,
 *                                 .stage_layers = stage, .n_stage_layers = 2};
 *     struct bld_findings f;
 *     bld_findings_init(&f);
 *     if (bld_doctor_image(store, image_name_or_digest, &o, &f, err) < 0) ...
 *     bld_findings_text(&f, &buf, err);         // or bld_findings_json
 *     failed = bld_findings_status(&f, strict); // 1: fail the build
 *     bld_findings_release(&f);
 *
 * bld_doctor_image opens one view layer per image layer (the store's
 * unpacked-layer cache where a layer is there, else its blob read into
 * memory), so view layer indexes are the manifest's layer indexes.  Over a single merged rootfs
 * directory use bld_rootfs_open_dirs() and bld_doctor_check(); stage_layers
 * must then name separately opened view layers, or be left empty (the
 * build-arg check then scans nothing).
 */
#ifndef CBUILD_BUILDER_DOCTOR_DOCTOR_H
#define CBUILD_BUILDER_DOCTOR_DOCTOR_H

#include <stdbool.h>
#include <stddef.h>

#include "rootfs.h"
#include "../../base/buf.h"
#include "../../base/error.h"
#include "../../oci/image.h"

struct oci_store;

enum bld_severity {
    BLD_SEV_WARN = 0,
    BLD_SEV_ERROR,
};

struct bld_finding {
    char *id; /* stable, e.g. "home-missing" */
    enum bld_severity severity;
    char *message;           /* one line */
    struct oci_map evidence; /* sorted; lists are joined with ", " */
    char *fix;               /* one line: the Dockerfile change that fixes it */
};

struct bld_findings {
    struct bld_finding *v;
    size_t n;
    size_t alloc;
};

void bld_findings_init(struct bld_findings *f);
void bld_findings_release(struct bld_findings *f);
#define cleanup_findings __attribute__((cleanup(bld_findings_release)))
/* Append a finding (strings copied); returns it so evidence can be added. */
struct bld_finding *bld_findings_add(struct bld_findings *f, const char *id, enum bld_severity sev,
                                     const char *fix, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* The exit status: 1 when a finding is an error (or any finding with
 * strict), else 0. */
int bld_findings_status(const struct bld_findings *f, bool strict);
/* Human text, one block per finding, appended to out. */
int bld_findings_text(const struct bld_findings *f, struct cb_buf *out, struct cb_err **err);
/* A JSON array of {id, severity, message, evidence: {...}, fix}, indented,
 * with a final newline (doctor_json.c). */
int bld_findings_json(const struct bld_findings *f, struct cb_buf *out, struct cb_err **err);

/* A build arg as the final stage saw it. */
struct bld_doctor_arg {
    const char *name;
    const char *default_value; /* the Dockerfile's default, or NULL */
    bool overridden;           /* --build-arg gave a value */
};

/* Runs argv (argc words) in the image as it would start: its USER, ENV and
 * WORKDIR, no ENTRYPOINT; the output (stdout and stderr) is appended to out
 * and the exit status stored in *status.  A negative return means the run
 * itself failed. */
typedef int (*bld_doctor_exec_fn)(void *userdata, char *const *argv, size_t argc, int *status,
                                  struct cb_buf *out, struct cb_err **err);

struct bld_doctor_opts {
    /* Build info, for the baked-in build-arg check (all may be empty). */
    const struct bld_doctor_arg *args;
    size_t n_args;
    /* The view layers (indexes into the rootfs view) that the final stage
     * made; their files are the ones scanned for arg defaults. */
    const size_t *stage_layers;
    size_t n_stage_layers;
    /* --exec: when set, findings that a command can confirm (modules that
     * do not import, a program not on PATH, HOME or npm's cache not
     * writable) are probed by running it; the outcome goes into the
     * finding's "exec" evidence, and a finding the run does not reproduce
     * becomes a warning. */
    bld_doctor_exec_fn exec;
    void *exec_data;
};

/* Run every check on img (the image config) over fs; findings are appended
 * to out in a fixed order.  Fails only on I/O errors. */
int bld_doctor_check(const struct oci_image *img, struct bld_rootfs *fs,
                     const struct bld_doctor_opts *o, struct bld_findings *out,
                     struct cb_err **err);

/* `cbuild doctor IMAGE`: open the image in the store (bld_rootfs_open_image:
 * nothing is unpacked or written) and run the checks. */
int bld_doctor_image(struct oci_store *s, const char *name, const struct bld_doctor_opts *o,
                     struct bld_findings *out, struct cb_err **err);

#endif
