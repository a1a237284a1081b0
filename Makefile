# fastpath — build, test, demo, bench, install.
#
#   make            build everything into build/
#   make deps       install build/test/bench dependencies (Debian packages)
#   make test       run every test; ends with "N passed, N failed"
#   make demo       the built-in demo on a namespace lab
#   make bench      benchmarks against peers, printed as a table
#   make install    honours PREFIX and DESTDIR
#   make test SANITIZE=1
#                   the same, built with ASan and UBSan into build-san/

PREFIX  ?= /usr/local
DESTDIR ?=
ifeq ($(SANITIZE),1)
BUILD   ?= build-san
endif
BUILD   ?= build

CC      ?= gcc
CLANG   ?= clang
BPFTOOL ?= $(shell command -v bpftool 2>/dev/null || echo /usr/sbin/bpftool)
MULTIARCH := $(shell $(CC) -print-multiarch 2>/dev/null)

CFLAGS  ?= -O2 -g
CFLAGS  += -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE \
	   -Iinclude -Ibpf -Isrc/lib -I$(BUILD)/skel
BPF_CFLAGS := -O2 -g -target bpf -Wall -Werror -D__TARGET_ARCH_x86 \
	      -I/usr/include/$(MULTIARCH) -Ibpf
LDLIBS  := $(shell pkg-config --libs libbpf json-c yaml-0.1 libmicrohttpd libnl-route-3.0 2>/dev/null || \
	     echo -lbpf -lelf -lz -ljson-c -lyaml -lmicrohttpd -lnl-route-3 -lnl-3) -lxdp
CFLAGS  += $(shell pkg-config --cflags json-c libnl-route-3.0 2>/dev/null || \
	     echo -I/usr/include/libnl3)
# The version both binaries print (--version): git describe where this is
# a git checkout with tags, else the VERSION file.
FP_VERSION ?= $(shell git describe --tags --dirty 2>/dev/null || cat VERSION 2>/dev/null || echo unknown)
VERSION_CFLAGS := -DFP_VERSION='"$(FP_VERSION)"'

# SANITIZE=1: library, CLI, daemon, tests and benchmarks with ASan and
# UBSan (any UBSan report is fatal), in their own BUILD so the objects do
# not mix with the plain build. The BPF objects are the same either way.
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
ifeq ($(SANITIZE),1)
CFLAGS  += $(SAN_FLAGS)
endif

