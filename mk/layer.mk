# layer.mk - the layer commit benchmark (oci/layer owner).
#   make bench-layer    1 GB tree: cbuild gzip/zstd layers vs tar|gzip, pigz, umoci, zstd
.PHONY: bench-layer
bench: bench-layer
LAYER_BENCH_OBJS = $(patsubst %.c,build/rel/%.o,$(call srcs_of,base) oci/digest.c \
	oci/compress.c oci/decompress.c oci/pgzip.c oci/pipe.c oci/tarw.c oci/layer.c oci/layer_diff.c \
	oci/layer_apply.c)
build/rel/bench/layer-bench: bench/layer_bench.c $(LAYER_BENCH_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(REL_CFLAGS) $(PKG_CFLAGS) $(CFLAGS) -o $@ $(filter %.c %.o,$^) $(PKG_LIBS)
bench-layer: build/rel/bench/layer-bench
	sh bench/layer.sh
