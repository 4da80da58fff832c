# doctor.mk - the image doctor (builder/doctor/) as a module of its own:
# its objects join both cbuild flavours and the builder/cli unit binaries
# (the lead's build engine calls it), it gets its own unit binary, and
# `make bench-doctor` times it on a generated ~500 MB image.
dir_doctor := builder/doctor
deps_doctor := base oci frontend exec doctor
MODULES += doctor
DOCTOR_SRCS := $(call srcs_of,doctor)
ALL_SRCS += $(DOCTOR_SRCS)
HEADERS += $(wildcard builder/doctor/*.h)
rel_OBJS += $(patsubst %.c,build/rel/%.o,$(DOCTOR_SRCS))
asan_OBJS += $(patsubst %.c,build/asan/%.o,$(DOCTOR_SRCS))
build/rel/cbuild: $(patsubst %.c,build/rel/%.o,$(DOCTOR_SRCS))
build/asan/cbuild: $(patsubst %.c,build/asan/%.o,$(DOCTOR_SRCS))
build/asan/tests/builder/test-builder build/asan/tests/cli/test-cli: \
	$(patsubst %.c,build/asan/%.o,$(DOCTOR_SRCS))
$(eval $(call unit_module,doctor))
unit: build/asan/tests/doctor/test-doctor

.PHONY: bench-doctor
bench: bench-doctor
bench-doctor: build/rel/cbuild
	@CBUILD=$(SRCDIR)/build/rel/cbuild sh bench/doctor.sh
