/* image.h - OCI image documents as C structs: descriptors, manifests, indexes
 * and image configs, plus their JSON codecs (Docker schema2 manifests and
 * manifest lists use the same structs with Docker media types).
 *
 * jansson is touched only in image.c.  Output is canonical (sorted keys,
 * compact, no trailing newline): the same document always gives the same
 * bytes, hence the same digest.  See vendor-docs/oci-image.md.
 */
#ifndef CBUILD_OCI_IMAGE_H
#define CBUILD_OCI_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "digest.h"
#include "../base/buf.h"
#include "../base/error.h"
#include "../base/strv.h"

/* image-spec media-types.md */
/* The PATH a Linux image gets when its config sets none (BuildKit's and
 * containerd's default). */
#define OCI_DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
/* Append "PATH=" OCI_DEFAULT_PATH to env ("K=V" list) when it sets no PATH
 * and os (NULL: linux) is not windows: BuildKit makes sure every stage has
 * one, in its steps and its image. */
void oci_env_default_path(struct cb_strv *env, const char *os);

#define OCI_MT_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define OCI_MT_INDEX "application/vnd.oci.image.index.v1+json"
#define OCI_MT_CONFIG "application/vnd.oci.image.config.v1+json"
#define OCI_MT_LAYER "application/vnd.oci.image.layer.v1.tar"
#define OCI_MT_LAYER_GZIP "application/vnd.oci.image.layer.v1.tar+gzip"
#define OCI_MT_LAYER_ZSTD "application/vnd.oci.image.layer.v1.tar+zstd"
#define OCI_MT_EMPTY "application/vnd.oci.empty.v1+json"
/* Docker image manifest v2 schema 2 */
#define OCI_MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define OCI_MT_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define OCI_MT_DOCKER_CONFIG "application/vnd.docker.container.image.v1+json"
#define OCI_MT_DOCKER_LAYER_GZIP "application/vnd.docker.image.rootfs.diff.tar.gzip"
#define OCI_MT_DOCKER_LAYER_FOREIGN "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"

/* image-spec annotations.md */
#define OCI_ANNOT_REF_NAME "org.opencontainers.image.ref.name"
#define OCI_ANNOT_CREATED "org.opencontainers.image.created"

/* Documents are read under this limit (manifests, indexes, configs). */
#define OCI_DOC_LIMIT ((size_t)8 << 20)

/* ---------------------------------------------------------------- maps */

struct oci_kv {
    char *key;
    char *value;
};

/* A string map (annotations, labels), kept sorted by key. */
struct oci_map {
    struct oci_kv *v;
    size_t n;
    size_t alloc;
};

void oci_map_init(struct oci_map *m);
void oci_map_release(struct oci_map *m);
void oci_map_copy(struct oci_map *dst, const struct oci_map *src);
/* The value for key, or NULL (borrowed: valid until the map changes). */
const char *oci_map_peek(const struct oci_map *m, const char *key);
/* Insert or replace. */
void oci_map_set(struct oci_map *m, const char *key, const char *value);
/* Remove; returns whether key was present. */
bool oci_map_del(struct oci_map *m, const char *key);

/* ---------------------------------------------------------------- platform */

struct oci_platform {
    char *os;           /* "linux" */
    char *architecture; /* "amd64", "arm64", ... */
    char *variant;      /* "v8", or NULL */
    char *os_version;   /* or NULL */
    struct cb_strv os_features;
    struct cb_strv features; /* Docker manifest lists only */
};

void oci_platform_init(struct oci_platform *p);
void oci_platform_release(struct oci_platform *p);
void oci_platform_copy(struct oci_platform *dst, const struct oci_platform *src);
/* Parse "os/arch[/variant]" (e.g. "linux/arm64/v8"); the variant is
 * normalised the way containerd does (arm64 → v8 by default, arm → v7). */
