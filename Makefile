# cbuild - a daemonless container image builder.
#
#   make            build ./cbuild
#   make deps       install build and test dependencies (Debian, apt-get)
#   make test       deps + ASan/UBSan build + unit, golden and e2e tests
#   make check      unit and golden tests only (no root, no network)
#   make e2e        end-to-end tests only
#   make demo       build examples/hello and show the image
#   make lint       clang-format, headers compile alone, banned functions
#   make install    PREFIX=/usr/local
#
# Sources are found by directory: a new .c file needs no Makefile change.

PREFIX ?= /usr/local
CC ?= cc
VERSION := $(shell git describe --always --dirty 2>/dev/null || echo 0.1.0)
SRCDIR := $(abspath .)

PKGS := libarchive libcurl jansson libzstd zlib libcrypto libssl libdeflate libisal yaml-0.1
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS = $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARN := -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter -Wformat=2 -Wvla
BASE_CFLAGS := -std=c11 -D_GNU_SOURCE $(WARN) -MMD -MP -DCBUILD_VERSION='"$(VERSION)"' \
	-DCB_SRCDIR='"$(SRCDIR)"' -pthread
REL_CFLAGS := -O2 -g
ASAN_CFLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
	-fno-sanitize-recover=undefined
CFLAGS ?=
LDFLAGS ?=

# Module -> directory, and the modules each links against (its own layer
# and the layers below it).
dir_base := base
dir_oci := oci
dir_cache := cache
dir_frontend := builder/dockerfile
dir_exec := builder/exec
dir_builder := builder
dir_cli := cli
MODULES := base oci cache frontend exec builder cli
deps_base := base
deps_oci := base oci
deps_cache := base oci cache
deps_frontend := base frontend
deps_exec := base oci exec
deps_builder := base oci cache frontend exec builder
deps_cli := $(deps_builder) cli