# Kernel half. Examples are user-style programs; the ones the CLI embeds get
# a skeleton too, so the binary needs no .o at run time.
BPF_HDRS     := $(wildcard bpf/*.h)
PIPE_SRCS    := $(wildcard bpf/*.bpf.c)
EXAMPLE_SRCS := $(wildcard examples/*.bpf.c)
TESTPROG_SRCS:= $(wildcard tests/progs/*.bpf.c)
BENCHPROG_SRCS:= $(wildcard bench/*.bpf.c)
EXAMPLE_OBJS := $(patsubst %.bpf.c,$(BUILD)/%.bpf.o,$(EXAMPLE_SRCS))
TESTPROG_OBJS:= $(patsubst %.bpf.c,$(BUILD)/%.bpf.o,$(TESTPROG_SRCS))
BENCHPROG_OBJS:= $(patsubst %.bpf.c,$(BUILD)/%.bpf.o,$(BENCHPROG_SRCS))
PIPE_OBJS    := $(patsubst %.bpf.c,$(BUILD)/%.bpf.o,$(PIPE_SRCS))
# The pipeline is compiled once more for each stage set here (name:STAGE,...),
# so that clang drops the other stages' code (bpf/pipeline.bpf.c,
# FP_COMPILED_FOR); the library loads the object compiled for exactly an
# interface's stages when there is one (src/lib/pipeline/pipeline_sets.c
# lists the same sets, and the object says which set it was built for).
# A set earns its place by a per-packet gain: firewall and flows compiled
# together ran no faster than the generic object and took the verifier
# twice as long (138K instructions against 68K).
PIPE_SETS    := firewall:FIREWALL xsk:XSK
PIPE_SET_OBJS:= $(foreach s,$(PIPE_SETS),$(BUILD)/bpf/sets/pipeline_$(firstword $(subst :, ,$s)).bpf.o)
pipe_set_mask = ($(foreach t,$(subst $(comma), ,$(word 2,$(subst :, ,$(filter $1:%,$(PIPE_SETS))))),FP_STAGE_BIT(FP_STAGE_$t) |) 0)
comma := ,
BPF_OBJS     := $(PIPE_OBJS) $(PIPE_SET_OBJS) $(EXAMPLE_OBJS) $(TESTPROG_OBJS) $(BENCHPROG_OBJS)
SKELS        := $(patsubst $(BUILD)/%.bpf.o,$(BUILD)/skel/%.skel.h,$(BPF_OBJS))

# Userspace half.
LIB_SRCS  := $(wildcard src/lib/*/*.c)
LIB_OBJS  := $(patsubst %.c,$(BUILD)/%.o,$(LIB_SRCS))
LIB       := $(BUILD)/libfastpath.a
CLI_SRCS  := $(wildcard src/cli/*.c)
CLI_OBJS  := $(patsubst %.c,$(BUILD)/%.o,$(CLI_SRCS))
CLI       := $(BUILD)/fastpath
DAEMON_SRCS := $(wildcard src/daemon/*.c)
DAEMON_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(DAEMON_SRCS))
DAEMON    := $(BUILD)/fastpathd

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst %.c,$(BUILD)/%,$(UNIT_SRCS))
BPFT_SRCS := $(wildcard tests/bpf/test_*.c)
TESTBPF_HDRS := $(wildcard tests/bpf/*.h)
BPFT_BINS := $(patsubst %.c,$(BUILD)/%,$(BPFT_SRCS))
BENCH_SRCS:= $(filter-out %.bpf.c,$(wildcard bench/*.c))
BENCH_BINS:= $(patsubst %.c,$(BUILD)/%,$(BENCH_SRCS))
EXAMPLE_C := $(filter-out %.bpf.c,$(wildcard examples/*.c))
EXAMPLE_BINS := $(patsubst %.c,$(BUILD)/%,$(EXAMPLE_C))
FN_SRCS   := $(wildcard examples/functions/*.c)
FN_BINS   := $(patsubst %.c,$(BUILD)/%,$(FN_SRCS))

.PHONY: all deps test demo bench install uninstall clean
.DELETE_ON_ERROR:
.SECONDARY:

all: $(CLI) $(DAEMON) $(BPF_OBJS) $(UNIT_BINS) $(BPFT_BINS) $(BENCH_BINS) $(EXAMPLE_BINS) $(FN_BINS)

deps:
	sh scripts/deps.sh

$(BUILD)/%.bpf.o: %.bpf.c $(BPF_HDRS)
	@mkdir -p $(@D)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/bpf/sets/pipeline_%.bpf.o: bpf/pipeline.bpf.c $(BPF_HDRS)
	@mkdir -p $(@D)
	$(CLANG) $(BPF_CFLAGS) '-DFP_COMPILED_FOR=$(call pipe_set_mask,$*)' -c $< -o $@

# Skeleton names are the file's base name: examples/xdp_port_count.bpf.c
# gives struct xdp_port_count in skel/examples/xdp_port_count.skel.h.
$(BUILD)/skel/%.skel.h: $(BUILD)/%.bpf.o
	@mkdir -p $(@D)
	$(BPFTOOL) gen skeleton $< name $(notdir $(basename $(basename $<))) > $@

$(BUILD)/src/%.o: src/%.c $(wildcard include/fastpath/*.h) $(wildcard src/lib/*/*.h) $(wildcard src/cli/*.h) $(BPF_HDRS) $(SKELS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c $< -o $@

# Only the two mains carry the version; they rebuild when it changes.
$(BUILD)/src/cli/fastpath.o $(BUILD)/src/daemon/fastpathd.o: CFLAGS += $(VERSION_CFLAGS)
$(BUILD)/src/cli/fastpath.o $(BUILD)/src/daemon/fastpathd.o: $(BUILD)/version
$(BUILD)/version: FORCE
	@mkdir -p $(@D)
	@echo '$(FP_VERSION)' | cmp -s - $@ || echo '$(FP_VERSION)' > $@
.PHONY: FORCE
FORCE:

$(LIB): $(LIB_OBJS)
	$(AR) rcs $@ $^

$(CLI): $(CLI_OBJS) $(LIB)
	$(CC) $(CFLAGS) $^ $(LDLIBS) -o $@

$(DAEMON): $(DAEMON_OBJS) $(LIB)
	$(CC) $(CFLAGS) $^ $(LDLIBS) -o $@

$(BUILD)/tests/unit/%: tests/unit/%.c $(LIB) $(wildcard include/fastpath/*.h)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $< $(LIB) $(LDLIBS) -lcmocka -o $@

$(BUILD)/tests/bpf/%: tests/bpf/%.c $(TESTBPF_HDRS) $(LIB) $(SKELS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Itests/bpf $< $(LIB) $(LDLIBS) -lcmocka -o $@

$(BUILD)/bench/%: bench/%.c $(TESTBPF_HDRS) $(LIB) $(SKELS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $< $(LIB) $(LDLIBS) -o $@

# Under SANITIZE=1 every report goes to a file in SAN_LOGS, where run.sh
# counts it as a failure: a report from a process whose output a test
# does not read (the daemon, a CLI run in the background) is not lost.
SAN_LOGS := $(abspath $(BUILD))/sanitizer-reports
ifeq ($(SANITIZE),1)
TEST_ENV := FP_SANITIZER_REPORTS=$(SAN_LOGS) \
	    ASAN_OPTIONS=log_path=$(SAN_LOGS)/asan:detect_leaks=1 \
	    UBSAN_OPTIONS=log_path=$(SAN_LOGS)/ubsan:print_stacktrace=1
endif

# Example applications on the library (examples/xsk_echo.c).
$(BUILD)/examples/%: examples/%.c $(LIB) $(wildcard include/fastpath/*.h)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $< $(LIB) $(LDLIBS) -o $@
# Function handlers: plain programs, no library.
$(BUILD)/examples/functions/%: examples/functions/%.c
	@mkdir -p $(@D)
	$(CC) -O2 -g -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE $< -o $@

test: all
	@rm -rf $(SAN_LOGS)
	@$(TEST_ENV) sh tests/run.sh $(BUILD)

demo: all
	@sh examples/demo.sh $(BUILD)

bench: all
	@sh bench/run.sh $(BUILD)

SYSTEMDDIR ?= $(PREFIX)/lib/systemd/system
DOCDIR     ?= $(PREFIX)/share/doc/fastpath

install: $(CLI) $(DAEMON) $(EXAMPLE_OBJS)
	install -d $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(PREFIX)/share/fastpath/examples \
		$(DESTDIR)$(SYSTEMDDIR) $(DESTDIR)$(DOCDIR)
	install -m 0755 $(CLI) $(DESTDIR)$(PREFIX)/sbin/fastpath
	install -m 0755 $(DAEMON) $(DESTDIR)$(PREFIX)/sbin/fastpathd
	install -m 0644 examples/fastpath.yaml $(DESTDIR)$(PREFIX)/share/fastpath/examples/
	install -m 0644 docs/*.md $(DESTDIR)$(DOCDIR)/
	sed 's|@SBINDIR@|$(PREFIX)/sbin|g; s|@DOCDIR@|$(DOCDIR)|g' packaging/fastpathd.service.in \
		> $(DESTDIR)$(SYSTEMDDIR)/fastpathd.service
	install -m 0644 $(EXAMPLE_OBJS) $(EXAMPLE_SRCS) $(DESTDIR)$(PREFIX)/share/fastpath/examples/

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/sbin/fastpath $(DESTDIR)$(PREFIX)/sbin/fastpathd
	rm -f $(DESTDIR)$(SYSTEMDDIR)/fastpathd.service
	rm -rf $(DESTDIR)$(PREFIX)/share/fastpath $(DESTDIR)$(DOCDIR)

clean:
	rm -rf $(BUILD)

# The DHCP fuzzer runs the parser and the server core under ASan and
# UBSan. It compiles their sources itself, so the library (and everything
# linked with it) stays uninstrumented; the rest comes from the library.
FUZZ_FLAGS := $(SAN_FLAGS)
DHCP_SRCS  := src/lib/dhcp/dhcp_proto.c src/lib/dhcp/dhcp_lease.c src/lib/dhcp/dhcp_journal.c src/lib/dhcp/dhcp_record.c src/lib/dhcp/dhcp_decide.c
$(BUILD)/tests/unit/test_dhcp_fuzz: tests/unit/test_dhcp_fuzz.c $(DHCP_SRCS) $(LIB) $(wildcard include/fastpath/*.h) $(BPF_HDRS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(FUZZ_FLAGS) $< $(DHCP_SRCS) $(LIB) $(LDLIBS) -lcmocka -o $@

# ---- packaging: man pages, bash completion, Debian package ---------------
MANDIR     ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
MAN_PAGES  := docs/man/fastpath.8 docs/man/fastpathd.8 docs/man/fastpath.yaml.5

.PHONY: install-packaging uninstall-packaging deb
install: install-packaging
uninstall: uninstall-packaging

install-packaging:
	install -d $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(BASHCOMPDIR)
	install -m 0644 $(filter %.8,$(MAN_PAGES)) $(DESTDIR)$(MANDIR)/man8/
	install -m 0644 $(filter %.5,$(MAN_PAGES)) $(DESTDIR)$(MANDIR)/man5/
	install -m 0644 packaging/fastpath.bash-completion $(DESTDIR)$(BASHCOMPDIR)/fastpath
	ln -sf fastpath $(DESTDIR)$(BASHCOMPDIR)/fastpathd

uninstall-packaging:
	rm -f $(DESTDIR)$(MANDIR)/man8/fastpath.8 $(DESTDIR)$(MANDIR)/man8/fastpathd.8 \
		$(DESTDIR)$(MANDIR)/man5/fastpath.yaml.5
	rm -f $(DESTDIR)$(BASHCOMPDIR)/fastpath $(DESTDIR)$(BASHCOMPDIR)/fastpathd

# The .deb lands in $(BUILD)/; see packaging/deb.sh.
deb: $(CLI) $(DAEMON) $(EXAMPLE_OBJS)
	sh packaging/deb.sh $(BUILD)