int oci_platform_parse(const char *s, struct oci_platform *out, struct cb_err **err);
/* The platform this binary runs on (linux/<GOARCH-style arch>[/variant]). */
void oci_platform_host(struct oci_platform *out);
/* "os/arch[/variant]", allocated. */
char *oci_platform_fmt(const struct oci_platform *p);
/* Whether an image for have runs on want: os and architecture equal, the
 * variant equal when want names one (a missing variant in have matches the
 * default variant), and os_version equal when want names one. */
bool oci_platform_match(const struct oci_platform *want, const struct oci_platform *have);

/* ---------------------------------------------------------------- descriptor */

struct oci_descriptor {
    char *media_type;
    struct oci_digest digest;
    int64_t size;
    struct cb_strv urls;
    struct oci_map annotations;
    struct oci_platform *platform; /* NULL when absent */
    char *artifact_type;           /* or NULL */
};

void oci_descriptor_init(struct oci_descriptor *d);
void oci_descriptor_release(struct oci_descriptor *d);
void oci_descriptor_copy(struct oci_descriptor *dst, const struct oci_descriptor *src);
/* Fill media type, digest and size for data (annotations etc. cleared). */
void oci_descriptor_set(struct oci_descriptor *d, const char *media_type, const void *data,
                        size_t len);

/* ---------------------------------------------------------------- manifest */

/* An OCI image manifest or a Docker schema2 manifest (media_type tells). */
struct oci_manifest {
    int schema_version; /* 2 */
    char *media_type;   /* OCI_MT_MANIFEST or OCI_MT_DOCKER_MANIFEST; NULL = OCI, unset */
    char *artifact_type;
    struct oci_descriptor config;
    struct oci_descriptor *layers;
    size_t n_layers;
    size_t alloc_layers;
    struct oci_descriptor *subject; /* NULL when absent */
    struct oci_map annotations;
};

void oci_manifest_init(struct oci_manifest *m);
void oci_manifest_release(struct oci_manifest *m);
#define cleanup_manifest __attribute__((cleanup(oci_manifest_release)))
/* Append a copy of layer. */
void oci_manifest_add_layer(struct oci_manifest *m, const struct oci_descriptor *layer);
int oci_manifest_parse(const char *data, size_t len, struct oci_manifest *out, struct cb_err **err);
/* Appends the canonical JSON to out. */
int oci_manifest_dump(const struct oci_manifest *m, struct cb_buf *out, struct cb_err **err);
/* Rewrite media types in place between the OCI and Docker schema2 forms
 * (manifest, config and layer types). zstd layers have no Docker form. */
int oci_manifest_to_docker(struct oci_manifest *m, struct cb_err **err);
void oci_manifest_to_oci(struct oci_manifest *m);

/* ---------------------------------------------------------------- index */

/* An OCI image index or a Docker manifest list (also index.json). */
struct oci_index {
    int schema_version;
    char *media_type; /* OCI_MT_INDEX, OCI_MT_DOCKER_LIST, or NULL (index.json) */
    char *artifact_type;
    struct oci_descriptor *manifests;
    size_t n_manifests;
    size_t alloc_manifests;
    struct oci_descriptor *subject;
    struct oci_map annotations;
};

void oci_index_init(struct oci_index *x);
void oci_index_release(struct oci_index *x);
#define cleanup_index __attribute__((cleanup(oci_index_release)))
void oci_index_add(struct oci_index *x, const struct oci_descriptor *d);
/* Remove entry i (later entries move down). */
void oci_index_remove(struct oci_index *x, size_t i);
int oci_index_parse(const char *data, size_t len, struct oci_index *out, struct cb_err **err);
int oci_index_dump(const struct oci_index *x, struct cb_buf *out, struct cb_err **err);
/* The entry whose platform matches want (entries without a platform do not
 * match; an exact variant beats a defaulted one), or -1. */
long oci_index_select(const struct oci_index *x, const struct oci_platform *want);

/* ---------------------------------------------------------------- config */

/* Docker's HEALTHCHECK; durations in nanoseconds, 0 = inherit/default. */
struct oci_healthcheck {
    struct cb_strv test; /* ["NONE"], ["CMD", ...], ["CMD-SHELL", "..."] */
    int64_t interval;
    int64_t timeout;
    int64_t start_period;
    int64_t start_interval;
    int retries;
};

