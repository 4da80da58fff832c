/* dockerjson.h - the JSON files of a docker-archive tar (`docker save`):
 * manifest.json, a list of {Config, RepoTags, Layers} (paths inside the
 * archive), and the legacy repositories file.  Codec only: jansson stays in
 * dockerjson.c. */
#ifndef CBUILD_OCI_DOCKERJSON_H
#define CBUILD_OCI_DOCKERJSON_H

#include <stddef.h>

#include "../base/buf.h"
#include "../base/error.h"
#include "../base/strv.h"

struct oci_docker_entry {
    char *config;             /* "<hex>.json" */
    struct cb_strv repo_tags; /* "busybox:latest" */
    struct cb_strv layers;    /* "<hex>.tar" or "<id>/layer.tar" */
};

struct oci_docker_manifest {
    struct oci_docker_entry *v;
    size_t n;
    size_t alloc;
};

void oci_docker_manifest_init(struct oci_docker_manifest *m);
void oci_docker_manifest_release(struct oci_docker_manifest *m);
/* Append an entry; returns it (owned by m) to fill. */
struct oci_docker_entry *oci_docker_manifest_add(struct oci_docker_manifest *m);
int oci_docker_manifest_parse(const char *data, size_t len, struct oci_docker_manifest *out,
                              struct cb_err **err);
int oci_docker_manifest_dump(const struct oci_docker_manifest *m, struct cb_buf *out,
                             struct cb_err **err);
/* The repositories file: {"repo":{"tag":"<top layer id>"}} for every
 * "repo:tag" in the entries' RepoTags; top_ids[i] belongs to entry i. */
int oci_docker_repositories_dump(const struct oci_docker_manifest *m, const char *const *top_ids,
                                 struct cb_buf *out, struct cb_err **err);

#endif
