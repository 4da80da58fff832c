# conformance.mk - `make conformance`: BuildKit/patternmatcher vectors.
#
# Every tests/conformance/runner_*.c becomes build/conformance/runner_*,
# linked with the release objects of base/ and builder/dockerfile/; then
# tests/conformance/run.sh runs every tests/conformance/suite-*.sh.

CONF_RUNNER_SRCS := $(sort $(wildcard tests/conformance/runner_*.c))
CONF_RUNNERS := $(patsubst tests/conformance/%.c,build/conformance/%,$(CONF_RUNNER_SRCS))
CONF_LIB_OBJS = $(patsubst %.c,build/rel/%.o,$(call srcs_of,base) $(call srcs_of,frontend))

build/conformance/%.o: tests/conformance/%.c
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(REL_CFLAGS) $(PKG_CFLAGS) $(CFLAGS) -c $< -o $@

build/conformance/runner_%: build/conformance/runner_%.o $(CONF_LIB_OBJS)
	$(CC) $(REL_CFLAGS) $(LDFLAGS) -pthread -o $@ $^ $(PKG_LIBS)

-include $(wildcard build/conformance/*.d)

# cbuild itself is built softly: a suite that needs it reports the failure,
# the others still run.
conformance: $(CONF_RUNNERS)
	@$(MAKE) --no-print-directory build/rel/cbuild >/dev/null 2>&1 || \
		echo "conformance: warning: build/rel/cbuild did not build"
	@CBUILD=$(SRCDIR)/build/rel/cbuild CONF_BIN=$(SRCDIR)/build/conformance \
		CONFORMANCE_DIR=$(SRCDIR)/../shared/conformance sh tests/conformance/run.sh
.SECONDARY: $(patsubst %,%.o,$(CONF_RUNNERS))

conformance-runners: $(CONF_RUNNERS)
.PHONY: conformance-runners
