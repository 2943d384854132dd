// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * credwatch run: the host agent. open -> configure -> load -> attach, then drain the ring
 * buffer into the decoder and the findings, reporting kernel-side drops as they happen.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "cli/commands.h"
#include "credwatch.skel.h"
#include "events/decoder.h"
#include "events/connections.h"
#include "events/exec.h"
#include "judge/exposure.h"
#include "events/files.h"
#include "agent/tls_attach.h"
#include "output/finding.h"
#include "detect/fingerprint.h"
#include "util/hash.h"
#include "util/log.h"
#include "detect/matcher.h"
#include "judge/policy.h"
#include "host/procs.h"
#include "judge/provenance.h"
#include "detect/rules.h"
#include "host/workload.h"

#define TRACEFS "/sys/kernel/tracing"
#define DEBUGFS_TRACING "/sys/kernel/debug/tracing"
#define KERNEL_BTF "/sys/kernel/btf/vmlinux"
#define RINGBUF_MIN (128u << 10) /* must hold the largest exec event */
#define RINGBUF_MAX (1u << 30)

static volatile sig_atomic_t stop_flag;
static volatile sig_atomic_t reload_flag;

static const char *const ev_names[CW_EV_MAX] = {
	[CW_EV_EXEC] = "exec",
	[CW_EV_EXIT] = "exit",
	[CW_EV_CONN] = "connect",
	[CW_EV_DATA] = "data",
	[CW_EV_CLOSE] = "close",
	[CW_EV_BIND] = "bind",
	[CW_EV_FILE_OPEN] = "file_open",
	[CW_EV_FILE_DATA] = "file_data",
	[CW_EV_FILE_CLOSE] = "file_close",
	[CW_EV_CGROUP_RMDIR] = "cgroup_rmdir",
	[CW_EV_CGROUP_MKDIR] = "cgroup_mkdir",
};

struct agent {
	struct credwatch_bpf *skel;
	struct ring_buffer *rb;
	struct cw_finding_writer f;
	struct cw_exec exec;
	struct cw_egress egress;
	struct cw_tls_attach tls;
	struct cw_files files;
	struct cw_exposure x;
	struct cw_policy policy;
	struct cw_provenance prov;
	struct cw_workloads *wls;
	const char *policy_path;
	size_t watch_entries;
	int ncpus;
	unsigned long long events[CW_EV_MAX];
	unsigned long long malformed;
	unsigned long long drops_reported[CW_EV_MAX];
	int out_err; /* first output error */
};

struct run_opts {
	const char *rules_dir;
	const char *btf;
	const char *key_file;
	const char *output;
	const char *policy;
	const char *state;
	unsigned long long file_cap;
	unsigned long long state_max;
	bool no_files;
	bool capture_reads;
	unsigned long long ringbuf_size;
	unsigned long long stats_interval;
	unsigned long long payload_cap;
	unsigned long long payload_budget;
	bool events;
	bool no_env;
	bool include_loopback;
	bool capture_inbound;
};

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		reload_flag = 1;
	else
		stop_flag = 1;
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list args)
{
	if (!cw_verbose || (level == LIBBPF_DEBUG && cw_verbose < 2))
		return 0;
	return vfprintf(stderr, fmt, args);
}

/* libbpf resolves tracepoints through tracefs: make sure it is there. */
static int ensure_tracefs(void)
{
	if (access(TRACEFS "/events", F_OK) == 0 || access(DEBUGFS_TRACING "/events", F_OK) == 0)
		return 0;
	if (mount("nodev", TRACEFS, "tracefs", 0, NULL)) {
		cw_log("tracefs not mounted at " TRACEFS " and mounting it failed: %s",
		       strerror(errno));
		return -errno;
	}
	cw_debug("mounted tracefs at " TRACEFS);
	return 0;
}

static unsigned long long round_pow2(unsigned long long v)
{
	unsigned long long p = 1;

	while (p < v)
		p <<= 1;
	return p;
}

/* A per-CPU array map's counter at key, summed over the CPUs (0 when it cannot be read). */
static unsigned long long percpu_sum(struct agent *a, int fd, __u32 key)
{
	unsigned long long sum = 0;
	__u64 vals[a->ncpus];

	if (bpf_map_lookup_elem(fd, &key, vals))
		return 0;
	for (int c = 0; c < a->ncpus; c++)
		sum += vals[c];
	return sum;
}

