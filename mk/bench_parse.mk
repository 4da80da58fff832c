# bench_parse.mk - `make bench-parse` (also part of `make bench`): time the
# Dockerfile frontend on a generated 5,000-line Dockerfile (release flags).
build/bench/parse_bench: bench/parse_bench.c $(patsubst %.c,build/rel/%.o,$(call srcs_of,base) $(call srcs_of,frontend))
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(REL_CFLAGS) $(PKG_CFLAGS) -o $@ $^ $(PKG_LIBS)

bench-parse: build/bench/parse_bench
	@./build/bench/parse_bench 5000 20

bench: bench-parse
.PHONY: bench-parse
