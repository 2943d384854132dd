# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# credwatch build. `make` builds ./credwatch; `make test` runs every test; `make asan` builds
# ./credwatch-asan and the unit tests with AddressSanitizer + UndefinedBehaviorSanitizer.

OUTPUT ?= .output
BIN ?= credwatch
CLANG ?= clang
CC ?= cc
# bpftool from PATH when it runs; else Ubuntu's per-kernel copy under /usr/lib/linux-tools.
BPFTOOL ?= $(shell (bpftool version >/dev/null 2>&1 && command -v bpftool) || \
	     (test -x /usr/sbin/bpftool && echo /usr/sbin/bpftool) || \
	     ls /usr/lib/linux-tools/*/bpftool 2>/dev/null | tail -n 1)
PKG_CONFIG ?= pkg-config
ARCH ?= $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
VMLINUX_DIR := vmlinux/$(ARCH)

ifeq ($(wildcard $(VMLINUX_DIR)/vmlinux.h),)
$(error no $(VMLINUX_DIR)/vmlinux.h for ARCH=$(ARCH): run scripts/gen-vmlinux on such a host)
endif

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

LIBS := $(shell $(PKG_CONFIG) --libs libbpf libpcre2-8 yaml-0.1 libcrypto libhs libnghttp2 capstone jansson libcurl libssl 2>/dev/null || \
	  echo -lbpf -lpcre2-8 -lyaml -lcrypto -lhs -lnghttp2 -lcapstone -ljansson -lcurl -lssl) -lelf -lisal -lseccomp -lz -lm -lpthread
comma := ,
SAN_FLAGS := $(if $(SAN),-fsanitize=address$(comma)undefined -fno-omit-frame-pointer \
	     -fno-sanitize-recover=all)
CFLAGS ?= -g -O2
ALL_CFLAGS := $(CFLAGS) -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE \
	      -Iinclude -Iuser -I$(OUTPUT) -I/usr/include/hs -MMD -MP $(SAN_FLAGS)
ALL_LDFLAGS := $(LDFLAGS) $(SAN_FLAGS)
# BPF_DEFINES: bench/tls_overhead builds a measuring variant with it (-DCW_BENCH_EMPTY_TLS).
BPF_DEFINES ?=
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Wall -Wextra -Werror \
	      -Iinclude -I$(VMLINUX_DIR) -MMD -MP $(BPF_DEFINES)

BPF_SRCS := $(wildcard bpf/*.bpf.c)
BPF_OBJS := $(patsubst bpf/%.bpf.c,$(OUTPUT)/bpf/%.bpf.o,$(BPF_SRCS))
USER_SRCS := $(wildcard user/*/*.c)
USER_OBJS := $(patsubst user/%.c,$(OUTPUT)/user/%.o,$(USER_SRCS)) $(OUTPUT)/embedded_rules.o \
	     $(OUTPUT)/embedded_policy.o
# The agent's steps that drive the generated BPF skeleton (open, load, attach, maps, ring
# buffer). tls_attach.o and first_exec.o include it too, for program and map handles only:
# unit tests link them.
AGENT_SKEL_OBJS := $(patsubst %,$(OUTPUT)/user/agent/%.o,agent attach load maps ringbuf)
# The commands that run the agent (run, trace) or its pipeline (replay), and the replay driver.
AGENT_RUN_OBJS := $(patsubst %,$(OUTPUT)/user/%.o,cli/run cli/trace cli/replay cli/timeline trace/replay)
# Everything but the entry point, the commands that start the agent, and those: what the
# unit tests link against.
LIB_OBJS := $(filter-out $(OUTPUT)/user/cli/main.o $(AGENT_RUN_OBJS) $(AGENT_SKEL_OBJS), \
	    $(USER_OBJS))