srcs_of = $(filter-out cli/main.c,$(sort $(wildcard $(dir_$(1))/*.c)))
tests_of = $(sort $(wildcard tests/unit/$(dir_$(1))/test_*.c))
ALL_SRCS := $(foreach m,$(MODULES),$(call srcs_of,$(m)))
HEADERS := $(sort $(foreach m,$(MODULES),$(wildcard $(dir_$(m))/*.h)))

.PHONY: all deps test check unit e2e golden demo lint install uninstall clean asan docs diff-buildkit \
	conformance fuzz bench format
all: cbuild

# ---------------------------------------------------------------- flavours
# $(1) flavour name, $(2) extra CFLAGS
define flavour
$(1)_OBJS := $$(patsubst %.c,build/$(1)/%.o,$$(ALL_SRCS))
build/$(1)/%.o: %.c
	@mkdir -p $$(dir $$@)
	$$(CC) $$(BASE_CFLAGS) $(2) $$(PKG_CFLAGS) $$(CFLAGS) -c $$< -o $$@
build/$(1)/cbuild: $$($(1)_OBJS) build/$(1)/cli/main.o
	$$(CC) $(2) $$(LDFLAGS) -pthread -o $$@ $$^ $$(PKG_LIBS)
-include $$(shell find build/$(1) -name '*.d' 2>/dev/null)
endef
$(eval $(call flavour,rel,$(REL_CFLAGS)))
$(eval $(call flavour,asan,$(ASAN_CFLAGS)))

cbuild: build/rel/cbuild
	cp $< $@
asan: build/asan/cbuild build/asan/cbuild-units

# ---------------------------------------------------------------- unit tests
# One test binary per module; it links the module and the layers below it,
# so a module's tests build even while an unrelated module is half-written.
define unit_module
build/asan/tests/$(1)/registry.c: $$(call tests_of,$(1)) tests/unit/gen-registry.sh
	@mkdir -p $$(dir $$@)
	sh tests/unit/gen-registry.sh $$(call tests_of,$(1)) > $$@.tmp && mv $$@.tmp $$@
build/asan/tests/$(1)/test-$(1): $$(patsubst %.c,build/asan/%.o,$$(foreach d,$$(deps_$(1)),$$(call srcs_of,$$(d)))) \
		$$(patsubst %.c,build/asan/%.o,$$(call tests_of,$(1))) \
		build/asan/tests/unit/harness.o build/asan/tests/$(1)/registry.o
	$$(CC) $$(ASAN_CFLAGS) $$(LDFLAGS) -pthread -o $$@ $$^ $$(PKG_LIBS)
UNIT_BINS += $$(if $$(call tests_of,$(1)),build/asan/tests/$(1)/test-$(1))
endef
$(foreach m,$(MODULES),$(eval $(call unit_module,$(m))))

build/asan/tests/%.o: build/asan/tests/%.c
	$(CC) $(BASE_CFLAGS) $(ASAN_CFLAGS) -Itests/unit $(PKG_CFLAGS) -c $< -o $@
build/asan/tests/unit/%.o: tests/unit/%.c
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(ASAN_CFLAGS) -Itests/unit $(PKG_CFLAGS) -c $< -o $@

build/asan/cbuild-units: $(UNIT_BINS)
	@touch $@

unit: $(UNIT_BINS)
	@sh tests/run-suites.sh unit $(UNIT_BINS)

check: unit

e2e: build/asan/cbuild build/rel/cbuild
	@CBUILD=$(SRCDIR)/build/asan/cbuild sh tests/run-suites.sh e2e tests/e2e/t[0-9]*.sh

# make test: every suite, one summary line at the end.
# The conformance vectors (../shared) run as one more suite; they skip
# themselves when ../shared is absent.
test: deps
	@$(MAKE) --no-print-directory -j2 asan $(UNIT_BINS) conformance-runners build/rel/cbuild
	@CBUILD=$(SRCDIR)/build/asan/cbuild CONF_BIN=$(SRCDIR)/build/conformance \
		CONFORMANCE_DIR=$(SRCDIR)/../shared/conformance \
		sh tests/run-suites.sh all $(UNIT_BINS) -- tests/e2e/t[0-9]*.sh tests/conformance/run.sh

# ---------------------------------------------------------------- deps
deps:
	@sh scripts/deps.sh

# ---------------------------------------------------------------- demo
demo: deps
	@$(MAKE) --no-print-directory cbuild
	@sh examples/demo.sh

# ---------------------------------------------------------------- lint
lint:
	@sh scripts/lint.sh $(PKG_CFLAGS)

# generated files ("do not edit" at the top) follow their generator, as in lint
format:
	@for f in $(ALL_SRCS) cli/main.c $(HEADERS); do \
		head -n 5 $$f | grep -q "do not edit" || clang-format -i $$f; done

# ---------------------------------------------------------------- install
install: cbuild
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 0755 cbuild $(DESTDIR)$(PREFIX)/bin/cbuild
	install -m 0644 doc/cbuild.1 $(DESTDIR)$(PREFIX)/share/man/man1/cbuild.1
	if [ -f doc/cbuild.bash-completion ]; then \
	  install -d $(DESTDIR)$(PREFIX)/share/bash-completion/completions && \
	  install -m 0644 doc/cbuild.bash-completion $(DESTDIR)$(PREFIX)/share/bash-completion/completions/cbuild; fi

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/cbuild $(DESTDIR)$(PREFIX)/share/man/man1/cbuild.1

clean:
	rm -rf build cbuild

-include mk/*.mk

docs:
	python3 scripts/gen-docs.py

# Build the same Dockerfiles with Docker's BuildKit and with cbuild and
# compare rootfs and config; skips without a Docker daemon (not part of CI).
diff-buildkit: build/rel/cbuild
	@CBUILD=$(SRCDIR)/build/rel/cbuild DOCKER=$${DOCKER:-docker} sh scripts/diff-buildkit.sh
