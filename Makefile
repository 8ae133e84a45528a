# fl: federated learning as Unix tools.  One GNU Makefile; see README.md.
# Build products go under build/; the source tree stays clean.

VERSION  = 0.1.0
CC      ?= cc
NVCC    ?= nvcc
CUDA    ?= auto
PREFIX  ?= /usr/local
DESTDIR ?=
BUILD   ?= build
SANITIZE ?=

WARN     = -Wall -Wextra -Wshadow -Wformat=2 -Wmissing-prototypes \
           -Wstrict-prototypes -Wno-unused-parameter
CFLAGS  ?= -O2 -g
ifeq ($(CI),true)
WARN    += -Werror
endif
ifeq ($(SANITIZE),1)
CFLAGS  += -O1 -fsanitize=address,undefined -fno-omit-frame-pointer \
           -fno-sanitize-recover=undefined
# UBSan's runtime linked static: the shared libubsan brings libstdc++ and
# 6 MB of .bss that LeakSanitizer scans, page by page, at every exit; the
# tools start in about 40 ms instead of 70 under the sanitizers, and the
# sanitizer pass of the tests runs thousands of them.
LDFLAGS += -fsanitize=address,undefined -static-libubsan
BUILD    = build/asan
endif

PKGS     = jansson libarchive libcrypto spng
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
BLAS_CFLAGS := $(shell pkg-config --cflags openblas 2>/dev/null || \
               echo -I/usr/include/x86_64-linux-gnu)
BLAS_LIBS   := $(shell pkg-config --libs openblas 2>/dev/null || echo -lopenblas)

ALL_CFLAGS = -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE $(WARN) \
             $(CFLAGS) -Ilib $(PKG_CFLAGS) $(BLAS_CFLAGS) -MMD -MP
LIBS       = $(PKG_LIBS) $(BLAS_LIBS) -lm

# Start-up.  A site's cron job or a coordinator's inbox loop runs the tools
# thousands of times, and linked against the shared libraries a tool spent
# ~14 ms of CPU before main() against 1.5 ms for /bin/true: the dynamic
# loader binding libarchive (which drags in libxml2, ICU and libstdc++ for
# its xar writer), OpenBLAS and libcrypto.  So the tools link those four,
# and Jansson, from their static archives (Debian's -dev packages ship
# them): only the members a tool uses are copied, and start-up falls to
# ~2-3 x /bin/true (bench/startup.sh).  libarchive-static.c stands in for
# the one libarchive function whose object also holds the table of every
# writer (see there).  zlib, zstd and libspng stay shared.  The unit tests
# link the shared libraries.  STATIC_DEPS=0 links the tools the same way,
# for a packager; without the static archives it is the default.
static_ok = $(and $(wildcard $(shell $(CC) -print-file-name=lib$(1).a)),1)
STATIC_DEPS ?= $(if $(and $(call static_ok,archive),$(call static_ok,crypto),\
               $(call static_ok,jansson),$(call static_ok,openblas)),1,0)
ifeq ($(STATIC_DEPS),1)
TOOL_SHIM  = $(BUILD)/lib/format/libarchive-static.o
SPNG_LIBS := $(shell pkg-config --libs spng 2>/dev/null || echo -lspng)
TOOL_LIBS  = -Wl,-Bstatic -larchive -lcrypto -ljansson -lopenblas \
             -Wl,-Bdynamic $(SPNG_LIBS) -lzstd -lz -lpthread -ldl -lm \
             $(CUDA_LIBS)
else
TOOL_SHIM  =
TOOL_LIBS  = $(LIBS)
endif