static void sum_drops(struct agent *a, unsigned long long out[CW_EV_MAX])
{
	for (__u32 t = 0; t < CW_EV_MAX; t++)
		out[t] = percpu_sum(a, bpf_map__fd(a->skel->maps.drops), t);
}

/* HTTP/2 client streams the kernel followed frame by frame [0], and lost track of [1]. */
static void sum_h2_streams(struct agent *a, unsigned long long out[2])
{
	for (__u32 k = 0; k < 2; k++)
		out[k] = percpu_sum(a, bpf_map__fd(a->skel->maps.h2_streams), k);
}

/* One log line whenever the kernel dropped events since the last report. */
static void report_drops(struct agent *a, unsigned long long interval)
{
	unsigned long long now[CW_EV_MAX], delta, total = 0, dtotal = 0;
	char detail[256] = "";
	size_t off = 0;

	sum_drops(a, now);
	for (int t = 1; t < CW_EV_MAX; t++) {
		delta = now[t] - a->drops_reported[t];
		total += now[t];
		dtotal += delta;
		off += (size_t)snprintf(detail + off, sizeof(detail) - off, "%s%s=%llu",
					off ? " " : "", ev_names[t], delta);
		a->drops_reported[t] = now[t];
	}
	if (dtotal)
		cw_log("ring buffer full: dropped %llu events in the last %llus (%s), %llu since "
		       "start; raise --ringbuf-size",
		       dtotal, interval, detail, total);
	cw_debug("stats: exec=%llu exit=%llu malformed=%llu alerts=%llu observations=%llu "
		 "dropped=%llu",
		 a->events[CW_EV_EXEC], a->events[CW_EV_EXIT], a->malformed,
		 (unsigned long long)a->f.alerts, (unsigned long long)a->f.observations, total);
}

static int handle_event(void *ctx, void *data, size_t sz)
{
	struct agent *a = ctx;
	struct cw_event ev;
	const char *why = NULL;
	int ret;

	if (cw_decode(data, sz, &ev, &why)) {
		a->malformed++;
		cw_debug("malformed event (%zu bytes): %s", sz, why);
		return 0;
	}
	a->events[ev.type]++;
	switch (ev.type) {
	case CW_EV_EXEC:
		/* The old image's TLS sessions end with it, reported as the old image's. */
		ret = a->egress.nconns ? cw_egress_exec(&a->egress, ev.exec.pid) : 0;
		/* A new image: its own binary may carry TLS (node, Go); its libraries are read
		 * from its maps when it first connects. */
		cw_tls_forget_pid(&a->tls, ev.exec.pid);
		cw_tls_scan_exe(&a->tls, ev.exec.pid);
		{
			/* The binary itself (a script's interpreter, python3.11 for python3), as
			 * /proc/PID/exe names it elsewhere; the exec'd name when it is gone. */
			char link[64], real[CW_PROCS_EXE_MAX];
			ssize_t n;

			snprintf(link, sizeof(link), "/proc/%u/exe", ev.exec.pid);
			n = readlink(link, real, sizeof(real));
			if (n > 0 && n < (ssize_t)sizeof(real))
				cw_procs_exec(a->f.procs, ev.exec.pid, real, (size_t)n);
			else
				cw_procs_exec(a->f.procs, ev.exec.pid, ev.path, ev.exec.path_len);
		}
		/* its close-on-exec files closed without a close() */
		if (!ret)
			ret = cw_files_exec(&a->files, ev.exec.pid);
		if (!ret)
			ret = cw_exec_handle(&a->exec, &ev);
		break;
	case CW_EV_EXIT:
		cw_tls_forget_pid(&a->tls, ev.exit.pid);
		ret = a->egress.nconns ? cw_egress_exit(&a->egress, ev.exit.pid) : 0;
		if (!ret)
			ret = cw_files_exit(&a->files, ev.exit.pid);
		cw_procs_exit(a->f.procs, ev.exit.pid);
		break;
	case CW_EV_FILE_OPEN: ret = cw_files_open(&a->files, &ev); break;
	case CW_EV_FILE_DATA: ret = cw_files_data(&a->files, &ev); break;
	case CW_EV_FILE_CLOSE:
		ret = cw_files_close(&a->files, ev.close.pid, ev.close.fd, ev.close.conn_id);
		break;
	case CW_EV_CGROUP_RMDIR:
		cw_workloads_forget(a->wls, ev.cgroup.id);
		ret = 0;
		break;
	case CW_EV_CGROUP_MKDIR:
		cw_workloads_learn(a->wls, ev.cgroup.id, ev.cgroup.path);
		ret = 0;
		break;
	case CW_EV_CONN:
		cw_tls_scan_pid(&a->tls, ev.conn.pid);
		ret = cw_egress_conn(&a->egress, &ev);
		break;
	case CW_EV_BIND: ret = cw_egress_bind(&a->egress, &ev); break;
	case CW_EV_DATA: ret = cw_egress_data(&a->egress, &ev); break;
	case CW_EV_CLOSE:
		ret = cw_egress_close(&a->egress, ev.close.pid, ev.close.fd, ev.close.conn_id);
		break;
	default: ret = 0;
	}
	if (ret && !a->out_err) {
		a->out_err = ret;
		cw_log("cannot write findings: %s", strerror(-ret));
		return ret; /* stops the poll loop */
	}
	return 0;
}

