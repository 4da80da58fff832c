/* fixups.c - `cbuild build --fixup=LIST`: the image doctor's fixups applied
 * at the end of the final stage, as one extra layer and config change with a
 * history entry naming each fixup (builder/doctor/fixup.h plans them). */
#include <stdlib.h>
#include <string.h>

#include "builder_internal.h"
#include "step.h"
#include "doctor/fixup.h"
#include "doctor/rootfs.h"
#include "../oci/layer.h"
#include "../oci/layout.h"
#include "../base/cleanup.h"
#include "../base/fsutil.h"
#include "../base/log.h"
#include "../base/xalloc.h"
#include "../base/banned.h"

/* Write dir as one layer into the store and add it to st. */
static int commit_dir(struct bld_solver *s, struct bld_state *st, const char *dir,
                      struct cb_err **err)
{
    struct bld_layer_result r;

    if (bld_step_commit_tree(s, dir, &r, err) < 0)
        return cb_wrap(err, "write the layer");
    if (!r.empty)
        bld_state_add_layer(st, &r.layer, &r.diff_id);
    bld_layer_result_release(&r);
    return 0;
}

int bld_fixups_apply(struct bld_solver *s, struct bld_state *st, struct cb_err **err)
{
    cleanup_rootfs struct bld_rootfs *fs =
        bld_rootfs_open_image(s->store, st->layers, st->n_layers, &st->img, BLD_ROOTFS_UNPACK, err);
    cleanup_fixup_plan struct bld_fixup_plan plan;
    char *tmp = NULL;
    int rc;

    bld_fixup_plan_init(&plan);
    rc = fs ? 0 : cb_err_rc(err);
    if (rc == 0)
        rc = bld_fixup_plan(&st->img, fs, s->o->fixups, &plan, err);
    if (rc == 0 && plan.n) {
        tmp = cb_mkdtemp(oci_store_tmp_peek(s->store), "fixup-", err);
        rc = tmp ? bld_fixup_apply_to_dir(&plan, fs, tmp, err) : cb_err_rc(err);
        if (rc == 0)
            rc = commit_dir(s, st, tmp, err);
    }
    if (rc == 0 && plan.history) {
        char *created = st->img.n_history ? st->img.history[st->img.n_history - 1].created : NULL;
        created = created ? xstrdup(created) : NULL;
        bld_fixup_apply_config(&plan, &st->img);
        /* keep the image's timestamps deterministic, as every other step */
        if (st->img.n_history && created) {
            free(st->img.history[st->img.n_history - 1].created);
            st->img.history[st->img.n_history - 1].created = created;
            created = NULL;
        }
        free(created);
        for (size_t i = 0; i < plan.notes.n; i++)
            cb_log_info("fixup: %s", plan.notes.v[i]);
    }
    if (tmp)
        cb_rm_rf(tmp, NULL);
    free(tmp);
    return rc < 0 ? cb_wrap(err, "--fixup") : 0;
}
