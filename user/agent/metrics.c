// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The snapshot of the agent's counters rendered as Prometheus text (metrics.h). Every name
 * starts with credwatch_ and says its unit (_total, _bytes, _seconds); outputs are labelled by
 * their spec, which never holds a credential (output_spec.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "agent/metrics.h"
#include "agent/stats.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* A handful of (action, rule) pairs in practice: a linear search is the simplest table. */
int cw_alert_counts_add(struct cw_alert_counts *c, const char *action, const char *rule, bool alert)
{
	struct cw_alert_count *e;

	action = action && *action ? action : "unknown";
	rule = rule && *rule ? rule : "unknown";
	for (size_t i = 0; i < c->n; i++) {
		e = &c->v[i];
		if (e->alert == alert && !strcmp(e->action, action) && !strcmp(e->rule, rule)) {
			e->n++;
			return 0;
		}
	}
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 16;
		struct cw_alert_count *nv = realloc(c->v, cap * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		c->v = nv;
		c->cap = cap;
	}
	e = &c->v[c->n++];
	memset(e, 0, sizeof(*e));
	snprintf(e->action, sizeof(e->action), "%s", action);
	snprintf(e->rule, sizeof(e->rule), "%s", rule);
	e->alert = alert;
	e->n = 1;
	return 0;
}

void cw_alert_counts_free(struct cw_alert_counts *c)
{
	free(c->v);
	memset(c, 0, sizeof(*c));
}

void cw_ops_self_usage(uint64_t *rss_bytes, double *cpu_seconds)
{
	unsigned long long size = 0, resident = 0;
	struct rusage ru;
	FILE *f = fopen("/proc/self/statm", "re");

	*rss_bytes = 0;
	if (f) {
		if (fscanf(f, "%llu %llu", &size, &resident) == 2)
			*rss_bytes = resident * (uint64_t)sysconf(_SC_PAGESIZE);
		fclose(f);
	}
	*cpu_seconds = 0;
	if (!getrusage(RUSAGE_SELF, &ru))
		*cpu_seconds = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
			       (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static void render_agent(const struct cw_ops_snapshot *s, struct cw_prom *p)
{
	struct cw_prom_label v = { "version", s->version };

	cw_prom_family(p, "credwatch_build_info", "gauge", "credwatch's version (always 1)");
	cw_prom_u64(p, "credwatch_build_info", &v, 1, 1);
	cw_prom_one(p, "credwatch_agent_start_time_seconds", "gauge",
		    "When the agent started, seconds since the Unix epoch",
		    (double)s->start_unix_ms / 1e3);
	cw_prom_one(p, "credwatch_agent_uptime_seconds", "gauge", "Seconds since the agent started",
		    (double)(s->now_unix_ms - s->start_unix_ms) / 1e3);
	cw_prom_one(p, "credwatch_agent_resident_memory_bytes", "gauge",
		    "The agent's resident memory", (double)s->rss_bytes);
	cw_prom_one(p, "credwatch_agent_cpu_seconds_total", "counter",
		    "CPU time the agent used, user and system", s->cpu_seconds);
}

static void render_events(const struct cw_ops_snapshot *s, struct cw_prom *p)
{
	struct cw_prom_label l = { "kind", NULL };

	cw_prom_family(p, "credwatch_events_received_total", "counter",
		       "Kernel events read from the ring buffer, by kind");
	for (int t = 1; t < CW_EV_MAX; t++) {
		l.value = cw_agent_event_names[t];
		cw_prom_u64(p, "credwatch_events_received_total", &l, 1, s->events[t]);
	}
	cw_prom_family(p, "credwatch_events_dropped_total", "counter",
		       "Kernel events lost because the ring buffer was full, by kind (raise "
		       "--ringbuf-size)");
	for (int t = 1; t < CW_EV_MAX; t++) {
		l.value = cw_agent_event_names[t];
		cw_prom_u64(p, "credwatch_events_dropped_total", &l, 1, s->dropped[t]);
	}
	cw_prom_one(p, "credwatch_events_malformed_total", "counter",
		    "Ring-buffer records the decoder refused", (double)s->malformed);
}

static void render_findings(const struct cw_ops_snapshot *s, struct cw_prom *p)
{
	struct cw_prom_label l[2] = { { "action", NULL }, { "rule", NULL } };

	cw_prom_family(p, "credwatch_alerts_total", "counter",
		       "Alerts raised, by event.action and rule.id");
	for (size_t i = 0; s->by_rule && i < s->by_rule->n; i++) {
		const struct cw_alert_count *c = &s->by_rule->v[i];

		if (!c->alert)
			continue;
		l[0].value = c->action;
		l[1].value = c->rule;
		cw_prom_u64(p, "credwatch_alerts_total", l, 2, c->n);
	}
	cw_prom_family(p, "credwatch_observations_total", "counter",
		       "Observations (event.kind \"event\", with --events), by event.action and "
		       "rule.id");
	for (size_t i = 0; s->by_rule && i < s->by_rule->n; i++) {
		const struct cw_alert_count *c = &s->by_rule->v[i];

		if (c->alert)
			continue;
		l[0].value = c->action;
		l[1].value = c->rule;
		cw_prom_u64(p, "credwatch_observations_total", l, 2, c->n);
	}
	cw_prom_one(p, "credwatch_findings_alerts_total", "counter",
		    "Alerts raised, all actions and rules", (double)s->alerts);
	cw_prom_one(p, "credwatch_findings_observations_total", "counter",
		    "Observations written, all actions and rules", (double)s->observations);
	cw_prom_one(p, "credwatch_alerts_suppressed_total", "counter",
		    "Alerts not raised again: duplicates within the dedup window",
		    (double)s->suppressed);
}

/* One counter or gauge family over the outputs, its value picked by field. */
static void render_output_family(const struct cw_ops_snapshot *s, struct cw_prom *p,
				 const char *name, const char *type, const char *help,
				 double (*field)(const struct cw_output_stats *))
{
	struct cw_prom_label l = { "output", NULL };

	cw_prom_family(p, name, type, help);
	for (size_t i = 0; i < s->noutputs; i++) {
		l.value = s->outputs[i].spec;
		cw_prom_double(p, name, &l, 1, field(&s->outputs[i]));
	}
}

static double o_written(const struct cw_output_stats *o)
{
	return (double)o->written;
}
static double o_delivered(const struct cw_output_stats *o)
{
	return (double)o->delivered;
}
static double o_failures(const struct cw_output_stats *o)
{
	return (double)o->failures;
}
static double o_retries(const struct cw_output_stats *o)
{
	return (double)o->retries;
}

static double o_rejected(const struct cw_output_stats *o)
{
	return (double)o->rejected;
}
static double o_queued(const struct cw_output_stats *o)
{
	return (double)o->queued;
}
static double o_oldest(const struct cw_output_stats *o)
{
	return (double)o->oldest_queued_ms / 1e3;
}
static double o_spool(const struct cw_output_stats *o)
{
	return (double)o->spool_bytes;
}

static const struct {
	const char *name, *type, *help;
	double (*field)(const struct cw_output_stats *);
} output_families[] = {
	{ "credwatch_output_written_total", "counter", "Findings put to each output", o_written },
	{ "credwatch_output_delivered_total", "counter", "Findings each output's sink acknowledged",
	  o_delivered },
	{ "credwatch_output_failures_total", "counter",
	  "Send attempts that did not deliver everything", o_failures },
	{ "credwatch_output_retries_total", "counter", "Batches sent again", o_retries },
	{ "credwatch_output_rejected_total", "counter",
	  "Findings the far end refused for good (not sent again)", o_rejected },
	{ "credwatch_output_queued_findings", "gauge", "Findings put, not yet acknowledged",
	  o_queued },
	{ "credwatch_output_oldest_queued_seconds", "gauge",
	  "Age of the oldest unacknowledged finding (0: none)", o_oldest },
	{ "credwatch_output_spool_bytes", "gauge", "Bytes in each output's disk spool", o_spool },
};

static void render_outputs(const struct cw_ops_snapshot *s, struct cw_prom *p)
{
	struct cw_prom_label l[3] = { { "output", NULL }, { "sink", NULL }, { "format", NULL } };

	cw_prom_family(p, "credwatch_output_up", "gauge",
		       "1 when the output's last attempt delivered (or it had nothing to send)");
	for (size_t i = 0; i < s->noutputs; i++) {
		l[0].value = s->outputs[i].spec;
		l[1].value = cw_sink_kind_name(s->outputs[i].kind);
		l[2].value = cw_format_name(s->outputs[i].format);
		cw_prom_u64(p, "credwatch_output_up", l, 3, s->outputs[i].healthy);
	}
	for (size_t f = 0; f < ARRAY_SIZE(output_families); f++)
		render_output_family(s, p, output_families[f].name, output_families[f].type,
				     output_families[f].help, output_families[f].field);
	l[1].name = "kind";
	cw_prom_family(p, "credwatch_output_dropped_total", "counter",
		       "Findings an output refused (its spool full or unwritable), by event.kind");
	for (size_t i = 0; i < s->noutputs; i++) {
		l[0].value = s->outputs[i].spec;
		l[1].value = "alert";
		cw_prom_u64(p, "credwatch_output_dropped_total", l, 2,
			    s->outputs[i].dropped_alerts);
		l[1].value = "event";
		cw_prom_u64(p, "credwatch_output_dropped_total", l, 2,
			    s->outputs[i].dropped_events);
	}
}

/* First execs of new executables held until their TLS probes were attached (first_exec.h). */
static void render_holds(const struct cw_hold_stats *h, struct cw_prom *p)
{
	cw_prom_one(p, "credwatch_first_exec_held_total", "counter",
		    "First execs of new executables held until their TLS probes were attached",
		    (double)h->held);
	cw_prom_one(p, "credwatch_first_exec_continued_total", "counter",
		    "Held processes continued by the agent, TLS probes in place",
		    (double)h->continued);
	cw_prom_one(p, "credwatch_first_exec_deadline_total", "counter",
		    "Held processes continued by the watchdog past the deadline (fail open)",
		    (double)h->deadline);
	cw_prom_one(p, "credwatch_first_exec_paused_total", "counter",
		    "Times holding was switched off until the agent caught up (a hold past the "
		    "deadline)",
		    (double)h->paused);
	cw_prom_one(p, "credwatch_first_exec_left_stopped_total", "counter",
		    "Held processes another party stopped meanwhile, left stopped",
		    (double)h->left_stopped);
	cw_prom_one(p, "credwatch_first_exec_not_held_total", "counter",
		    "First execs of new executables not held (traced, a terminal job, too many "
		    "held, the signal failed)",
		    (double)(h->traced + h->terminal_jobs + h->full + h->signal_failed));
	cw_prom_one(p, "credwatch_first_exec_wait_p99_seconds", "gauge",
		    "Hold duration (exec to SIGCONT), 99th percentile of the last 1024",
		    h->waits.p99_ms / 1000.0);
}

static void render_internals(const struct cw_ops_snapshot *s, struct cw_prom *p)
{
	struct cw_prom_label l = { "source", "egress" };

	cw_prom_one(p, "credwatch_tls_probed_files", "gauge",
		    "Files (TLS libraries, binaries) with TLS probes attached",
		    (double)s->tls_files);
	cw_prom_one(p, "credwatch_tls_probe_links", "gauge", "TLS uprobe links attached",
		    (double)s->tls_links);
	cw_prom_one(p, "credwatch_tls_attach_failures_total", "counter",
		    "TLS probes that could not be attached", (double)s->tls_failures);
	cw_prom_one(p, "credwatch_tls_attach_limit_hits_total", "counter",
		    "Files not probed: the limit of probed files was reached",
		    (double)s->tls_limit_hits);
	cw_prom_one(p, "credwatch_tls_released_total", "counter",
		    "Files whose TLS probes were detached (least recently used, or changed)",
		    (double)s->tls_released);
	render_holds(&s->holds, p);
	cw_prom_one(p, "credwatch_provenance_credentials", "gauge",
		    "Credentials in the provenance store", (double)s->prov_creds);
	cw_prom_one(p, "credwatch_provenance_evictions_total", "counter",
		    "Credentials evicted from the full provenance store",
		    (double)s->prov_evictions);
	cw_prom_family(p, "credwatch_matcher_bytes_total", "counter",
		       "Bytes handed to the matcher, by source (egress: TLS and TCP writes; files: "
		       "watched files)");
	cw_prom_u64(p, "credwatch_matcher_bytes_total", &l, 1, s->bytes_egress);
	l.value = "files";
	cw_prom_u64(p, "credwatch_matcher_bytes_total", &l, 1, s->bytes_files);
}

/* Pod metadata (host/kubeclient.h): only when a source runs. */
static void render_kube(const struct cw_kube_stats *k, struct cw_prom *p)
{
	cw_prom_one(p, "credwatch_kube_up", "gauge",
		    "1 when the pod metadata source answers (the watch is open, the last fetch "
		    "worked)",
		    k->up ? 1 : 0);
	cw_prom_one(p, "credwatch_kube_pods", "gauge", "Pods whose metadata is known",
		    (double)k->pods);
	cw_prom_one(p, "credwatch_kube_pod_metadata_bytes", "gauge",
		    "Memory the known pods' metadata uses", (double)k->pod_bytes);
	cw_prom_one(p, "credwatch_kube_lists_total", "counter",
		    "Pod lists taken: API server lists (all pages) and kubelet /pods fetches",
		    (double)k->lists);
	cw_prom_one(p, "credwatch_kube_list_requests_total", "counter",
		    "HTTP requests for pod lists (pages and failed attempts included)",
		    (double)k->list_requests);
	cw_prom_one(p, "credwatch_kube_watch_restarts_total", "counter",
		    "API server watches that ended and were started again",
		    (double)k->watch_restarts);
	cw_prom_one(p, "credwatch_kube_relists_gone_total", "counter",
		    "Lists taken again because the watch's resourceVersion was too old (410 Gone)",
		    (double)k->relists_gone);
	cw_prom_one(p, "credwatch_kube_watch_events_total", "counter",
		    "Watch events applied (ADDED, MODIFIED, DELETED, BOOKMARK)", (double)k->events);
	cw_prom_one(p, "credwatch_kube_errors_total", "counter",
		    "Pod metadata requests that failed (transport, HTTP status, body) and events "
		    "that could not be read",
		    (double)k->errors);
	cw_prom_one(p, "credwatch_kube_lookups_total", "counter",
		    "Pods the agent met before their metadata was known", (double)k->wanted);
}

/* The flight recorder (trace/flight.h): only when one runs. */
static void render_flight(const struct cw_flight_stats *r, struct cw_prom *p)
{
	struct cw_prom_label l = { "reason", "expired" };

	cw_prom_one(p, "credwatch_flight_recorder_window_seconds", "gauge",
		    "Seconds the flight recorder keeps before an alert (--flight-recorder)",
		    (double)r->seconds);
	cw_prom_one(p, "credwatch_flight_recorder_memory_limit_bytes", "gauge",
		    "Bytes the flight recorder may keep (--flight-recorder-memory)",
		    (double)r->memory_bound);
	cw_prom_one(p, "credwatch_flight_recorder_records_total", "counter",
		    "Records handed to the flight recorder", (double)r->records);
	cw_prom_one(p, "credwatch_flight_recorder_records", "gauge",
		    "Records the flight recorder keeps now", (double)r->records_kept);
	cw_prom_one(p, "credwatch_flight_recorder_bytes", "gauge",
		    "Bytes the flight recorder keeps now (compressed, and buffers not yet)",
		    (double)r->bytes_kept);
	cw_prom_family(p, "credwatch_flight_recorder_records_dropped_total", "counter",
		       "Records the flight recorder let go before any alert needed them: expired "
		       "(older than the window), memory (over --flight-recorder-memory), refused "
		       "(bigger than half of it, or its worker behind)");
	cw_prom_u64(p, "credwatch_flight_recorder_records_dropped_total", &l, 1, r->expired);
	l.value = "memory";
	cw_prom_u64(p, "credwatch_flight_recorder_records_dropped_total", &l, 1, r->evicted);
	l.value = "refused";
	cw_prom_u64(p, "credwatch_flight_recorder_records_dropped_total", &l, 1, r->refused);
	cw_prom_one(p, "credwatch_flight_recorder_dumps_total", "counter",
		    "Trace files the flight recorder started for an alert", (double)r->dumps);
	cw_prom_one(p, "credwatch_flight_recorder_dump_failures_total", "counter",
		    "Flight recorder dumps that failed to be written", (double)r->dumps_failed);
	cw_prom_one(p, "credwatch_flight_recorder_dumps_cut_total", "counter",
		    "Flight recorder dumps cut short at --flight-recorder-disk",
		    (double)r->dumps_cut);
	cw_prom_one(p, "credwatch_flight_recorder_dump_bytes_total", "counter",
		    "Bytes the flight recorder wrote to trace files", (double)r->dump_bytes);
	cw_prom_one(p, "credwatch_flight_recorder_alerts_named_total", "counter",
		    "Alerts that named a flight recorder trace (credwatch.trace.path)",
		    (double)r->alerts_named);
	l.value = "rate";
	cw_prom_family(p, "credwatch_flight_recorder_dumps_refused_total", "counter",
		       "Alerts that got no dump: rate (--flight-recorder-max-dumps per hour), disk "
		       "(--flight-recorder-disk)");
	cw_prom_u64(p, "credwatch_flight_recorder_dumps_refused_total", &l, 1, r->refused_rate);
	l.value = "disk";
	cw_prom_u64(p, "credwatch_flight_recorder_dumps_refused_total", &l, 1, r->refused_disk);
	cw_prom_one(p, "credwatch_flight_recorder_traces_removed_total", "counter",
		    "Old flight recorder traces removed to stay within --flight-recorder-disk",
		    (double)r->removed);
}

void cw_metrics_render(const struct cw_ops_snapshot *s, struct cw_prom *p)
{
	cw_prom_reset(p);
	render_agent(s, p);
	render_events(s, p);
	render_findings(s, p);
	render_outputs(s, p);
	render_internals(s, p);
	if (s->kube_on)
		render_kube(&s->kube, p);
	if (s->flight_on)
		render_flight(&s->flight, p);
}
