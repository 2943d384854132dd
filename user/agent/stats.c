// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The agent's statistics: the kernel's per-CPU drop and HTTP/2 counters summed over the CPUs,
 * the periodic drop report, and the summary line the agent logs when it stops.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <bpf/bpf.h>

#include "agent/state.h"
#include "agent/stats.h"
#include "util/log.h"

#define SUMMARY_MAX 4096 /* longer than any summary; cw_log cuts lines at 4 KiB anyway */

const char *const cw_agent_event_names[CW_EV_MAX] = {
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

unsigned long long cw_agent_percpu_sum(int map_fd, __u32 key, int ncpus)
{
	unsigned long long sum = 0;
	__u64 vals[ncpus];

	if (bpf_map_lookup_elem(map_fd, &key, vals))
		return 0;
	for (int c = 0; c < ncpus; c++)
		sum += vals[c];
	return sum;
}

static void sum_drops(const struct cw_agent *a, unsigned long long out[CW_EV_MAX])
{
	for (__u32 t = 0; t < CW_EV_MAX; t++)
		out[t] = cw_agent_percpu_sum(a->drops_fd, t, a->ncpus);
}

void cw_agent_report_drops(struct cw_agent *a, unsigned long long interval)
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
					off ? " " : "", cw_agent_event_names[t], delta);
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

/* Everything the summary reports, from the agent's modules and the kernel's counters. */
static void collect(const struct cw_agent *a, struct cw_agent_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->exec = a->events[CW_EV_EXEC];
	st->exit = a->events[CW_EV_EXIT];
	st->conns = a->egress.conns_seen;
	st->bytes_sent = a->egress.bytes;
	st->holes = a->egress.gaps;
	st->h2_followed = cw_agent_percpu_sum(a->h2_streams_fd, 0, a->ncpus);
	st->h2_lost = cw_agent_percpu_sum(a->h2_streams_fd, 1, a->ncpus);
	st->file_opens = a->files.opened;
	st->not_watched = a->files.not_watched;
	st->gone_before_read = a->files.unreadable;
	st->bytes_read = a->files.bytes;
	st->alerts = a->f.alerts;
	st->suppressed = a->x.suppressed;
	st->observations = a->f.observations;
	sum_drops(a, st->dropped);
	st->malformed = a->malformed;
	cw_first_exec_stats(&a->fe, &st->holds);
	st->tls_files = a->tls.n;
	st->tls_released = a->tls.released;
	st->tls_limit_hits = a->tls.limit_hits;
	st->prov_creds = a->prov.n;
	st->prov_evicted = a->prov.evictions;
}

void cw_agent_report_summary(struct cw_agent *a)
{
	struct cw_output_stats outs[CW_OUTPUTS_MAX];
	struct cw_agent_stats st;
	char line[SUMMARY_MAX];

	collect(a, &st);
	if (a->outputs) {
		st.outputs = outs;
		st.noutputs = cw_outputs_stats(a->outputs, outs, CW_OUTPUTS_MAX);
	}
	cw_agent_stats_format(&st, line, sizeof(line));
	cw_log("%s", line);
}

/* The summary, appended a part at a time. */
struct line {
	char *buf;
	size_t cap, len;
};

