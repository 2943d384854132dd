/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The outputs: every finding goes to each configured output, rendered in its format. stdout
 * is written at once, file outputs once per pass of the agent's loop (a file rotated by size,
 * reopened on SIGHUP); every other output appends the rendered finding to its own disk spool
 * (output/spool.h), a pass's findings in one write, and a
 * thread of its own delivers the spool to its sink (output/sink.h) in order, in batches,
 * retrying with exponential backoff and jitter (honouring Retry-After), so that a sink that
 * is down loses nothing and stalls nothing: the spool is deleted only as the sink
 * acknowledges, survives the agent's restart (SIGKILL included: the unacknowledged tail is
 * delivered on the next start), and is bounded (when full, observations are refused before
 * alerts; every refusal counted). Health transitions (down/up) are logged once each.
 */
#ifndef CW_OUTPUTS_H
#define CW_OUTPUTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "output/output_spec.h"

#define CW_SPOOL_DEFAULT_DIR "/var/lib/credwatch/spool"
#define CW_SPOOL_DEFAULT_MAX (256ULL << 20)
#define CW_SPOOL_DEFAULT_SYNC_MS 1000

struct cw_outputs_opts {
	const char *spool_dir; /* NULL: CW_SPOOL_DEFAULT_DIR; one subdirectory per output */
	uint64_t spool_max;    /* bytes per output's spool; 0: CW_SPOOL_DEFAULT_MAX */
	unsigned sync_ms;      /* fsync interval of the spools; 0: CW_SPOOL_DEFAULT_SYNC_MS */
	const char *hostname;  /* for syslog HOSTNAME and HEC host */
};

struct cw_outputs;

/* Open every output (specs[0..n), n >= 1). 0, or -errno with a one-line reason naming the
 * output. A sink that is unreachable is not an error: its findings wait in its spool. */
int cw_outputs_open(const struct cw_output_spec *specs, size_t n, const struct cw_outputs_opts *o,
		    struct cw_outputs **out, char *err, size_t errlen);

/*
 * One finding: ecs is its ECS JSON object (len bytes, no newline), event_id its event.id,
 * alert whether event.kind is "alert". Rendered for each output: written to stdout at once
 * (an alert after the spools have it on disk: their staged records are appended first),
 * staged for files and spools until cw_outputs_tick; never waits on a sink. 0; -ENOMEM; -EIO
 * when stdout cannot be written or a file's line cannot be staged (a spool that is full or
 * cannot be written is counted and logged, not an error).
 */
int cw_outputs_put(struct cw_outputs *os, const char *ecs, size_t len, const char *event_id,
		   bool alert);

/*
 * Once per pass of the agent's loop: what was staged since goes out, each file's lines in one
 * write, each spool's records in one append, each delivery thread woken once. Drain, close and
 * reload do it first, too.
 */
void cw_outputs_tick(struct cw_outputs *os);

/*
 * SIGHUP: outputs whose spec is unchanged keep their queue and reopen (a rotated file, new
 * credentials); new ones open; removed ones stop (their spool stays on disk). On an error
 * nothing changes: -errno and the reason in err.
 */
int cw_outputs_reload(struct cw_outputs *os, const struct cw_output_spec *specs, size_t n,
		      char *err, size_t errlen);

/* Stop: give each sink up to drain_ms to deliver what is queued, then stop its thread (the
 * rest stays in its spool for the next start). NULL is a no-op. */
void cw_outputs_close(struct cw_outputs *os, unsigned drain_ms);

/* Stop the delivery threads as cw_outputs_close does, but keep the outputs for their final
 * stats (the agent's summary line); close them after. */
void cw_outputs_drain(struct cw_outputs *os, unsigned drain_ms);

/* One output's state, for metrics and `credwatch status`. */
struct cw_output_stats {
	char spec[CW_OUTPUT_STR];
	enum cw_sink_kind kind;
	enum cw_format format;
	bool healthy;		  /* the last attempt delivered (or nothing to deliver) */
	uint64_t written;	  /* findings put to this output */
	uint64_t delivered;	  /* acknowledged by the sink */
	uint64_t failures;	  /* send attempts that did not deliver everything */
	uint64_t retries;	  /* batches sent again */
	uint64_t rejected;	  /* delivered but refused for good by the far end (counted, logged,
				   * not sent again: it would hold the rest back) */
	uint64_t queued;	  /* put, not yet acknowledged */
	uint64_t spool_bytes;	  /* on disk now */
	uint64_t dropped_alerts;  /* refused: the spool was full or unwritable */
	uint64_t dropped_events;  /* observations refused */
	int64_t oldest_queued_ms; /* age of the oldest unacknowledged finding; 0: none */
	char last_error[256];
};

/* Up to max outputs' stats into out; returns how many outputs there are. Thread-safe. */
size_t cw_outputs_stats(struct cw_outputs *os, struct cw_output_stats *out, size_t max);

#endif
