/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The agent's statistics: what it counted from start to stop, gathered in one struct, and the
 * "stopped:" summary line built from it one part at a time. Nothing here needs the BPF
 * skeleton (the counter maps are read by fd), so unit tests check the line's exact text.
 */
#ifndef CW_AGENT_STATS_H
#define CW_AGENT_STATS_H

#include <stddef.h>

#include "credwatch.h"
#include "agent/first_exec.h"
#include "output/outputs.h"

struct cw_agent_stats {
	unsigned long long exec, exit; /* events handled */
	/* connections and TLS sessions */
	unsigned long long conns, bytes_sent, holes;
	unsigned long long h2_followed, h2_lost; /* HTTP/2 client streams the kernel followed */
	/* watched files */
	unsigned long long file_opens, not_watched, gone_before_read, bytes_read;
	/* findings */
	unsigned long long alerts, suppressed, observations;
	unsigned long long dropped[CW_EV_MAX]; /* by event type: the ring buffer was full */
	unsigned long long malformed;
	struct cw_hold_stats holds; /* first execs held (first_exec.h); left out when off */
	size_t tls_files;
	unsigned long long tls_released, tls_limit_hits;
	size_t prov_creds;
	unsigned long long prov_evicted;
	/* each output's counts (none: the part is left out) */
	const struct cw_output_stats *outputs;
	size_t noutputs;
};

/* The name of each event type in logs ("exec", "file_open", ...). */
extern const char *const cw_agent_event_names[CW_EV_MAX];

/* A per-CPU array map's counter at key, summed over ncpus CPUs (0 when it cannot be read). */
unsigned long long cw_agent_percpu_sum(int map_fd, __u32 key, int ncpus);

/* The summary line ("stopped: ..."), NUL-terminated in buf; its length (cut at cap - 1). */
size_t cw_agent_stats_format(const struct cw_agent_stats *st, char *buf, size_t cap);

#endif