RULES := $(sort $(wildcard rules/*.yaml))
UNIT_SRCS := $(wildcard tests/unit/*.c)
UNIT_OBJS := $(patsubst tests/unit/%.c,$(OUTPUT)/tests/unit/%.o,$(UNIT_SRCS))
UNIT_BIN := $(OUTPUT)/unit-tests

.PHONY: all clean test unit e2e asan test-asan format check-format bench-tools verifier-stats vm-test \
	fuzz fuzz-build
.DELETE_ON_ERROR:

all: $(BIN)

$(OUTPUT) $(OUTPUT)/bpf $(OUTPUT)/tests/unit:
	$(Q)mkdir -p $@

$(OUTPUT)/bpf/%.bpf.o: bpf/%.bpf.c | $(OUTPUT)/bpf
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

# All probes link into one object so they share the ring buffer and counters.
$(OUTPUT)/credwatch.bpf.o: $(BPF_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(BPFTOOL) gen object $@ $^

$(OUTPUT)/credwatch.skel.h: $(OUTPUT)/credwatch.bpf.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name credwatch_bpf > $@

$(OUTPUT)/embedded_rules.c: $(RULES) scripts/embed-rules | $(OUTPUT)
	$(call msg,EMBED,$@)
	$(Q)scripts/embed-rules $(RULES) > $@

$(OUTPUT)/embedded_rules.o: $(OUTPUT)/embedded_rules.c
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -c $< -o $@

# The default policy compiled into the binary (cw_embedded_policy, policy.h).
$(OUTPUT)/embedded_policy.c: policy/default.yaml scripts/embed-policy | $(OUTPUT)
	$(call msg,EMBED,$@)
	$(Q)scripts/embed-policy policy/default.yaml > $@

$(OUTPUT)/embedded_policy.o: $(OUTPUT)/embedded_policy.c
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -c $< -o $@

# The version the build names (util/version.h): VERSION=... (the Dockerfile's), else
# `git describe` of the checkout, else "dev". The header is rewritten only when it changes, so
# only util/version.o is rebuilt, and always when the version moves.
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
$(OUTPUT)/cw_version_gen.h: FORCE | $(OUTPUT)
	$(Q)printf '#define CW_VERSION "%s"\n' '$(subst ','',$(subst ",,$(subst \,,$(VERSION))))' >$@.tmp
	$(Q)if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv $@.tmp $@; fi
$(OUTPUT)/user/util/version.o $(OUTPUT)/fuzz/obj/user/util/version.o: $(OUTPUT)/cw_version_gen.h
FORCE:

# Objects that include the generated skeleton must wait for it (parallel builds).
$(AGENT_SKEL_OBJS) $(OUTPUT)/user/agent/tls_attach.o $(OUTPUT)/user/agent/first_exec.o: \
	$(OUTPUT)/credwatch.skel.h

$(OUTPUT)/user/%.o: user/%.c
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) -c $< -o $@

$(BIN): $(USER_OBJS)
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(ALL_LDFLAGS) $^ $(LIBS) -o $@

$(OUTPUT)/tests/unit/%.o: tests/unit/%.c | $(OUTPUT)/tests/unit
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -Itests/unit -c $< -o $@

$(UNIT_BIN): $(UNIT_OBJS) $(LIB_OBJS)
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(ALL_LDFLAGS) $^ $(LIBS) -o $@

unit: $(UNIT_BIN)
	$(Q)$(UNIT_BIN)

# Every test: the layering check, unit tests, end-to-end tests (root; skipped with a message
# when not root), and the kernel VM smoke test (skipped when qemu is missing). Ends with the
# "N passed, N failed" line CI reads.
test: $(BIN) $(UNIT_BIN)
	$(Q)tests/run --unit $(UNIT_BIN) --bin ./$(BIN)

e2e: $(BIN)
	$(Q)tests/run --bin ./$(BIN) --only e2e

# The smoke test on Debian 12's 6.1 kernel in qemu (tests/vm/run), alone.
vm-test: $(BIN)
	$(Q)tests/run --bin ./$(BIN) --only vm

asan:
	$(Q)$(MAKE) --no-print-directory OUTPUT=.output/asan BIN=credwatch-asan SAN=1 \
		credwatch-asan .output/asan/unit-tests

test-asan: asan
	$(Q)tests/run --unit .output/asan/unit-tests --bin ./credwatch-asan

# bench/tls_overhead's trap-only probe (bench/uprobe_trap.c).
$(OUTPUT)/bench:
	$(Q)mkdir -p $@

$(OUTPUT)/bench/uprobe_count.bpf.o: bench/uprobe_count.bpf.c | $(OUTPUT)/bench
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(OUTPUT)/bench/uprobe-trap: bench/uprobe_trap.c $(LIB_OBJS) | $(OUTPUT)/bench
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) $^ $(LIBS) -o $@

# bench/sink_throughput's driver (bench/sink_push.c): findings through one sink, in batches.
$(OUTPUT)/bench/sink-push: bench/sink_push.c $(LIB_OBJS) | $(OUTPUT)/bench
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) $^ $(LIBS) -o $@

# bench/outputs_overhead's load (bench/exec_burst.c): execs with a token in argv, back to back.
$(OUTPUT)/bench/exec-burst: bench/exec_burst.c | $(OUTPUT)/bench
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $< -o $@

# bench/podmeta_memory's program (bench/podmeta_memory.c): 500 pods in the metadata cache.
$(OUTPUT)/bench/podmeta-memory: bench/podmeta_memory.c $(LIB_OBJS) | $(OUTPUT)/bench
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) $^ $(LIBS) -o $@

# bench/trace_write's program (bench/trace_write.c): the trace file layer's writing speed, with
# the chosen chunk encoder and (trace-write-zlib) with zlib's, side by side.
$(OUTPUT)/bench/trace-write: bench/trace_write.c bench/trace_write_events.c user/util/tracefile.c \
			     user/util/fileio.c | $(OUTPUT)/bench
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) $^ -lcrypto -lisal -lz -o $@

$(OUTPUT)/bench/trace-write-zlib: bench/trace_write.c bench/trace_write_events.c \
				  user/util/tracefile.c user/util/fileio.c | $(OUTPUT)/bench
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -DCW_TRACE_ENCODER_ZLIB $(ALL_LDFLAGS) $^ -lcrypto -lz -o $@

# bench/flight_memory's program (bench/flight_memory.c): the flight recorder's memory under load.
$(OUTPUT)/bench/flight-memory: bench/flight_memory.c bench/trace_write_events.c $(LIB_OBJS) \
			       | $(OUTPUT)/bench
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) $^ $(LIBS) -o $@

bench-tools: $(OUTPUT)/bench/uprobe-trap $(OUTPUT)/bench/uprobe_count.bpf.o $(OUTPUT)/bench/sink-push \
	     $(OUTPUT)/bench/exec-burst $(OUTPUT)/bench/podmeta-memory $(OUTPUT)/bench/trace-write \
	     $(OUTPUT)/bench/trace-write-zlib $(OUTPUT)/bench/flight-memory

# The verifier's budget per BPF program on the running kernel (instructions processed, stack
# depth and the deepest call chain): `tests/vm/run --verifier-stats` gives the same on 6.1.
$(OUTPUT)/verifier-stats: tests/vm/verifier_stats.c | $(OUTPUT)
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) $< -lbpf -lelf -lz -o $@

verifier-stats: $(OUTPUT)/verifier-stats $(OUTPUT)/credwatch.bpf.o
	$(Q)$(OUTPUT)/verifier-stats $(OUTPUT)/credwatch.bpf.o

# libFuzzer targets (clang): tests/fuzz/fuzz_NAME.c, linked with FUZZ_LINK_NAME (sources: each is
# compiled once under $(FUZZ_DIR)/obj with ASan+UBSan and coverage, shared by every target, so
# one parallel `make fuzz-build` is quick). Seed inputs: tests/fuzz/corpus/NAME/ (read-only;
# what libFuzzer adds goes to $(FUZZ_DIR)/corpus/NAME) and, optionally, what
# tests/fuzz/seed_NAME.c writes there (args: the corpus dir and a key file it may write, handed
# to the target as CW_FUZZ_KEY). Every input in tests/fuzz/regress/NAME/ (a crash once found)
# is replayed first. `make fuzz` runs each target for FUZZ_SECONDS; not in `make test`
# (tests/run --only fuzz runs each briefly).
FUZZ_SECONDS ?= 300
FUZZ_DIR := $(OUTPUT)/fuzz
FUZZ_NAMES := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_SEEDS := $(patsubst tests/fuzz/seed_%.c,%,$(wildcard tests/fuzz/seed_*.c)) decode
# FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION (OSS-Fuzz's name): checksums pass, see tracefile.c.
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all
# -Wno-string-plus-int: clang's warning on `LITERAL + offset` (http2.c), which gcc, the
# build's compiler, does not have.
FUZZ_CFLAGS := -g -O1 -std=gnu11 -Wall -Wextra -Werror -Wno-string-plus-int -D_GNU_SOURCE \
	       -Iinclude -Iuser -I$(OUTPUT) -I/usr/include/hs -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION \
	       $(FUZZ_SAN) -MMD -MP
FUZZ_LINK_tracefile := user/util/tracefile.c user/util/fileio.c
FUZZ_LINK_record := user/trace/record.c user/host/hosttap.c
FUZZ_LINK_decoder := user/events/decoder.c
FUZZ_LINK_http := user/events/protocol.c user/events/http2.c
FUZZ_LINK_codec := user/detect/jwt.c user/detect/validate.c user/util/codec.c \
		   user/detect/example_gen.c
# The matcher with the embedded rules, and what it calls.
FUZZ_LINK_detect := $(wildcard user/detect/*.c) $(wildcard user/util/*.c) $(OUTPUT)/embedded_rules.c
FUZZ_LINK_decode := $(FUZZ_LINK_detect)
FUZZ_LINK_credfile := $(FUZZ_LINK_detect)
FUZZ_LINK_yaml := $(FUZZ_LINK_detect) $(wildcard user/judge/policy*.c) user/judge/path_glob.c \
		  user/judge/destinations.c user/judge/apiserver.c user/host/hosttap.c \
		  user/host/image_ref.c \
		  user/host/pod_snapshot.c user/host/podmeta.c \
		  $(OUTPUT)/embedded_policy.c
FUZZ_LINK_provenance := user/judge/provenance.c user/judge/provenance_file.c \
			user/util/json_writer.c user/util/fileio.c user/util/utf8.c
FUZZ_LINK_proc := $(wildcard user/host/*.c) $(wildcard user/util/*.c)
FUZZ_LINK_probepoint := user/agent/probepoint.c
FUZZ_LINK_elf := user/agent/tls_symbols.c user/agent/probepoint.c user/util/fileio.c
# The object of each FUZZ_LINK source: user/X/Y.c -> obj/user/X/Y.o, $(OUTPUT)/Y.c -> obj/Y.o.
fuzz_objs = $(patsubst $(OUTPUT)/%.c,$(FUZZ_DIR)/obj/%.o,$(patsubst user/%.c,$(FUZZ_DIR)/obj/user/%.o,$(1)))
FUZZ_OBJS := $(sort $(foreach t,$(FUZZ_NAMES),$(call fuzz_objs,$(FUZZ_LINK_$(t)))))
# Made through pattern rules, but kept: every target links them.
.SECONDARY: $(FUZZ_OBJS)

$(FUZZ_DIR):
	$(Q)mkdir -p $@

$(FUZZ_DIR)/obj/user/%.o: user/%.c
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

$(FUZZ_DIR)/obj/%.o: $(OUTPUT)/%.c
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

.SECONDEXPANSION:
$(FUZZ_DIR)/fuzz_%: tests/fuzz/fuzz_%.c $$(call fuzz_objs,$$(FUZZ_LINK_$$*)) | $(FUZZ_DIR)
	$(call msg,FUZZ,$@)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer $< $(call fuzz_objs,$(FUZZ_LINK_$*)) $(LIBS) -o $@

# Seed writers run the same (sanitized) objects, without libFuzzer's main.
$(FUZZ_DIR)/seed_%: tests/fuzz/seed_%.c $$(call fuzz_objs,$$(FUZZ_LINK_$$*)) | $(FUZZ_DIR)
	$(call msg,BINARY,$@)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) $< $(call fuzz_objs,$(FUZZ_LINK_$*)) $(LIBS) -o $@

# seed_credfile writes fuzz_decode's seeds too when called seed_decode.
$(FUZZ_DIR)/seed_decode: $(FUZZ_DIR)/seed_credfile
	$(Q)ln -sf seed_credfile $@

fuzz-build: $(addprefix $(FUZZ_DIR)/fuzz_,$(FUZZ_NAMES)) $(addprefix $(FUZZ_DIR)/seed_,$(FUZZ_SEEDS))

# Per target: seeds, the regression inputs once, then FUZZ_SECONDS of fuzzing (an input that
# takes 20 s is a hang, reported as a crash is).
fuzz: fuzz-build
	$(Q)set -e; for t in $(FUZZ_NAMES); do \
		corpus=$(FUZZ_DIR)/corpus/$$t; mkdir -p $$corpus; seeds=; \
		if [ -x $(FUZZ_DIR)/seed_$$t ]; then $(FUZZ_DIR)/seed_$$t $$corpus $(FUZZ_DIR)/$$t.key; fi; \
		if [ -d tests/fuzz/corpus/$$t ]; then seeds=tests/fuzz/corpus/$$t; fi; \
		if [ -d tests/fuzz/regress/$$t ]; then \
			echo "  REPLAY   $$t: $$(ls tests/fuzz/regress/$$t | wc -l) regression inputs"; \
			CW_FUZZ_KEY=$(FUZZ_DIR)/$$t.key $(FUZZ_DIR)/fuzz_$$t \
				-artifact_prefix=$(FUZZ_DIR)/$$t- tests/fuzz/regress/$$t/*; \
		fi; \
		echo "  FUZZ     $$t for $(FUZZ_SECONDS) s"; \
		CW_FUZZ_KEY=$(FUZZ_DIR)/$$t.key $(FUZZ_DIR)/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) \
			-timeout=20 -print_final_stats=1 -artifact_prefix=$(FUZZ_DIR)/$$t- \
			$$corpus $$seeds; \
	done

-include $(FUZZ_OBJS:.o=.d) $(wildcard $(FUZZ_DIR)/*.d)

# Every C source is formatted by the checked-in .clang-format; CI fails on a file that is not.
FORMAT_SRCS = $(wildcard bpf/*.c bpf/*.h include/*.h user/*/*.c user/*/*.h tests/unit/*.c \
		tests/unit/*.h tests/fuzz/*.c tests/vm/*.c bench/*.c)

format:
	$(Q)clang-format -i $(FORMAT_SRCS)

check-format:
	$(Q)bad=0; for f in $(FORMAT_SRCS); do \
		clang-format --dry-run --Werror $$f 2>/dev/null || { echo "not formatted: $$f"; bad=1; }; \
	done; \
	if [ $$bad = 1 ]; then echo "run 'make format'"; exit 1; fi

clean:
	$(call msg,CLEAN,)
	$(Q)rm -rf .output credwatch credwatch-asan

-include $(BPF_OBJS:.o=.d) $(USER_OBJS:.o=.d) $(UNIT_OBJS:.o=.d)
