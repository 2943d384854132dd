/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The host agent behind `credwatch run`: what it is given, and the call that runs it. The CLI
 * (cli/run.c) parses flags into struct cw_agent_opts; the agent never sees argv.
 */
#ifndef CW_AGENT_H
#define CW_AGENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/seccomp.h"
#include "agent/tap.h"
#include "host/kubeclient.h"
#include "output/output_spec.h"

#define CW_AGENT_KERNEL_BTF "/sys/kernel/btf/vmlinux"
#define CW_AGENT_DRAIN_MS 3000 /* at the stop, for the outputs to deliver what they hold */
#define CW_AGENT_RINGBUF_MIN (128u << 10) /* must hold the largest exec event */
#define CW_AGENT_RINGBUF_MAX (1u << 30)
#define CW_KUBE_ANNOTATIONS_MAX 32 /* --kube-annotation globs */
#define CW_KUBE_MAX_PODS_DEFAULT 4096

struct cw_flight_stats;

struct cw_agent_opts {
	const char *rules_dir; /* NULL: the embedded rules */
	const char *btf;       /* NULL: CW_AGENT_KERNEL_BTF */
	const char *key_file;  /* NULL: the host fingerprint key */
	const char *output;    /* "stdout" or "file:PATH"; NULL: stdout (until outputs[] lands) */
	/* Where findings go (issue 16): noutputs 0 means stdout. */
	struct cw_output_spec outputs[CW_OUTPUTS_MAX];
	size_t noutputs;
	const char *spool_dir;	  /* NULL: the default */
	uint64_t spool_max;	  /* 0: the default */
	unsigned spool_sync_ms;	  /* 0: the default */
	const char *metrics_addr; /* "ADDR:PORT" for Prometheus, NULL: none */
	const char *config;	  /* the config file it came from, for SIGHUP; NULL: none */
	const char *policy;	  /* NULL: the embedded policy */
	const char *state;	  /* provenance store; "none": memory only */
	unsigned long long file_cap;
	unsigned long long state_max;
	bool no_files;
	bool capture_reads;
	unsigned long long ringbuf_size; /* a power of two */
	unsigned long long stats_interval;
	unsigned long long payload_cap;
	unsigned long long payload_budget;
	bool events;
	bool no_env;
	bool include_loopback;
	bool capture_inbound;

	/* Kubernetes pod metadata (host/kubeclient.h, docs/pod-metadata.md): where it comes
	 * from (kube_metadata, CW_KUBE_AUTO by default), how to reach it (NULL: the defaults
	 * cw_kube_resolve fills in), which annotations findings carry, how many pods are kept. */
	enum cw_kube_source kube_metadata;
	const char *kube_apiserver;
	const char *kubelet_url;
	bool kubelet_insecure_tls;
	const char *kube_token_file;
	const char *kube_ca_file;
	const char *node_name;
	const char *kube_annotations[CW_KUBE_ANNOTATIONS_MAX]; /* fnmatch globs */
	size_t nkube_annotations;
	unsigned long long kube_max_pods;
	unsigned long long kube_timeout_ms; /* 0: CW_KUBE_TIMEOUT_MS */

	/* Host-root mode (issue 22): the host's / is mounted here (an agent in a container,
	 * hostPID); its /proc, cgroups, pod logs and kubelet files are read under it. NULL: "/" */
	const char *host_root;

	/* One agent per host (agent/instance.h): a second `run` starts only when allowed
	 * (--allow-second-agent); beside_agent (`credwatch trace`): never takes the lock, says
	 * when an agent runs and goes on. */
	bool allow_second_agent;
	bool beside_agent;

	/* The system-call allow-list installed after the start (agent/seccomp.h): enforce by
	 * default, log, or off (--no-seccomp); read at the start only */
	enum cw_seccomp_mode seccomp;

	/* `credwatch status` reads it: NULL: /run/credwatch/status.json; "none": no file */
	const char *status_file;
	/*
	 * SIGHUP: the options again, the config file re-read with the flags over it (cli/); the
	 * agent takes the outputs and the policy path from *n. 0, or -errno with FILE:LINE and
	 * the problem in err. NULL: only the policy file is reloaded. Strings in *n stay valid
	 * until the next call.
	 */
	int (*reread)(void *arg, struct cw_agent_opts *n, char *err, size_t errlen);
	void *reread_arg;

	/* A recorder (agent/tap.h: `credwatch trace`, the flight recorder): handed every
	 * record, what the agent learns from the host, its clock; asked for a trace to name in
	 * each alert. NULL: none (nothing is recorded, nothing costs). */
	const struct cw_tap *tap;
	/* The recorder's counters, for the metrics (agent/metrics.h); NULL: none. */
	void (*flight_stats)(void *arg, struct cw_flight_stats *s);
	void *flight_stats_arg;
	/*
	 * The flight recorder's settings (--flight-recorder*, trace/flight.h): cli/ sets the
	 * recorder up and hands its tap above; the agent reads none of these. 0 seconds: off.
	 */
	unsigned long long flight_seconds, flight_memory, flight_disk, flight_max_dumps;
	const char *flight_dir, *flight_recipient;
};

/* Run until SIGINT or SIGTERM. Returns the exit status: 0 after a clean stop, 1 on error, 2
 * when a config or state file is not root's or others can write it (util/fileperm.h). */
int cw_agent_run(const struct cw_agent_opts *o);

/*
 * A replay (trace/replay.c): run's pipeline — detection, outputs, judgement and the dispatch
 * of ring-buffer records to the handlers — without the kernel or the host. No root, no BPF,
 * no pod metadata, provenance in memory only; the host modules answer from the host tap
 * (host/hosttap.h), which the caller sets to its recall() before opening. now: the judge's
 * wall clock in seconds (the recorded one). Records and ticks are handed in the order they
 * were recorded; close ends the handlers' open streams as a stop would, drains the outputs,
 * and returns the exit status (1 when findings could not be written).
 */
struct cw_agent;
struct cw_procs;
struct cw_finding_writer;
int cw_agent_replay_open(const struct cw_agent_opts *o, int64_t (*now)(void),
			 struct cw_agent **out);
int cw_agent_replay_record(struct cw_agent *a, const void *data, size_t sz);
int cw_agent_replay_tick(struct cw_agent *a, uint64_t now_ns);
void cw_agent_replay_clock(struct cw_agent *a, int64_t mono_to_real_ns);
/* A recorded CW_HOST_SETTING (host/hosttap.h). */
void cw_agent_replay_setting(struct cw_agent *a, const char *name, size_t nlen, uint64_t v);
/* The recording agent's fingerprint key (a CW_HOST_SETTING): used unless the replay was given
 * --fingerprint-key-file. */
void cw_agent_replay_fp_key(struct cw_agent *a, const unsigned char *key, size_t len);
struct cw_procs *cw_agent_replay_procs(struct cw_agent *a);
struct cw_finding_writer *cw_agent_replay_findings(struct cw_agent *a);
int cw_agent_replay_close(struct cw_agent *a, unsigned long long *alerts,
			  unsigned long long *observations);

#endif
