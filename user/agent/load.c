// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Open, configure, load: the BPF object is opened, told what this run wants (read-only data,
 * map sizes) and what this kernel lacks (programs not loaded), and only then loaded. Never
 * open_and_load(): the read-only data must be set before the verifier sees the programs.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "credwatch.skel.h"
#include "agent/caps.h"
#include "agent/instance.h"
#include "agent/libbpf_log.h"
#include "agent/state.h"
#include "util/log.h"

#define TRACEFS "/sys/kernel/tracing"
#define DEBUGFS_TRACING "/sys/kernel/debug/tracing"

/* The program the kernel refused at load, and the verifier's last word on it. */
static struct cw_refusal refused;

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list args)
{
	char *msg = NULL;
	int ret = 0;

	if (level == LIBBPF_WARN) {
		va_list copy;

		va_copy(copy, args);
		if (vasprintf(&msg, fmt, copy) >= 0)
			cw_refusal_note(&refused, msg);
		va_end(copy);
	}
	if (cw_verbose && (level != LIBBPF_DEBUG || cw_verbose >= 2))
		ret = msg ? fputs(msg, stderr) : vfprintf(stderr, fmt, args);
	free(msg);
	return ret;
}

int cw_agent_ensure_tracefs(void)
{
	if (access(TRACEFS "/events", F_OK) == 0 || access(DEBUGFS_TRACING "/events", F_OK) == 0)
		return 0;
	if (mount("nodev", TRACEFS, "tracefs", 0, NULL)) {
		int e = errno;

		cw_log("tracefs not mounted at " TRACEFS " and mounting it failed: %s%s",
		       strerror(e), e == EPERM ? " (mounting it needs CAP_SYS_ADMIN)" : "");
		return -e;
	}
	cw_debug("mounted tracefs at " TRACEFS);
	return 0;
}

static int count_cpus(struct cw_agent *a)
{
	a->ncpus = libbpf_num_possible_cpus();
	if (a->ncpus <= 0) {
		cw_log("cannot count CPUs: %s", strerror(-a->ncpus));
		return a->ncpus ? a->ncpus : -EINVAL;
	}
	return 0;
}

/* Can we use bpf() at all? A one-entry array map answers without side effects. */
static int check_bpf_permitted(void)
{
	int ret = bpf_map_create(BPF_MAP_TYPE_ARRAY, "cw_probe", 4, 4, 1, NULL);

	if (ret >= 0) {
		close(ret);
		return 0;
	}
	ret = -errno;
	if (ret == -EPERM || ret == -EACCES) {
		cw_log("BPF not permitted: %s (needs CAP_BPF and CAP_PERFMON; check "
		       "kernel.unprivileged_bpf_disabled, lockdown, seccomp or the container's "
		       "capabilities)",
		       strerror(-ret));
		return ret;
	}
	return 0; /* another failure: loading says what it is */
}

/*
 * What this kernel lacks: the ring buffer and bpf_loop are required (every event goes through
 * the one; the path filter and HTTP/2 frame following are built on the other); without
 * uprobes TLS plaintext is not captured and the rest runs.
 */
static int check_features(struct cw_agent *a)
{
	bool uprobes;

	cw_features_probe(&a->feats);
	/* what the capabilities allow: a missing one is said here, once (caps.h) */
	uprobes = a->feats.have[CW_FEAT_UPROBES];
	if (cw_caps_check(cw_caps_effective(), &uprobes))
		return -EPERM;
	if (a->feats.have[CW_FEAT_UPROBES] && !uprobes) {
		a->feats.have[CW_FEAT_UPROBES] = false;	  /* said already */
		a->feats.have[CW_FEAT_HOLD_EXEC] = false; /* it only serves TLS probes */
	} else {
		uprobes = true; /* the kernel's lack is said below */
	}
	if (!a->feats.have[CW_FEAT_RINGBUF]) {
		cw_log("this kernel has no BPF ring buffer (Linux 5.8 or later is required)");
		return -EOPNOTSUPP;
	}
	if (!a->feats.have[CW_FEAT_BPF_LOOP]) {
		cw_log("this kernel has no bpf_loop helper (Linux 5.17 or later is required): the "
		       "watched-file path filter and HTTP/2 frame following are built on it");
		return -EOPNOTSUPP;
	}
	if (!a->feats.have[CW_FEAT_UPROBES] && uprobes)
		cw_log("no uprobes on this kernel (CONFIG_UPROBE_EVENTS): TLS plaintext is not "
		       "captured; exec, watched files and plain TCP are");
	else if (uprobes && !a->feats.have[CW_FEAT_HOLD_EXEC])
		cw_log("no bpf_send_signal, signal_generate tracepoint or hash lookup-and-delete: "
		       "a new executable is not held at its first exec, and what it sends before "
		       "its TLS probes attach is not seen");
	return 0;
}

/* Without uprobes the TLS programs are not loaded: nothing could attach them. */
static void set_tls_probes(struct cw_agent *a)
{
	struct bpf_program *prog;

	/* the signal probe serves only the holding of new executables */
	bpf_program__set_autoload(a->skel->progs.handle_signal,
				  a->feats.have[CW_FEAT_HOLD_EXEC] &&
					  a->feats.have[CW_FEAT_UPROBES]);
	if (a->feats.have[CW_FEAT_UPROBES])
		return;
	bpf_object__for_each_program(prog, a->skel->obj) if (bpf_program__type(prog) ==
							     BPF_PROG_TYPE_KPROBE)
		bpf_program__set_autoload(prog, false);
}

static int open_object(struct cw_agent *a, const struct cw_agent_opts *o)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo, .btf_custom_path = o->btf);
	int ret;

	a->skel = credwatch_bpf__open_opts(&oo);
	if (!a->skel) {
		ret = -errno;
		cw_log("cannot open BPF object: %s", strerror(-ret));
		return ret;
	}
	return 0;
}

