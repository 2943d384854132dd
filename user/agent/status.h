/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The status file `credwatch status` reads: the agent's snapshot (metrics.h) as one JSON
 * object, rewritten every second by the main loop (a temporary file renamed over the old
 * one, so a reader never sees half of it), mode 0644: it holds counts, output specs and error
 * messages, never a credential. Its "updated_unix_ms" says how fresh it is; the last one an
 * agent writes as it stops says "running": false.
 */
#ifndef CW_AGENT_STATUS_H
#define CW_AGENT_STATUS_H

#include <stddef.h>

#include "agent/metrics.h"
#include "util/json_writer.h"

#define CW_STATUS_DEFAULT_FILE "/run/credwatch/status.json"
#define CW_STATUS_INTERVAL_S 1

/* The snapshot as the status JSON object into j (reset first). */
void cw_status_render(const struct cw_ops_snapshot *s, struct cw_json *j);
/* Write it to path atomically (its directory made, 0755, when missing): 0 or -errno. */
int cw_status_write(const char *path, const struct cw_ops_snapshot *s, struct cw_json *j);

#endif
