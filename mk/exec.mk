# exec.mk - the executor's extras: per-step overhead benchmark (root; installs
# buildah on first use for the comparison), and the executor e2e suites.
.PHONY: bench-step e2e-exec
bench: bench-step
bench-step: build/rel/cbuild
	@CBUILD=$(SRCDIR)/build/rel/cbuild sh bench/step.sh $(BENCH_STEP_N)
e2e-exec: build/asan/cbuild
	@CBUILD=$(SRCDIR)/build/asan/cbuild sh tests/run-suites.sh e2e tests/e2e/t400[0-9]-exec*.sh
