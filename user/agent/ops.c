// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The operational surface's hooks (ops.h): the snapshot of every counter, taken on the main
 * loop's thread, rendered for the metrics endpoint and the status file.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent/metrics_http.h"
#include "agent/ops.h"
#include "agent/state.h"
#include "agent/stats.h"
#include "agent/status.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/version.h"

static int64_t unix_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The outputs' own view (thread-safe on their side). */
static void collect_outputs(struct cw_agent *a, struct cw_ops_snapshot *s)
{
	size_t n = a->outputs ? cw_outputs_stats(a->outputs, s->outputs, CW_OUTPUTS_MAX) : 0;

	s->noutputs = n < CW_OUTPUTS_MAX ? n : CW_OUTPUTS_MAX;
}

static void collect(struct cw_agent *a, struct cw_ops_snapshot *s)
{
	s->version = cw_version;
	s->pid = (int)getpid();
	s->start_unix_ms = a->ops.start_unix_ms;
	s->now_unix_ms = unix_ms();
	s->running = true;
	memcpy(s->events, a->events, sizeof(s->events));
	for (__u32 t = 0; t < CW_EV_MAX; t++)
		s->dropped[t] =
			a->drops_fd >= 0 ? cw_agent_percpu_sum(a->drops_fd, t, a->ncpus) : 0;
	s->malformed = a->malformed;
	s->alerts = a->f.alerts;
	s->observations = a->f.observations;
	s->suppressed = a->x.suppressed;
	s->by_rule = &a->ops.by_rule;
	collect_outputs(a, s);
	s->tls_files = a->tls.n;
	s->tls_links = a->tls.links;
	s->tls_failures = a->tls.failures;
	s->tls_limit_hits = a->tls.limit_hits;
	s->tls_released = a->tls.released;
	cw_first_exec_stats(&a->fe, &s->holds);
	s->prov_creds = a->prov.n;
	s->prov_evictions = a->prov.evictions;
	s->bytes_egress = a->egress.bytes;
	s->bytes_files = a->files.bytes;
	cw_ops_self_usage(&s->rss_bytes, &s->cpu_seconds);
	s->kube_on = a->kube != NULL;
	cw_kube_stats(a->kube, &s->kube);
	s->flight_on = a->opts->flight_stats != NULL;
	if (s->flight_on)
		a->opts->flight_stats(a->opts->flight_stats_arg, &s->flight);
}

static void write_status(struct cw_agent_ops *ops)
{
	int ret;

	if (!ops->status_file)
		return;
	ret = cw_status_write(ops->status_file, ops->snap, &ops->json);
	if (ret && !ops->status_failed)
		cw_log("cannot write the status file %s: %s ('credwatch status' will call the "
		       "agent stopped)",
		       ops->status_file, strerror(-ret));
	ops->status_failed = ret != 0;
}

int cw_agent_ops_start(struct cw_agent *a, const struct cw_agent_opts *o)
{
	struct cw_agent_ops *ops = &a->ops;
	char err[512];
	int ret;

	ops->start_unix_ms = unix_ms();
	cw_prom_init(&ops->prom);
	cw_json_init(&ops->json);
	ops->snap = calloc(1, sizeof(*ops->snap));
	if (!ops->snap)
		return 1;
	if (o->status_file && strcmp(o->status_file, "none"))
		ops->status_file = o->status_file;
	else if (!o->status_file)
		ops->status_file = CW_STATUS_DEFAULT_FILE;
	if (!o->metrics_addr)
		return 0;
	ret = cw_metrics_server_start(o->metrics_addr, &ops->metrics, err, sizeof(err));
	if (ret) {
		cw_log("%s", err);
		return 1;
	}
	cw_log("metrics at http://%s/metrics", o->metrics_addr);
	return 0;
}

void cw_agent_ops_tick(struct cw_agent *a)
{
	struct cw_agent_ops *ops = &a->ops;
	double now = cw_mono_s();

	if (!ops->snap || now < ops->next_s)
		return;
	ops->next_s = now + CW_STATUS_INTERVAL_S;
	collect(a, ops->snap);
	if (ops->metrics) {
		cw_metrics_render(ops->snap, &ops->prom);
		if (!ops->prom.oom)
			cw_metrics_server_publish(ops->metrics, ops->prom.buf, ops->prom.len);
	}
	write_status(ops);
}

void cw_agent_ops_count(struct cw_agent *a, const char *action, const char *rule, bool alert)
{
	if (!a->ops.snap) /* stopped: findings of the teardown (streams closed) go uncounted */
		return;
	cw_alert_counts_add(&a->ops.by_rule, action, rule, alert);
}

void cw_agent_ops_stop(struct cw_agent *a)
{
	struct cw_agent_ops *ops = &a->ops;

	if (ops->snap && a->rb) { /* it ran: say it stopped */
		collect(a, ops->snap);
		ops->snap->running = false;
		write_status(ops);
	}
	cw_metrics_server_stop(ops->metrics);
	ops->metrics = NULL;
	cw_prom_free(&ops->prom);
	cw_json_free(&ops->json);
	cw_alert_counts_free(&ops->by_rule);
	free(ops->snap);
	ops->snap = NULL;
}
