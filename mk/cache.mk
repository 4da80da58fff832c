# cache.mk - the build cache's benchmark (cache/ owner).
#   make bench-cache    content digest of a 10k-file context, cold vs warm stat cache
.PHONY: bench-cache
CACHE_BENCH_OBJS = $(patsubst %.c,build/rel/%.o,$(call srcs_of,base) oci/digest.c $(call srcs_of,cache))
build/rel/bench/cache-bench: bench/cache_bench.c $(CACHE_BENCH_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(REL_CFLAGS) $(PKG_CFLAGS) $(CFLAGS) -o $@ $(filter %.c %.o,$^) $(PKG_LIBS)
bench-cache: build/rel/bench/cache-bench
	build/rel/bench/cache-bench $(BENCH_CACHE_FILES)
