# fuzz.mk - `make fuzz`: build the libFuzzer targets in tests/fuzz/ with
# clang (-fsanitize=fuzzer,address,undefined) and run each for FUZZ_SECONDS
# (default 60) on its seed corpus; a unit slower than FUZZ_TIMEOUT seconds
# (default 30) is a finding.  Findings land in build/fuzz/.
FUZZ_SECONDS ?= 60
FUZZ_TIMEOUT ?= 30
FUZZ_CC ?= clang
FUZZ_CFLAGS := -std=c11 -D_GNU_SOURCE -g -O1 -fno-omit-frame-pointer \
	-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined
FUZZ_TARGETS := $(patsubst tests/fuzz/%.c,build/fuzz/%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_LIB_SRCS = $(foreach m,base frontend oci cache exec doctor builder,$(call srcs_of,$(m)))
FUZZ_LIB_OBJS = $(patsubst %.c,build/fuzz/obj/%.o,$(FUZZ_LIB_SRCS))

build/fuzz/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(PKG_CFLAGS) -c $< -o $@

build/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_LIB_OBJS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer $(PKG_CFLAGS) -o $@ $^ $(PKG_LIBS)

fuzz-build: $(FUZZ_TARGETS)

fuzz: $(FUZZ_TARGETS)
	@for t in $(FUZZ_TARGETS); do \
		name=$$(basename $$t | sed 's/^fuzz_//'); \
		mkdir -p build/fuzz/corpus-$$name build/fuzz/findings-$$name; \
		echo "fuzz: $$t for $(FUZZ_SECONDS)s"; \
		$$t -max_total_time=$(FUZZ_SECONDS) -max_len=65536 -timeout=$(FUZZ_TIMEOUT) -rss_limit_mb=2048 \
			-artifact_prefix=build/fuzz/findings-$$name/ -print_final_stats=1 \
			build/fuzz/corpus-$$name tests/fuzz/corpus/$$name || exit 1; \
	done

.PHONY: fuzz fuzz-build
.SECONDARY: $(FUZZ_LIB_OBJS)