static int fill_watch(struct agent *a);
static void set_file_probes(struct agent *a, const struct run_opts *o);

static int load_probes(struct agent *a, const struct run_opts *o)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo, .btf_custom_path = o->btf);
	int ret;

	/* Can we use bpf() at all? A one-entry array map answers without side effects. */
	ret = bpf_map_create(BPF_MAP_TYPE_ARRAY, "cw_probe", 4, 4, 1, NULL);
	if (ret >= 0)
		close(ret);
	else
		ret = -errno;
	if (ret == -EPERM || ret == -EACCES) {
		cw_log("BPF not permitted: %s (needs CAP_BPF and CAP_PERFMON; check "
		       "kernel.unprivileged_bpf_disabled, lockdown, seccomp or the container's "
		       "capabilities)",
		       strerror(-ret));
		return ret;
	}
	ret = libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, NULL);
	if (ret <= 0) {
		cw_log("this kernel has no BPF ring buffer (Linux 5.8 or later is required)");
		return -EOPNOTSUPP;
	}
	a->skel = credwatch_bpf__open_opts(&oo);
	if (!a->skel) {
		ret = -errno;
		cw_log("cannot open BPF object: %s", strerror(-ret));
		return ret;
	}
	a->skel->rodata->cw_capture_env = !o->no_env;
	a->skel->rodata->cw_include_loopback = o->include_loopback;
	a->skel->rodata->cw_payload_cap = (__u32)o->payload_cap;
	a->skel->rodata->cw_payload_budget = o->payload_budget;
	a->skel->rodata->cw_wakeup_bytes = o->ringbuf_size / 16;
	a->skel->rodata->cw_capture_inbound = o->capture_inbound;
	a->skel->rodata->cw_self_tgid = (__u32)getpid();
	a->skel->rodata->cw_file_cap = (__u32)o->file_cap;
	a->skel->rodata->cw_capture_reads = o->capture_reads;
	set_file_probes(a, o);
	bpf_map__set_max_entries(a->skel->maps.events, (__u32)o->ringbuf_size);
	bpf_map__set_max_entries(a->skel->maps.exec_scratch, (__u32)a->ncpus);

	ret = credwatch_bpf__load(a->skel);
	if (ret) {
		if (ret == -EPERM)
			cw_log("BPF not permitted: %s (needs CAP_BPF and CAP_PERFMON; check "
			       "kernel.unprivileged_bpf_disabled, lockdown, seccomp, or run with "
			       "-v)",
			       strerror(-ret));
		else
			cw_log("cannot load BPF programs: %s (run with -v for the verifier log)",
			       strerror(-ret));
		return ret;
	}
	ret = credwatch_bpf__attach(a->skel);
	if (ret) {
		cw_log("cannot attach probes: %s", strerror(-ret));
		return ret;
	}
	if (!o->no_files && (ret = fill_watch(a)))
		return ret;
	/* TLS libraries: the system's, then whatever running processes have mapped. */
	cw_tls_attach_init(&a->tls, a->skel, o->capture_inbound);
	cw_tls_scan_system(&a->tls);
	cw_tls_scan_all(&a->tls);
	ret = cw_egress_init(&a->egress, &a->f,
			     &(struct cw_egress_kernel){
				     .conns_map_fd = bpf_map__fd(a->skel->maps.conns),
				     .bound_map_fd = bpf_map__fd(a->skel->maps.tls_bound),
				     .captured_map_fd = bpf_map__fd(a->skel->maps.tls_captured),
				     .fd_marks = a->skel->bss->cw_fd_marks,
			     });
	if (ret) {
		cw_log("cannot set up egress tracking: %s", strerror(-ret));
		return ret;
	}
	a->rb = ring_buffer__new(bpf_map__fd(a->skel->maps.events), handle_event, a, NULL);
	if (!a->rb) {
		ret = -errno;
		cw_log("cannot open ring buffer: %s", strerror(-ret));
		return ret;
	}
	return 0;
}

