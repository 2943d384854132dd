/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * A sink: the far end of one output (a file, a syslog server, an HTTPS endpoint). Each output
 * runs its sink in a thread of its own (output/outputs.c), so a slow or dead sink stalls
 * neither matching nor the other outputs. The thread hands the sink batches of rendered
 * records in order; the sink says how many of them, from the start, are delivered for good
 * (acknowledged by the far end) — those leave the spool — and when to try the rest again.
 */
#ifndef CW_SINK_H
#define CW_SINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "output/output_spec.h"

/* One rendered record: a finding in the output's format, without a trailing newline. */
struct cw_sink_rec {
	const char *data;
	size_t len;
	const char *event_id; /* the finding's event.id (bulk: the document _id) */
	uint64_t seq;	      /* its place in the output's stream, from 1 */
	bool alert;	      /* event.kind "alert" (else an observation): syslog's MSGID */
};

struct cw_sink_result {
	size_t acked;		/* records delivered, from the start of the batch */
	size_t rejected;	/* of those, refused for good by the far end (a document the index
				 * will never take): they leave the spool, counted and logged */
	char rejected_why[256]; /* the first refusal's reason */
	int64_t retry_after_ms; /* the far end asked to wait (429 Retry-After); 0: backoff */
	/* why the rest was not delivered, "" when all were; "" with acked < n: the rest is in
	 * flight (sent, not acknowledged yet): handed again at once, with any new ones after it */
	char error[256];
};

struct cw_sink_ops {
	const char *name;
	/* Set up (read credential files, check the CA file...): 0, or -errno and a one-line
	 * reason. Does not need the far end to be up. */
	int (*open)(const struct cw_output_spec *spec, void **state, char *err, size_t errlen);
	/* Deliver recs[0..n) in order; fill r. Blocks at most the spec's timeout. */
	void (*send)(void *state, const struct cw_sink_rec *recs, size_t n,
		     struct cw_sink_result *r);
	/* The output was told to reopen (SIGHUP: a rotated file, new credentials). */
	void (*reopen)(void *state);
	void (*close)(void *state);
};

/* The ops for a kind (NULL for stdout and file, which outputs.c writes itself). */
const struct cw_sink_ops *cw_sink_ops_for(enum cw_sink_kind kind);

extern const struct cw_sink_ops cw_sink_syslog_ops; /* udp, tcp, tls (sink_syslog.c) */
extern const struct cw_sink_ops cw_sink_http_ops;   /* hec, bulk, webhook (sink_http.c) */

#endif