/* The "config" object: the defaults a container starts with. */
struct oci_run_config {
    char *user;
    struct cb_strv env; /* "K=V" */
    struct cb_strv entrypoint;
    bool has_entrypoint; /* distinguishes [] from absent (null) */
    struct cb_strv cmd;
    bool has_cmd;
    char *working_dir;
    struct oci_map labels;
    struct cb_strv exposed_ports; /* "80/tcp", sorted and unique */
    struct cb_strv volumes;       /* sorted and unique */
    char *stop_signal;
    struct oci_healthcheck *healthcheck; /* NULL when absent */
    struct cb_strv onbuild;              /* Docker only */
    struct cb_strv shell;                /* Docker only; empty = default */
    bool args_escaped;                   /* Docker, Windows only; kept for round trips */
};

struct oci_history {
    char *created; /* RFC 3339, or NULL */
    char *created_by;
    char *author;
    char *comment;
    bool empty_layer;
};

/* The image config blob (image-spec config.md; Docker's is a superset). */
struct oci_image {
    char *created; /* RFC 3339, or NULL */
    char *author;
    char *architecture;
    char *os;
    char *os_version;
    struct cb_strv os_features;
    char *variant;
    struct oci_run_config config;
    struct oci_digest *diff_ids; /* rootfs.diff_ids, rootfs.type is "layers" */
    size_t n_diff_ids;
    size_t alloc_diff_ids;
    struct oci_history *history;
    size_t n_history;
    size_t alloc_history;
};

void oci_image_init(struct oci_image *img);
void oci_image_release(struct oci_image *img);
#define cleanup_image __attribute__((cleanup(oci_image_release)))
void oci_image_copy(struct oci_image *dst, const struct oci_image *src);
void oci_image_add_diff_id(struct oci_image *img, const struct oci_digest *diff_id);
/* Append a history entry (copies of the strings; NULLs allowed). */
void oci_image_add_history(struct oci_image *img, const struct oci_history *h);
int oci_image_parse(const char *data, size_t len, struct oci_image *out, struct cb_err **err);
int oci_image_dump(const struct oci_image *img, struct cb_buf *out, struct cb_err **err);
/* The chain ids of the layers (image-spec config.md "Layer ChainID"):
 * out[i] = sha256(out[i-1] + " " + diff_ids[i]); out[0] = diff_ids[0].
 * out must hold n_diff_ids entries. */
void oci_image_chain_ids(const struct oci_image *img, struct oci_digest *out);
void oci_chain_id_next(const struct oci_digest *parent, const struct oci_digest *diff_id,
                       struct oci_digest *out);

/* ---------------------------------------------------------------- layout marker */

/* The oci-layout file: {"imageLayoutVersion":"1.0.0"}. */
#define OCI_LAYOUT_VERSION "1.0.0"
/* Parse an oci-layout file; *version (allocated) gets imageLayoutVersion. */
int oci_layout_marker_parse(const char *data, size_t len, char **version, struct cb_err **err);
/* The canonical oci-layout content for OCI_LAYOUT_VERSION, appended to out. */
int oci_layout_marker_dump(struct cb_buf *out, struct cb_err **err);

/* ---------------------------------------------------------------- sniffing */

enum oci_doc_kind {
    OCI_DOC_UNKNOWN = 0,
    OCI_DOC_MANIFEST, /* OCI or Docker schema2 */
    OCI_DOC_INDEX,    /* OCI index or Docker manifest list */
};

/* Which document a media type names. */
enum oci_doc_kind oci_doc_kind_of(const char *media_type);
/* Which document data holds (by its mediaType, else by its shape). */
enum oci_doc_kind oci_doc_sniff(const char *data, size_t len);
/* Whether media_type is a layer type we can unpack (tar, gzip, zstd, OCI or
 * Docker). */
bool oci_media_type_is_layer(const char *media_type);

#endif