/* A directory as the kernel hashes it: the fold of its components' hashes. */
static __u64 cw_watch_dir_hash(const char *dir)
{
	__u64 h = CW_FNV_OFFSET;

	while (*dir) {
		size_t n = strcspn(dir, "/");

		if (n)
			h = (h ^ cw_fnv1a(CW_FNV_OFFSET, dir, n)) * CW_FNV_PRIME;
		dir += n + (dir[n] == '/');
	}
	return h;
}

/* The watch list's prefilter into the kernel's map; the old entries go first (a reload). */
static int fill_watch(struct agent *a)
{
	struct cw_prefilter pf = { 0 };
	const struct cw_strv *sets[] = { &pf.names, &pf.exts, &pf.dirs, &pf.comps };
	const __u32 kinds[] = { CW_WATCH_NAME, CW_WATCH_EXT, CW_WATCH_DIR, CW_WATCH_COMP };
	int fd = bpf_map__fd(a->skel->maps.watch), ret;
	struct cw_watch_key k, next;
	__u8 one = CW_WATCH_CRED;

	/* Readers of the bitmap may see it half-built during a reload: at worst a few opens go
	 * to the map lookup, or one is missed, while it changes. */
	memset(a->skel->bss->cw_watch_bloom, 0, sizeof(a->skel->bss->cw_watch_bloom));
	while (!bpf_map_get_next_key(fd, NULL, &next))
		bpf_map_delete_elem(fd, &next);
	ret = cw_policy_prefilter(&a->policy, &pf);
	if (ret) {
		cw_log("cannot build the watch prefilter: %s", strerror(-ret));
		return ret;
	}
	a->watch_entries = 0;
	for (size_t s = 0; s < 4; s++)
		for (size_t i = 0; i < sets[s]->n; i++) {
			const char *p = sets[s]->v[i];
			__u64 h = kinds[s] == CW_WATCH_DIR ? cw_watch_dir_hash(p)
							   : cw_fnv1a(CW_FNV_OFFSET, p, strlen(p));
			memset(&k, 0, sizeof(k));
			k.hash = h;
			k.kind = kinds[s];
			if (bpf_map_update_elem(fd, &k, &one, BPF_ANY)) {
				ret = -errno;
				cw_log("watch prefilter map full at '%s': %s (at most %d entries)",
				       sets[s]->v[i], strerror(-ret), 4 * CW_WATCH_MAX);
				cw_prefilter_free(&pf);
				return ret;
			}
			{
				__u32 bit = cw_watch_bloom_bit(h, kinds[s]);

				a->skel->bss->cw_watch_bloom[bit >> 6] |= 1ull << (bit & 63);
			}
			a->watch_entries++;
		}
	cw_prefilter_free(&pf);
	/* TLS libraries being loaded: their probes go on before the process's first write. */
	for (size_t i = 0; cw_tls_library_names[i]; i++) {
		const char *p = cw_tls_library_names[i];
		__u8 val = CW_WATCH_TLS_LIB, cur;
		__u32 bit;

		memset(&k, 0, sizeof(k));
		k.hash = cw_fnv1a(CW_FNV_OFFSET, p, strlen(p));
		k.kind = CW_WATCH_NAME;
		if (!bpf_map_lookup_elem(fd, &k, &cur))
			val |= cur; /* also a credential file's name: both */
		if (bpf_map_update_elem(fd, &k, &val, BPF_ANY))
			continue;
		bit = cw_watch_bloom_bit(k.hash, CW_WATCH_NAME);
		a->skel->bss->cw_watch_bloom[bit >> 6] |= 1ull << (bit & 63);
	}
	return 0;
}

static void attach_tls_library(void *ctx, uint32_t pid, const char *path)
{
	cw_tls_scan_file(ctx, pid, path);
}

static bool tracepoint_exists(const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), TRACEFS "/events/syscalls/%s", name);
	if (access(path, F_OK) == 0)
		return true;
	snprintf(path, sizeof(path), DEBUGFS_TRACING "/events/syscalls/%s", name);
	return access(path, F_OK) == 0;
}

