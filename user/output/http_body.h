/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The request bodies of the HTTPS sinks (sink_http.c), one batch of rendered findings each:
 *   Splunk HEC   {"time":..,"host":..,"source":"credwatch","sourcetype":"_json"[,"index":..],
 *                 "event":FINDING} per finding, concatenated (HEC's batch form);
 *   bulk         {"create":{["_index":..,]"_id":EVENT_ID}}\n FINDING\n per finding (NDJSON): a
 *                finding delivered again hits its own _id and cannot become a second document;
 *   webhook      [FINDING,FINDING,...].
 * Findings go in verbatim: they are JSON objects already.
 */
#ifndef CW_HTTP_BODY_H
#define CW_HTTP_BODY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "output/sink.h"

/* A body being built; reused from request to request. */
struct cw_http_buf {
	char *p;
	size_t len, cap;
	bool oom; /* an append failed: the body is unusable */
};

void cw_http_buf_free(struct cw_http_buf *b);

/*
 * HEC batch of recs[0..n) into b (replacing what it held). host and index are plain strings
 * (index NULL or "": none); a finding's "time" is its own @timestamp (ECS) or time (OCSF),
 * else now_ms. 0 or -ENOMEM.
 */
int cw_http_body_hec(struct cw_http_buf *b, const struct cw_sink_rec *recs, size_t n,
		     const char *host, const char *index, int64_t now_ms);
/* _bulk NDJSON; index NULL or "": no _index in the actions (the URL names it). 0 or -ENOMEM. */
int cw_http_body_bulk(struct cw_http_buf *b, const struct cw_sink_rec *recs, size_t n,
		      const char *index);
/* Webhook: a JSON array. 0 or -ENOMEM. */
int cw_http_body_webhook(struct cw_http_buf *b, const struct cw_sink_rec *recs, size_t n);

/*
 * When a rendered finding happened, in ms since the epoch: its top-level "@timestamp"
 * (ECS, "2026-11-22T07:38:05.123Z") or "time" (OCSF, ms). -1 when it has neither.
 */
int64_t cw_http_record_time_ms(const char *data, size_t len);

#endif