/* What the probes read as constants: the verifier prunes what they turn off. */
static void set_rodata(struct cw_agent *a, const struct cw_agent_opts *o)
{
	uint64_t exe_ino;
	uint32_t exe_dev;

	a->skel->rodata->cw_capture_env = !o->no_env;
	a->skel->rodata->cw_include_loopback = o->include_loopback;
	a->skel->rodata->cw_payload_cap = (__u32)o->payload_cap;
	a->skel->rodata->cw_payload_budget = o->payload_budget;
	a->skel->rodata->cw_wakeup_bytes = o->ringbuf_size / 16;
	a->skel->rodata->cw_capture_inbound = o->capture_inbound;
	a->skel->rodata->cw_self_tgid = (__u32)getpid();
	/* every agent running this executable as root, another instance too (instance.h) */
	if (!cw_instance_self_exe(&exe_ino, &exe_dev)) {
		a->skel->rodata->cw_self_exe_ino = exe_ino;
		a->skel->rodata->cw_self_exe_dev = exe_dev;
	} else {
		cw_log("cannot stat /proc/self/exe: another credwatch agent's reads of "
		       "credential files are not told apart");
	}
	a->skel->rodata->cw_file_cap = (__u32)o->file_cap;
	a->skel->rodata->cw_capture_reads = o->capture_reads;
	a->skel->rodata->cw_hold_new_exes =
		a->feats.have[CW_FEAT_HOLD_EXEC] && a->feats.have[CW_FEAT_UPROBES];
}

/* File capture off, or syscalls this kernel does not have (open(2) on arm64): not loaded. */
static void set_file_probes(struct cw_agent *a, const struct cw_agent_opts *o)
{
	struct {
		struct bpf_program *prog;
		const char *tp;
	} progs[] = {
		{ a->skel->progs.handle_openat, "sys_enter_openat" },
		{ a->skel->progs.handle_openat_exit, "sys_exit_openat" },
		{ a->skel->progs.handle_openat2, "sys_enter_openat2" },
		{ a->skel->progs.handle_openat2_exit, "sys_exit_openat2" },
		{ a->skel->progs.handle_open, "sys_enter_open" },
		{ a->skel->progs.handle_open_exit, "sys_exit_open" },
		{ a->skel->progs.handle_read, "sys_enter_read" },
		{ a->skel->progs.handle_read_exit, "sys_exit_read" },
		{ a->skel->progs.handle_pread64, "sys_enter_pread64" },
		{ a->skel->progs.handle_pread64_exit, "sys_exit_pread64" },
		{ a->skel->progs.handle_readv, "sys_enter_readv" },
		{ a->skel->progs.handle_readv_exit, "sys_exit_readv" },
	};

	for (size_t i = 0; i < sizeof(progs) / sizeof(progs[0]); i++) {
		bool reads = strstr(progs[i].tp, "read") != NULL;
		bool on = !o->no_files && (!reads || o->capture_reads) &&
			  cw_tracepoint_exists("syscalls", progs[i].tp);

		if (!o->no_files && (!reads || o->capture_reads) && !on)
			cw_log("no tracepoint syscalls/%s on this kernel: not watching through it",
			       progs[i].tp);
		bpf_program__set_autoload(progs[i].prog, on);
	}
}

/* Without cgroup tracepoints new cgroups are found by walking (host/workload.c). */
static void set_cgroup_probes(struct cw_agent *a)
{
	if (!a->feats.have[CW_FEAT_CGROUP_TP]) {
		cw_log("no cgroup tracepoints: new cgroups are found by walking the hierarchy");
		bpf_program__set_autoload(a->skel->progs.handle_cgroup_rmdir, false);
		bpf_program__set_autoload(a->skel->progs.handle_cgroup_mkdir, false);
	}
}

static void set_map_sizes(struct cw_agent *a, const struct cw_agent_opts *o)
{
	bpf_map__set_max_entries(a->skel->maps.events, (__u32)o->ringbuf_size);
	bpf_map__set_max_entries(a->skel->maps.exec_scratch, (__u32)a->ncpus);
}

static int load_object(struct cw_agent *a)
{
	int ret = credwatch_bpf__load(a->skel);

	if (ret) {
		if (refused.prog[0])
			cw_log("cannot load BPF program %s: the kernel's verifier refused it%s%s "
			       "(run "
			       "with -v for its whole log)",
			       refused.prog, refused.why[0] ? ": " : "", refused.why);
		else if (ret == -EPERM)
			cw_log("BPF not permitted: %s (needs CAP_BPF and CAP_PERFMON; check "
			       "kernel.unprivileged_bpf_disabled, lockdown, seccomp, or run with "
			       "-v)",
			       strerror(-ret));
		else
			cw_log("cannot load BPF programs: %s (run with -v for the verifier log)",
			       strerror(-ret));
		return ret;
	}
	a->drops_fd = bpf_map__fd(a->skel->maps.drops);
	a->h2_streams_fd = bpf_map__fd(a->skel->maps.h2_streams);
	return 0;
}

int cw_agent_load(struct cw_agent *a, const struct cw_agent_opts *o)
{
	int ret = count_cpus(a);

	if (ret)
		return ret;
	libbpf_set_print(libbpf_print);
	ret = check_bpf_permitted();
	if (!ret)
		ret = check_features(a);
	if (!ret)
		ret = open_object(a, o);
	if (ret)
		return ret;
	set_rodata(a, o);
	set_file_probes(a, o);
	set_cgroup_probes(a);
	set_tls_probes(a);
	set_map_sizes(a, o);
	return load_object(a);
}