/* File capture off, or syscalls this kernel does not have (open(2) on arm64): not loaded. */
static void set_file_probes(struct agent *a, const struct run_opts *o)
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
			  tracepoint_exists(progs[i].tp);

		if (!o->no_files && (!reads || o->capture_reads) && !on)
			cw_log("no tracepoint syscalls/%s on this kernel: not watching through it",
			       progs[i].tp);
		bpf_program__set_autoload(progs[i].prog, on);
	}
	if (access(TRACEFS "/events/cgroup/cgroup_rmdir", F_OK) &&
	    access(DEBUGFS_TRACING "/events/cgroup/cgroup_rmdir", F_OK)) {
		cw_log("no cgroup tracepoints: new cgroups are found by walking the hierarchy");
		bpf_program__set_autoload(a->skel->progs.handle_cgroup_rmdir, false);
		bpf_program__set_autoload(a->skel->progs.handle_cgroup_mkdir, false);
	}
}

/* SIGHUP: a new policy, or the old one kept with the reason it was refused. */
static void reload_policy(struct agent *a)
{
	struct cw_policy np = { 0 };
	char err[1024];

	if (cw_policy_load_default(&np, a->policy_path, err, sizeof(err))) {
		cw_log("policy reload failed, keeping the previous policy: %s", err);
		return;
	}
	cw_policy_free(&a->policy);
	a->policy = np;
	if (a->skel && fill_watch(a) == 0)
		cw_log("policy reloaded from %s: %zu watch patterns, %zu workloads, %zu "
		       "credential bindings, %zu reader rules",
		       a->policy.file, a->policy.watch.n, a->policy.nworkloads, a->policy.ncreds,
		       a->policy.nreaders);
}

