# registry.mk - the registry client's extra targets.
.PHONY: bench-push
bench-push: cbuild
	CBUILD=$(SRCDIR)/cbuild sh bench/push.sh
