/* bake_internal.h - what bake.c, bake_compose.c and bake_run.c share. */
#ifndef CBUILD_BUILDER_BAKE_INTERNAL_H
#define CBUILD_BUILDER_BAKE_INTERNAL_H

#include "bake.h"

/* The target named name, created empty when missing. */
struct bld_bake_target *bld_bake_target_get(struct bld_bake *b, const char *name);
/* The member list of group name, created empty when missing. */
struct cb_strv *bld_bake_group_get(struct bld_bake *b, const char *name);
/* Set a variable: the environment wins over def. */
void bld_bake_set_var(struct bld_bake *b, const char *name, const char *def);
/* ${NAME}/$NAME interpolation ($$ is a literal $). Allocated. */
char *bld_bake_interpolate(const struct bld_bake *b, const char *s);
/* dir + "/" + rel without "./" noise ("." stays "."). Allocated. */
char *bld_bake_join(const char *dir, const char *rel);
/* A target's context and named contexts that are relative directories,
 * joined with dir (the bake or compose file's); remote ones kept. */
void bld_bake_join_contexts(struct bld_bake_target *t, const char *dir);
/* Read compose YAML text (libyaml) into b. */
int bld_bake_compose_load(struct bld_bake *b, const char *path, const char *text, size_t len,
                          const char *dir, struct cb_err **err);

#endif