static FILE *open_output(const char *spec)
{
	FILE *f;

	if (!spec || !strcmp(spec, "stdout"))
		return stdout;
	if (!strncmp(spec, "file:", 5)) {
		f = fopen(spec + 5, "ae");
		if (!f)
			cw_log("--output %s: %s", spec, strerror(errno));
		return f;
	}
	cw_log("--output: '%s' is not supported (use stdout or file:PATH)", spec);
	return NULL;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int run(const struct run_opts *o)
{
	struct agent a = { 0 };
	struct cw_ruleset rs = { 0 };
	struct cw_matcher *m = NULL;
	struct cw_fp_key key;
	struct sigaction sa = { .sa_handler = on_signal };
	double next_stats;
	char err[1024];
	FILE *out = NULL;
	int ret;

	if (geteuid() != 0) {
		cw_log("not root: credwatch run loads BPF programs and needs root "
		       "(or CAP_BPF, CAP_PERFMON and CAP_SYS_RESOURCE)");
		return 1;
	}
	if (!o->btf && access(KERNEL_BTF, R_OK)) {
		cw_log("no BTF: " KERNEL_BTF " is missing (kernel built without "
		       "CONFIG_DEBUG_INFO_BTF); pass --btf FILE with this kernel's BTF");
		return 1;
	}
	if (o->btf && access(o->btf, R_OK)) {
		cw_log("--btf %s: %s", o->btf, strerror(errno));
		return 1;
	}
	if (ensure_tracefs())
		return 1;
	if (cw_rules_load_default(&rs, o->rules_dir, err, sizeof(err)) ||
	    cw_matcher_new(&rs, &m, err, sizeof(err)) ||
	    cw_fp_key_load(&key, o->key_file, err, sizeof(err))) {
		cw_log("%s", err);
		ret = 1;
		goto out;
	}
	out = open_output(o->output);
	if (!out) {
		ret = 1;
		goto out;
	}
	cw_finding_writer_init(&a.f, m, &key, out, o->events);
	a.policy_path = o->policy;
	if (cw_policy_load_default(&a.policy, o->policy, err, sizeof(err)) ||
	    cw_prov_open(&a.prov, strcmp(o->state, "none") ? o->state : NULL, o->state_max, err,
			 sizeof(err))) {
		cw_log("%s", err);
		ret = 1;
		goto out;
	}
	ret = cw_workloads_new(NULL, &a.wls);
	if (!ret)
		ret = cw_exposure_init(&a.x, &a.f, &a.policy, &a.prov, a.wls);
	if (!ret)
		ret = cw_files_init(&a.files, &a.x, -1);
	if (ret) {
		cw_log("cannot set up: %s", strerror(-ret));
		ret = 1;
		goto out;
	}
	a.f.wls = a.wls;
	a.f.x = &a.x;
	a.f.procs = cw_procs_new();
	cw_exec_init(&a.exec, &a.f, m, &a.x, a.f.procs);
	a.ncpus = libbpf_num_possible_cpus();
	if (a.ncpus <= 0) {
		cw_log("cannot count CPUs: %s", strerror(-a.ncpus));
		ret = 1;
		goto out;
	}
	libbpf_set_print(libbpf_print);
	if (load_probes(&a, o)) {
		ret = 1;
		goto out;
	}
	a.files.files_map_fd = bpf_map__fd(a.skel->maps.files);
	a.files.fd_marks = a.skel->bss->cw_fd_marks;
	a.files.capture_reads = o->capture_reads;
	a.files.on_tls_library = attach_tls_library;
	a.files.tls_ctx = &a.tls;
	a.files.file_cap = o->file_cap;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	cw_log("running: %zu rules, ring buffer %llu KiB, env capture %s, TLS probes on %zu files "
	       "(%llu on an emulated instruction past the entry), "
	       "file capture %s (%zu watch patterns, %zu prefilter entries), policy %s, "
	       "provenance %s (%zu credentials), fingerprint key %s",
	       rs.n, o->ringbuf_size >> 10, o->no_env ? "off" : "on", a.tls.n,
	       (unsigned long long)a.tls.moved,
	       o->no_files	  ? "off"
	       : o->capture_reads ? "on, reads copied in the kernel"
				  : "on, files read on open",
	       a.policy.watch.n, a.watch_entries, a.policy.file,
	       a.prov.path ? a.prov.path : "in memory", a.prov.n, key.path);

	next_stats = now_s() + (double)o->stats_interval;
	ret = 0;
	while (!stop_flag) {
		int n = ring_buffer__poll(a.rb, 100);

		/* Probes wake us only when data piles up: drain what came quietly, too. */
		if (n >= 0)
			n = ring_buffer__consume(a.rb);
		if (n == -EINTR)
			continue;
		if (n < 0) {
			if (!a.out_err)
				cw_log("ring buffer poll: %s", strerror(-n));
			ret = 1;
			break;
		}
		if (fflush(out)) {
			cw_log("cannot write findings: %s", strerror(errno));
			ret = 1;
			break;
		}
		if (cw_egress_tick(&a.egress, (uint64_t)(now_s() * 1e9)) ||
		    cw_files_tick(&a.files, (uint64_t)(now_s() * 1e9)) || cw_exposure_tick(&a.x)) {
			ret = 1;
			break;
		}
		if (reload_flag) {
			reload_flag = 0;
			reload_policy(&a);
		}
		if (now_s() >= next_stats) {
			report_drops(&a, o->stats_interval);
			next_stats = now_s() + (double)o->stats_interval;
		}
	}
	/* Drain what is already in the ring, then the final report. */
	if (!ret)
		ring_buffer__consume(a.rb);
	fflush(out);
	report_drops(&a, o->stats_interval);
	{
		unsigned long long d[CW_EV_MAX], h2[2];

		sum_drops(&a, d);
		sum_h2_streams(&a, h2);
		unsigned long long dsum = 0;

		for (int t = 1; t < CW_EV_MAX; t++)
			dsum += d[t];
		cw_log("stopped: %llu exec, %llu exit events; %llu connections, %llu bytes sent "
		       "(%llu holes past the payload budget; %llu HTTP/2 client streams followed "
		       "frame by frame, %llu of them lost track of); "
		       "%llu watched file opens (%llu not watched after all, %llu gone before "
		       "read), %llu bytes read; "
		       "%llu alerts (%llu duplicates suppressed), %llu observations; %llu dropped "
		       "(exec=%llu exit=%llu connect=%llu data=%llu close=%llu bind=%llu "
		       "file_open=%llu file_data=%llu file_close=%llu cgroup=%llu); "
		       "%llu malformed; TLS probes on %zu files (%llu released, %llu not "
		       "attached: limit); provenance: %zu credentials, %llu evicted",
		       a.events[CW_EV_EXEC], a.events[CW_EV_EXIT],
		       (unsigned long long)a.egress.conns_seen, (unsigned long long)a.egress.bytes,
		       (unsigned long long)a.egress.gaps, h2[0], h2[1],
		       (unsigned long long)a.files.opened, (unsigned long long)a.files.not_watched,
		       (unsigned long long)a.files.unreadable, (unsigned long long)a.files.bytes,
		       (unsigned long long)a.f.alerts, (unsigned long long)a.x.suppressed,
		       (unsigned long long)a.f.observations, dsum, d[CW_EV_EXEC], d[CW_EV_EXIT],
		       d[CW_EV_CONN], d[CW_EV_DATA], d[CW_EV_CLOSE], d[CW_EV_BIND],
		       d[CW_EV_FILE_OPEN], d[CW_EV_FILE_DATA], d[CW_EV_FILE_CLOSE],
		       d[CW_EV_CGROUP_RMDIR] + d[CW_EV_CGROUP_MKDIR], a.malformed, a.tls.n,
		       (unsigned long long)a.tls.released, (unsigned long long)a.tls.limit_hits,
		       a.prov.n, (unsigned long long)a.prov.evictions);
	}
out:
	ring_buffer__free(a.rb);
	cw_egress_free(&a.egress);
	cw_files_free(&a.files); /* reports what open files' streams still hold */
	if (a.prov.dirty && cw_prov_save(&a.prov, err, sizeof(err)))
		cw_log("cannot save the provenance store: %s", err);
	cw_exposure_free(&a.x);
	cw_workloads_free(a.wls);
	cw_procs_free(a.f.procs);
	cw_prov_close(&a.prov);
	cw_policy_free(&a.policy);
	cw_tls_attach_free(&a.tls);
	credwatch_bpf__destroy(a.skel);
	cw_exec_free(&a.exec);
	cw_finding_writer_free(&a.f);
	if (out && out != stdout)
		fclose(out);
	cw_matcher_free(m);
	cw_rules_free(&rs);
	return ret;
}

static void run_usage(FILE *f)
{
	fprintf(f,
		"usage: credwatch run [OPTIONS]\n"
		"\n"
		"The host agent: watches every exec's argv and environment, the plaintext "
		"processes\n"
		"send through TLS libraries (OpenSSL, GnuTLS, NSS, Go) and over plain TCP, "
		"through\n"
		"eBPF; prints findings as ECS JSON lines. Needs root. Stops cleanly on "
		"SIGINT/SIGTERM.\n"
		"\n"
		"  --rules DIR                 rules to use instead of the embedded set\n"
		"  --events                    also print observations (event.kind \"event\"),\n"
		"                              e.g. credentials seen in a process environment\n"
		"  --output stdout|file:PATH   where findings go (default stdout)\n"
		"  --ringbuf-size BYTES        BPF ring buffer size, rounded up to a power of two\n"
		"                              (default 8M, min 128K; k/M/G suffixes)\n"
		"  --stats-interval SECONDS    how often drops are checked and reported (default "
		"10)\n"
		"  --no-env                    do not capture exec environments\n"
		"  --include-loopback          also watch connections to 127.0.0.0/8 and ::1\n"
		"  --capture-inbound           also match TLS plaintext processes receive\n"
		"                              (OpenSSL, GnuTLS: credential-received events)\n"
		"  --payload-cap BYTES         bytes captured per write on a watched connection\n"
		"                              or TLS session (default 16K, max 64K)\n"
		"  --payload-budget BYTES      past this many bytes of one connection or session,\n"
		"                              only request headers (an h2 client's header\n"
		"                              frames wherever they are; up to 8K of an HTTP/1\n"
		"                              request) and 1K heads of writes (default 64K, 0: "
		"none)\n"
		"  --policy FILE               intended-workload policy (YAML) instead of the\n"
		"                              embedded default; SIGHUP reloads it\n"
		"  --state FILE                provenance store (default " CW_PROV_DEFAULT_FILE
		";\n"
		"                              'none': memory only); 'credwatch inventory' reads "
		"it\n"
		"  --state-max N               credentials the store keeps (default 4096)\n"
		"  --no-file-capture           do not watch credential files\n"
		"  --file-cap BYTES            bytes read per open watched file (default 64K)\n"
		"  --capture-reads             copy what processes read from watched files in the\n"
		"                              kernel (read/pread64/readv probes) instead of "
		"reading\n"
		"                              the file when it is opened; costs every read on "
		"the\n"
		"                              host a probe (see bench/file_overhead)\n"
		"  --btf FILE                  kernel BTF for kernels without " KERNEL_BTF "\n"
		"  --fingerprint-key-file F    fingerprint key (default " CW_FP_DEFAULT_FILE ",\n"
		"                              generated on first run, mode 0600)\n"
		"  -v, --verbose               statistics; -vv adds libbpf's debug output\n"
		"  -h, --help                  this text\n"
		"\n"
		"Exit status: 0 after a clean stop, 1 on error.\n"
		"\n"
		"EXAMPLES\n"
		"  sudo credwatch run                       embedded rules, alerts on stdout\n"
		"  sudo credwatch run --events -v           also environment observations, stats\n"
		"  sudo credwatch run --output file:/var/log/credwatch.json\n"
		"  sudo credwatch run --include-loopback --capture-inbound --events\n"
		"  sudo credwatch run --policy /etc/credwatch/policy.yaml\n"
		"  sudo kill -HUP $(pidof credwatch)       reload the policy\n");
}

int cw_cmd_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "rules", required_argument, NULL, 'r' },
		{ "events", no_argument, NULL, 'e' },
		{ "output", required_argument, NULL, 'o' },
		{ "ringbuf-size", required_argument, NULL, 'R' },
		{ "stats-interval", required_argument, NULL, 'S' },
		{ "no-env", no_argument, NULL, 'N' },
		{ "include-loopback", no_argument, NULL, 'L' },
		{ "capture-inbound", no_argument, NULL, 'I' },
		{ "payload-cap", required_argument, NULL, 'P' },
		{ "payload-budget", required_argument, NULL, 'B' },
		{ "policy", required_argument, NULL, 'p' },
		{ "state", required_argument, NULL, 's' },
		{ "state-max", required_argument, NULL, 'M' },
		{ "no-file-capture", no_argument, NULL, 'F' },
		{ "file-cap", required_argument, NULL, 'C' },
		{ "capture-reads", no_argument, NULL, 'D' },
		{ "btf", required_argument, NULL, 'b' },
		{ "fingerprint-key-file", required_argument, NULL, 'k' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct run_opts o = { .ringbuf_size = CW_RINGBUF_DEFAULT,
			      .stats_interval = 10,
			      .payload_cap = CW_PAYLOAD_CAP_DEFAULT,
			      .payload_budget = CW_PAYLOAD_BUDGET_DEFAULT,
			      .state = CW_PROV_DEFAULT_FILE,
			      .state_max = CW_PROV_DEFAULT_MAX,
			      .file_cap = CW_FILE_CAP_DEFAULT };
	int c;

	while ((c = getopt_long(argc, argv, "vh", opts, NULL)) != -1) {
		switch (c) {
		case 'r': o.rules_dir = optarg; break;
		case 'e': o.events = true; break;
		case 'o': o.output = optarg; break;
		case 'R':
			if (cw_parse_u64("--ringbuf-size", optarg, RINGBUF_MIN, RINGBUF_MAX,
					 &o.ringbuf_size))
				return 1;
			o.ringbuf_size = round_pow2(o.ringbuf_size);
			break;
		case 'B':
			if (cw_parse_u64("--payload-budget", optarg, 0, 1ULL << 40,
					 &o.payload_budget))
				return 1;
			break;
		case 'S':
			if (cw_parse_u64("--stats-interval", optarg, 1, 86400, &o.stats_interval))
				return 1;
			break;
		case 'N': o.no_env = true; break;
		case 'L': o.include_loopback = true; break;
		case 'I': o.capture_inbound = true; break;
		case 'P':
			if (cw_parse_u64("--payload-cap", optarg, 1, CW_PAYLOAD_CAP_MAX,
					 &o.payload_cap))
				return 1;
			break;
		case 'p': o.policy = optarg; break;
		case 's': o.state = optarg; break;
		case 'M':
			if (cw_parse_u64("--state-max", optarg, 1, 10000000, &o.state_max))
				return 1;
			break;
		case 'F': o.no_files = true; break;
		case 'D': o.capture_reads = true; break;
		case 'C':
			if (cw_parse_u64("--file-cap", optarg, 1, CW_FILE_CAP_MAX, &o.file_cap))
				return 1;
			break;
		case 'b': o.btf = optarg; break;
		case 'k': o.key_file = optarg; break;
		case 'v': cw_verbose++; break;
		case 'h': run_usage(stdout); return 0;
		default: run_usage(stderr); return 1;
		}
	}
	if (optind < argc) {
		cw_log("run: unexpected argument '%s'", argv[optind]);
		return 1;
	}
	return run(&o);
}