# The CUDA build (make cuda; kernels/README.md): the same tools in
# build/cuda with -DFL_CUDA, kernels/*.cu compiled by nvcc into libfl.a,
# linked with the CUDA runtime and cuBLAS.  The default build needs no
# CUDA.  NVCC_ARCH: machine code for sm_90 (H100, H200) and sm_80 (A100),
# PTX that the driver compiles for any other GPU from sm_75 up.
CUDA_HOME ?= $(patsubst %/bin/nvcc,%,$(shell command -v $(NVCC) 2>/dev/null))
NVCC_ARCH ?= -gencode arch=compute_80,code=sm_80 \
             -gencode arch=compute_90,code=sm_90 \
             -gencode arch=compute_75,code=compute_75
NVCC_FLAGS ?= -O2 -g
ifeq ($(FL_CUDA_BUILD),1)
BUILD       = build/cuda
ALL_CFLAGS += -DFL_CUDA -Ikernels
CUDA_LIBS   = -L$(CUDA_HOME)/lib64 -Wl,-rpath,$(CUDA_HOME)/lib64 \
              -lcublas -lcudart -lstdc++
LIBS       += $(CUDA_LIBS)
endif

# Quiet output: one line per step, none with -s, every command with V=1.
ifeq ($(V),1)
Q =
SAY = @true
else ifneq ($(findstring s,$(firstword -$(MAKEFLAGS))),)
Q = @
SAY = @true
else
Q = @
SAY = @echo
endif