static void add(struct line *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void add(struct line *l, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (l->len + 1 >= l->cap)
		return;
	va_start(ap, fmt);
	n = vsnprintf(l->buf + l->len, l->cap - l->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		l->len = l->len + (size_t)n < l->cap ? l->len + (size_t)n : l->cap - 1;
}

static void add_events(struct line *l, const struct cw_agent_stats *st)
{
	add(l, "stopped: %llu exec, %llu exit events; ", st->exec, st->exit);
}

static void add_connections(struct line *l, const struct cw_agent_stats *st)
{
	add(l,
	    "%llu connections, %llu bytes sent (%llu holes past the payload budget; %llu HTTP/2 "
	    "client streams followed frame by frame, %llu of them lost track of); ",
	    st->conns, st->bytes_sent, st->holes, st->h2_followed, st->h2_lost);
}

static void add_files(struct line *l, const struct cw_agent_stats *st)
{
	add(l,
	    "%llu watched file opens (%llu not watched after all, %llu gone before read), %llu "
	    "bytes read; ",
	    st->file_opens, st->not_watched, st->gone_before_read, st->bytes_read);
}

static void add_findings(struct line *l, const struct cw_agent_stats *st)
{
	add(l, "%llu alerts (%llu duplicates suppressed), %llu observations; ", st->alerts,
	    st->suppressed, st->observations);
}

/* Events lost: dropped in the kernel (the total, then by type; the two cgroup events as one),
 * and records the decoder refused. */
static void add_lost_events(struct line *l, const struct cw_agent_stats *st)
{
	const unsigned long long *d = st->dropped;
	unsigned long long total = 0;

	for (int t = 1; t < CW_EV_MAX; t++)
		total += d[t];
	add(l,
	    "%llu dropped (exec=%llu exit=%llu connect=%llu data=%llu close=%llu bind=%llu "
	    "file_open=%llu file_data=%llu file_close=%llu cgroup=%llu); ",
	    total, d[CW_EV_EXEC], d[CW_EV_EXIT], d[CW_EV_CONN], d[CW_EV_DATA], d[CW_EV_CLOSE],
	    d[CW_EV_BIND], d[CW_EV_FILE_OPEN], d[CW_EV_FILE_DATA], d[CW_EV_FILE_CLOSE],
	    d[CW_EV_CGROUP_RMDIR] + d[CW_EV_CGROUP_MKDIR]);
	add(l, "%llu malformed; ", st->malformed);
}

static void add_tls(struct line *l, const struct cw_agent_stats *st)
{
	add(l, "TLS probes on %zu files (%llu released, %llu not attached: limit); ", st->tls_files,
	    st->tls_released, st->tls_limit_hits);
}

/* Held first execs: how they were released, how long they waited, and those not held. */
static void add_holds(struct line *l, const struct cw_agent_stats *st)
{
	const struct cw_hold_stats *h = &st->holds;

	if (!h->on)
		return;
	add(l,
	    "first execs held: %llu (%llu continued with probes in place, wait p50 %.1f ms p99 "
	    "%.1f ms max %.1f ms; %llu at the deadline; %llu left stopped by another; %llu ended "
	    "held), not held: %llu traced, %llu terminal jobs, %llu full, %llu signal failed; "
	    "holding paused %llu times (the agent behind); %llu continues refused; ",
	    (unsigned long long)h->held, (unsigned long long)h->continued, h->waits.p50_ms,
	    h->waits.p99_ms, h->waits.max_ms, (unsigned long long)h->deadline,
	    (unsigned long long)h->left_stopped, (unsigned long long)h->gone,
	    (unsigned long long)h->traced, (unsigned long long)h->terminal_jobs,
	    (unsigned long long)h->full, (unsigned long long)h->signal_failed,
	    (unsigned long long)h->paused, (unsigned long long)h->denied);
}

static void add_provenance(struct line *l, const struct cw_agent_stats *st)
{
	add(l, "provenance: %zu credentials, %llu evicted", st->prov_creds, st->prov_evicted);
}

/* Each output: delivered, still queued (in its spool), refused (alerts, observations). */
static void add_outputs(struct line *l, const struct cw_agent_stats *st)
{
	for (size_t i = 0; i < st->noutputs; i++) {
		const struct cw_output_stats *o = &st->outputs[i];

		add(l,
		    "%s %s: %llu delivered, %llu queued, %llu dropped (%llu alerts, %llu "
		    "observations)",
		    i ? ";" : "; outputs:", o->spec, (unsigned long long)o->delivered,
		    (unsigned long long)o->queued,
		    (unsigned long long)(o->dropped_alerts + o->dropped_events),
		    (unsigned long long)o->dropped_alerts, (unsigned long long)o->dropped_events);
	}
}

size_t cw_agent_stats_format(const struct cw_agent_stats *st, char *buf, size_t cap)
{
	struct line l = { buf, cap, 0 };

	if (!cap)
		return 0;
	buf[0] = '\0';
	add_events(&l, st);
	add_connections(&l, st);
	add_files(&l, st);
	add_findings(&l, st);
	add_lost_events(&l, st);
	add_tls(&l, st);
	add_holds(&l, st);
	add_provenance(&l, st);
	add_outputs(&l, st);
	return l.len;
}
