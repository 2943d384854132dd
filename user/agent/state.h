/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The agent's state, shared by its lifecycle steps and used by agent/ only. One step a file,
 * in the order agent.c runs them (the shape of Falco's libpman):
 *   load.c     open the BPF object, configure it (rodata, map sizes, autoload), load it
 *   attach.c   attach the probes, and the TLS probes to the libraries processes use
 *   maps.c     fill the kernel's watch prefilter; hand the event handlers their kernel maps
 *   ringbuf.c  the ring-buffer loop and the dispatch of each event to its handler
 *   stats.c    kernel-side drop counters, per-CPU sums, the periodic and final reports
 *   ops.c      once a second: the metrics endpoint's text and the status file
 *   tap.c      the recorder's tap (tap.h): host answers forwarded, the clock, the state
 * A replay (agent.h cw_agent_replay_*) runs the same setup and dispatch without the kernel.
 */
#ifndef CW_AGENT_STATE_H
#define CW_AGENT_STATE_H

#include <stdio.h>

#include "credwatch.h"
#include "agent/agent.h"
#include "agent/features.h"
#include "agent/first_exec.h"
#include "agent/ops.h"
#include "agent/tls_attach.h"
#include "detect/fingerprint.h"
#include "detect/matcher.h"
#include "detect/rules.h"
#include "events/connections.h"
#include "events/exec.h"
#include "events/files.h"
#include "host/kubeclient.h"
#include "host/podmeta.h"
#include "host/procs.h"
#include "host/workload.h"
#include "judge/exposure.h"
#include "judge/policy.h"
#include "judge/provenance.h"
#include "output/finding.h"
#include "output/outputs.h"

struct credwatch_bpf;
struct ring_buffer;

struct cw_agent {
	const struct cw_agent_opts *opts; /* as started */
	/* detection, output and judgement, set up before any probe loads */
	struct cw_ruleset rs;
	struct cw_matcher *m;
	struct cw_fp_key key;
	FILE *out;
	struct cw_outputs *outputs; /* where findings go: f.put hands them over */
	struct cw_finding_writer f;
	struct cw_exec exec;	     /* the exec handler */
	struct cw_handler_deps deps; /* what the event handlers are given */
	struct cw_conns egress;
	struct cw_tls_attach tls;
	struct cw_first_exec fe; /* new executables held at their first exec */
	struct cw_files files;
	struct cw_exposure x;
	struct cw_policy policy;
	struct cw_provenance prov;
	struct cw_workloads *wls;
	struct cw_procs *procs; /* executables by pid; the findings read it */
	const char *policy_path;
	/* pod metadata (host/podmeta.h) and the client feeding it (host/kubeclient.h); NULL
	 * when kube_metadata is off */
	struct cw_pods *pods;
	struct cw_kube *kube;
	/* where the Kubernetes API server is (judge/apiserver.h) */
	struct cw_apiservers *apis;
	/* the kernel side */
	struct credwatch_bpf *skel;
	struct ring_buffer *rb;
	int ncpus;
	struct cw_features feats;    /* what this kernel offers (features.h) */
	int drops_fd, h2_streams_fd; /* per-CPU counter maps, for stats.c */
	size_t watch_entries;
	/* counters */
	unsigned long long events[CW_EV_MAX];
	unsigned long long malformed;
	unsigned long long drops_reported[CW_EV_MAX];
	int out_err;		 /* first output error */
	struct cw_agent_ops ops; /* metrics endpoint, status file (ops.h) */
	bool replay;		 /* a replay (agent.h cw_agent_replay_*): no kernel, no host */
	/* the recorder (tap.h), NULL: none */
	const struct cw_tap *tap;
	uint64_t tap_ts;	/* the time of what is being handled: its host records' */
	int64_t tap_clock;	/* the mono_to_real_ns last recorded */
	unsigned char *tap_buf; /* a host record being built */
	size_t tap_cap;
};

/* load.c: make sure tracefs is there (libbpf resolves tracepoints through it). */
int cw_agent_ensure_tracefs(void);
/* load.c: check that BPF can be used, open the object, configure it and load it. */
int cw_agent_load(struct cw_agent *a, const struct cw_agent_opts *o);

/* attach.c: the probes the skeleton declares. */
int cw_agent_attach(struct cw_agent *a);
/* attach.c: TLS probes on the system's libraries and on what running processes have mapped. */
/* scan false (no uprobes): set up, attach nothing */
void cw_agent_attach_tls(struct cw_agent *a, bool inbound, bool scan);

/* maps.c: the policy's watch prefilter into the kernel's map (again after a reload). */
int cw_agent_fill_watch(struct cw_agent *a);
/* maps.c: the connection and file handlers get the kernel maps they read and update. */
int cw_agent_connect_maps(struct cw_agent *a, const struct cw_agent_opts *o);

/* ringbuf.c */
/* One ring-buffer record, as the kernel sent it: recorded, decoded, dispatched. 0, or -errno
 * when findings cannot be written (the loop stops). */
int cw_agent_handle_record(struct cw_agent *a, const void *data, size_t sz);
/* The handlers' own time (quiet streams flushed, windows expired) at now_ns (CLOCK_MONOTONIC);
 * recorded as a tick. Non-zero on an output error. */
int cw_agent_tick(struct cw_agent *a, uint64_t now_ns);
/* tap.c: start and stop handing records to a->tap (the host tap's hook included). */
void cw_agent_tap_start(struct cw_agent *a);
void cw_agent_tap_stop(struct cw_agent *a);
/* tap.c: the wall clock, when it is new to the recorder (at the start, after a change). */
void cw_agent_tap_clock(struct cw_agent *a, uint64_t now_ns);
int cw_agent_open_ringbuf(struct cw_agent *a);
/* The agent's own pid, whose socket events are not a workload's (a replay: the recorder's). */
void cw_agent_set_self_pid(uint32_t pid);
void cw_agent_catch_signals(void);
/* Poll until a stop signal or an error, then drain the ring: 0 or 1 (the exit status). */
int cw_agent_poll(struct cw_agent *a, const struct cw_agent_opts *o);

/* agent.c: SIGHUP. A new policy, or the old one kept with the reason it was refused. */
void cw_agent_reload_policy(struct cw_agent *a);
/* agent.c: SIGHUP. The config file re-read (outputs, policy path), then the policy. */
void cw_agent_reload(struct cw_agent *a);

/* stats.c */
/* One log line when the kernel dropped events since the last report; -v: a stats line. */
void cw_agent_report_drops(struct cw_agent *a, unsigned long long interval);
/* The "stopped:" line: everything counted since the start. */
void cw_agent_report_summary(struct cw_agent *a);

#endif