LIB_SRC  = $(sort $(filter-out lib/format/libarchive-static.c,\
           $(wildcard lib/*/*.c)))
CMD_SRC  = $(sort $(wildcard cmd/fl-*.c))
CMD_ALL  = $(sort $(wildcard cmd/*.c))
CLI_OBJ  = $(patsubst %.c,$(BUILD)/%.o,$(wildcard cmd/cli*.c))
UNIT_SRC = $(sort $(wildcard test/unit/*/test_*.c))
LIB_OBJ  = $(LIB_SRC:%.c=$(BUILD)/%.o)
ifeq ($(FL_CUDA_BUILD),1)
CU_SRC   = $(sort $(wildcard kernels/*.cu))
LIB_OBJ += $(CU_SRC:%.cu=$(BUILD)/%.o)
endif
TOOLS    = $(CMD_SRC:cmd/%.c=$(BUILD)/bin/%)
UNITS    = $(UNIT_SRC:test/unit/%.c=$(BUILD)/test/%)
LIBFL    = $(BUILD)/libfl.a

# Nothing built is an intermediate: the objects of cmd/ and test/unit/ are
# made only through chained pattern rules, and without this make would
# delete them after the first build and rebuild them on the second.
.SECONDARY:

.PHONY: cuda check-kernels bench-gpu
.PHONY: all check test check-unit check-cli check-asan check-valgrind bench \
        demo lint install uninstall clean deps fuzz fuzz-build
all: $(TOOLS) $(UNITS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(SAY) "  CC      $<"
	$(Q)$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/kernels/%.o: kernels/%.cu $(wildcard kernels/*.h)
	@mkdir -p $(dir $@)
	$(SAY) "  NVCC    $<"
	$(Q)$(NVCC) $(NVCC_FLAGS) $(NVCC_ARCH) -Ikernels -c -o $@ $<

# make cuda: the tools and test/kernels in build/cuda, where nvcc is.
cuda:
	$(Q)command -v $(NVCC) >/dev/null 2>&1 || { echo "make cuda: \
	    $(NVCC) not found (install the CUDA toolkit, or set NVCC)" >&2; \
	    exit 1; }
	$(Q)$(MAKE) --no-print-directory FL_CUDA_BUILD=1 all \
	    build/cuda/test/kernels/test_kernels

# test/kernels (the CUDA build's kernels against the reference), run
# through test/run; it skips, saying why, without a CUDA build or a GPU.
check-kernels:
	$(Q)test/run kernels

$(BUILD)/test/kernels/test_kernels: test/kernels/test_kernels.c $(LIBFL)
	@mkdir -p $(dir $@)
	$(SAY) "  CC      $<"
	$(Q)$(CC) $(ALL_CFLAGS) -Itest/unit $(LDFLAGS) -o $@ $< $(LIBFL) $(LIBS)

$(LIBFL): $(LIB_OBJ)
	$(SAY) "  AR      $@"
	$(Q)rm -f $@ && ar rcs $@ $^

# A tool is cmd/fl-NAME.c (its main), any cmd/NAME-*.c beside it, and
# cmd/cli*.c, the command-line helpers that print and exit and so stay out
# of libfl.
tool_objs = $(patsubst %.c,$(BUILD)/%.o,$(wildcard \
            cmd/$(patsubst fl-%,%,$(1))-*.c))
.SECONDEXPANSION:
$(BUILD)/bin/%: $(BUILD)/cmd/%.o $$(call tool_objs,$$*) $(CLI_OBJ) $(LIBFL) \
    $(TOOL_SHIM)
	@mkdir -p $(dir $@)
	$(SAY) "  LD      $@"
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(filter %.o,$^) $(LIBFL) $(TOOL_LIBS)

# Unit tests sit in the folder of the layer they test (test/unit/LAYER/),
# beside test/unit/unit.h.
$(BUILD)/test/unit/%.o: ALL_CFLAGS += -Itest/unit

$(BUILD)/test/%: $(BUILD)/test/unit/%.o $(LIBFL)
	@mkdir -p $(dir $@)
	$(SAY) "  LD      $@"
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIBFL) $(LIBS)

# The test suite: unit tests, then Bats; ends "N passed, N failed".  A
# plain `make check` adds a second pass under ASan and UBSan (test/run);
# with SANITIZE=1 the sanitizer build is the one and only pass.
SAN_ENV = $(if $(filter 1,$(SANITIZE)),FL_SANITIZE=1)
check test: all
	$(Q)BUILD=$(BUILD) $(SAN_ENV) test/run

check-unit: all
	$(Q)BUILD=$(BUILD) $(SAN_ENV) test/run unit

check-cli: all
	$(Q)BUILD=$(BUILD) $(SAN_ENV) test/run cli

check-asan:
	$(Q)$(MAKE) --no-print-directory SANITIZE=1 check

# Fuzzing (test/fuzz/README.md): libFuzzer targets built with clang
# against the library compiled with ASan, UBSan and fuzzer coverage, each
# run for FUZZ_TIME seconds on a scratch copy of its seed corpus.  The
# sealed-stream target needs lib/trust/seal.c and is left out without it.
FUZZ_CC      ?= clang
FUZZ_TIME    ?= 60
FUZZ_DIR      = build/fuzz
FUZZ_SAN      = -fsanitize=address,undefined -fno-sanitize-recover=undefined \
                -fno-omit-frame-pointer
FUZZ_CFLAGS   = -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE $(WARN) \
                -g -O1 $(FUZZ_SAN) -Ilib $(PKG_CFLAGS) $(BLAS_CFLAGS) -MMD -MP
FUZZ_ALL      = $(notdir $(basename $(sort $(wildcard test/fuzz/fuzz_*.c))))
FUZZ_TARGETS ?= $(patsubst fuzz_%,%,$(if $(wildcard lib/trust/seal.c),$(FUZZ_ALL),\
                $(filter-out fuzz_seal,$(FUZZ_ALL))))
FUZZ_BIN      = $(FUZZ_TARGETS:%=$(FUZZ_DIR)/fuzz_%)
FUZZ_OBJ      = $(LIB_SRC:%.c=$(FUZZ_DIR)/%.o)

$(FUZZ_DIR)/lib/%.o: lib/%.c
	@mkdir -p $(dir $@)
	$(SAY) "  FUZZCC  $<"
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -DCSV_BUF_INIT=16 -fsanitize=fuzzer-no-link \
	    -c -o $@ $<

$(FUZZ_DIR)/libfl.a: $(FUZZ_OBJ)
	$(SAY) "  AR      $@"
	$(Q)rm -f $@ && ar rcs $@ $^

$(FUZZ_DIR)/fuzz_%: test/fuzz/fuzz_%.c $(FUZZ_DIR)/libfl.a
	$(SAY) "  FUZZLD  $@"
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< \
	    $(FUZZ_DIR)/libfl.a $(LIBS)

fuzz-build: $(FUZZ_BIN)

fuzz: fuzz-build
	$(Q)FUZZ_DIR=$(FUZZ_DIR) FUZZ_TIME=$(FUZZ_TIME) test/fuzz/run $(FUZZ_TARGETS)

check-valgrind: all
	$(Q)BUILD=$(BUILD) FL_VALGRIND=1 test/run

demo: all
	$(Q)examples/quickstart.sh

bench: all
	$(Q)BUILD=$(BUILD) bench/run

deps:
	$(Q)test/deps

lint:
	$(Q)shellcheck -x test/run test/deps test/cli/helper.bash examples/*.sh \
	    examples/cron/*.sh examples/tree/*.sh test/fuzz/run test/fuzz/mkcorpus.sh \
	    bench/*.sh bench/run bench/value bench/digest-examples .ci/run \
	    completions/fl.bash
	$(Q)for m in man/*.[157]; do mandoc -Tlint -Wwarning $$m || exit 1; done

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 \
	    $(DESTDIR)$(PREFIX)/share/man/man5 $(DESTDIR)$(PREFIX)/share/man/man7 \
	    $(DESTDIR)$(PREFIX)/share/bash-completion/completions \
	    $(DESTDIR)$(PREFIX)/share/zsh/site-functions
	install -m 755 $(TOOLS) $(DESTDIR)$(PREFIX)/bin/
	install -m 644 man/*.1 $(DESTDIR)$(PREFIX)/share/man/man1/
	install -m 644 man/*.5 $(DESTDIR)$(PREFIX)/share/man/man5/
	install -m 644 man/*.7 $(DESTDIR)$(PREFIX)/share/man/man7/
	install -m 644 completions/fl.bash \
	    $(DESTDIR)$(PREFIX)/share/bash-completion/completions/fl
	for t in $(notdir $(TOOLS)); do ln -sf fl \
	    $(DESTDIR)$(PREFIX)/share/bash-completion/completions/$$t; done
	install -m 644 completions/_fl $(DESTDIR)$(PREFIX)/share/zsh/site-functions/
	install -d $(DESTDIR)$(PREFIX)/share/fl
	cp -R examples/. $(DESTDIR)$(PREFIX)/share/fl/

uninstall:
	rm -f $(addprefix $(DESTDIR)$(PREFIX)/bin/,$(notdir $(TOOLS)))
	rm -f $(addprefix $(DESTDIR)$(PREFIX)/share/man/man1/,$(notdir $(wildcard man/*.1)))
	rm -f $(addprefix $(DESTDIR)$(PREFIX)/share/man/man5/,$(notdir $(wildcard man/*.5)))
	rm -f $(addprefix $(DESTDIR)$(PREFIX)/share/man/man7/,$(notdir $(wildcard man/*.7)))
	rm -f $(DESTDIR)$(PREFIX)/share/bash-completion/completions/fl
	rm -f $(addprefix $(DESTDIR)$(PREFIX)/share/bash-completion/completions/,$(notdir $(TOOLS)))
	rm -f $(DESTDIR)$(PREFIX)/share/zsh/site-functions/_fl
	rm -rf $(DESTDIR)$(PREFIX)/share/fl

clean:
	rm -rf build

-include $(LIB_OBJ:.o=.d) $(CMD_ALL:%.c=$(BUILD)/%.d) $(UNIT_SRC:%.c=$(BUILD)/%.d)
ifneq ($(filter fuzz%,$(MAKECMDGOALS)),)
-include $(FUZZ_OBJ:.o=.d) $(FUZZ_BIN:=.d)
endif
