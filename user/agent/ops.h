/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The agent's operational surface, hooked into its lifecycle by one call each: at the start
 * the metrics endpoint binds (a failure stops the start with one line), in the main loop
 * once a second every counter is copied into a snapshot that becomes the metrics text and the
 * status file, and at the stop a last status ("running": false) is written.
 */
#ifndef CW_AGENT_OPS_H
#define CW_AGENT_OPS_H

#include <stdbool.h>
#include <stdint.h>

#include "agent/metrics.h"
#include "util/json_writer.h"
#include "util/prom_text.h"

struct cw_agent;
struct cw_agent_opts;
struct cw_metrics_server;

struct cw_agent_ops {
	struct cw_metrics_server *metrics; /* NULL: no --metrics */
	const char *status_file;	   /* NULL: none */
	struct cw_alert_counts by_rule;	   /* findings by action and rule */
	struct cw_ops_snapshot *snap;
	struct cw_prom prom;
	struct cw_json json;
	int64_t start_unix_ms;
	double next_s;	    /* monotonic time of the next snapshot */
	bool status_failed; /* a write failed: logged once until one succeeds */
};

/* Bind the metrics endpoint; 0, or 1 (the exit status) with the reason logged. */
int cw_agent_ops_start(struct cw_agent *a, const struct cw_agent_opts *o);
/* From the main loop, as often as it likes: a snapshot once a second. */
void cw_agent_ops_tick(struct cw_agent *a);
/* A finding as it is put to the outputs (the per-action and per-rule counts). */
void cw_agent_ops_count(struct cw_agent *a, const char *action, const char *rule, bool alert);
/* The last status, then stop the endpoint. */
void cw_agent_ops_stop(struct cw_agent *a);

#endif
