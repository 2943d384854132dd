/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The agent's operational view: once a second the main loop copies every counter into a
 * snapshot (no other thread ever reads a counter), renders it as Prometheus text for the
 * metrics server (metrics_http.h) and as the status file `credwatch status` reads
 * (status.h). Rendering takes a snapshot only, so unit tests check it without an agent.
 */
#ifndef CW_AGENT_METRICS_H
#define CW_AGENT_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "credwatch.h"
#include "agent/first_exec.h"
#include "host/kubeclient.h"
#include "output/outputs.h"
#include "util/prom_text.h"

/* Findings by event.action and rule.id. */
struct cw_alert_count {
	char action[64];
	char rule[128];
	bool alert; /* event.kind "alert" (else an observation) */
	uint64_t n;
};

struct cw_alert_counts {
	struct cw_alert_count *v;
	size_t n, cap;
};

/* Count one finding (action or rule NULL: "unknown"). 0 or -ENOMEM. */
int cw_alert_counts_add(struct cw_alert_counts *c, const char *action, const char *rule,
			bool alert);
void cw_alert_counts_free(struct cw_alert_counts *c);

/* The flight recorder's counters (trace/flight.h), when one runs. */
struct cw_flight_stats {
	uint64_t seconds, memory_bound; /* its settings: the window, the bytes it may keep */
	uint64_t records;		/* handed to it */
	uint64_t records_kept, bytes_kept;
	uint64_t expired; /* records dropped as older than the window */
	uint64_t evicted; /* dropped younger, to stay within the memory bound */
	uint64_t refused; /* never kept: bigger than half the bound, or its worker behind */
	uint64_t dumps, dumps_failed, dumps_cut, dump_bytes;
	uint64_t alerts_named;		     /* alerts that named a trace */
	uint64_t refused_rate, refused_disk; /* alerts that did not get a dump, and why */
	uint64_t removed;		     /* old traces removed for the disk bound */
};

struct cw_ops_snapshot {
	const char *version;
	int pid;
	int64_t start_unix_ms, now_unix_ms;
	bool running;		     /* false in the last status an agent writes when it stops */
	uint64_t events[CW_EV_MAX];  /* received from the ring buffer, by kind */
	uint64_t dropped[CW_EV_MAX]; /* lost in the kernel: the ring buffer was full */
	uint64_t malformed;
	uint64_t alerts, observations, suppressed;
	const struct cw_alert_counts *by_rule; /* may be NULL */
	struct cw_output_stats outputs[CW_OUTPUTS_MAX];
	size_t noutputs;
	uint64_t tls_files, tls_links, tls_failures, tls_limit_hits, tls_released;
	struct cw_hold_stats holds; /* first execs held (first_exec.h) */
	uint64_t prov_creds, prov_evictions;
	uint64_t bytes_egress, bytes_files; /* bytes handed to the matcher, by source */
	uint64_t rss_bytes;
	double cpu_seconds;
	bool flight_on; /* a flight recorder runs: flight holds its counters */
	struct cw_flight_stats flight;
	bool kube_on; /* a pod metadata source runs: kube holds its counters */
	struct cw_kube_stats kube;
};

/* The agent's own resident memory and CPU time (from /proc/self and getrusage). */
void cw_ops_self_usage(uint64_t *rss_bytes, double *cpu_seconds);

/* The snapshot as Prometheus text into p (reset first). */
void cw_metrics_render(const struct cw_ops_snapshot *s, struct cw_prom *p);

#endif
