/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * What the far end of an HTTPS sink answered, for one batch (sink_http.c): how many findings,
 * from the start, are delivered for good, and why the rest are not.
 *   Splunk HEC   200 {"text":"Success","code":0}: all; else none, with HEC's code and text.
 *   bulk         item by item: 201 created, 200, and 409 (the _id exists: delivered before)
 *                count; acked is the prefix before the first other item. A later item that
 *                was created is sent again with the rest and answers 409.
 *   webhook      any 2xx: all.
 * Each returns true when the far end asked to slow down (HTTP 429 or 503, or a bulk item
 * rejected with 429): the caller then honours Retry-After.
 */
#ifndef CW_HTTP_REPLY_H
#define CW_HTTP_REPLY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "output/sink.h"

/* Longest wait a Retry-After is honoured for; beyond it the far end is misconfigured. */
#define CW_RETRY_AFTER_MAX_MS (3600LL * 1000)

/*
 * A Retry-After value (RFC 9110: delay-seconds, or an HTTP-date, in any of its three forms) as
 * ms from now: 0 for a date already past, at most CW_RETRY_AFTER_MAX_MS; -1 when unreadable.
 */
int64_t cw_http_retry_after_ms(const char *value, time_t now);

/* A credential shorter than this is not looked for in replies (it would mask common text). */
#define CW_HTTP_SECRET_MIN 4

/*
 * Mask (with '*') every occurrence of each of the n secrets in the reply body, before anything
 * reads it: a far end that echoes the request's credential (a proxy's error page, a debug
 * endpoint) must not put it in a health message. NULL and short secrets are skipped.
 */
void cw_http_reply_mask(char *body, size_t len, const char *const *secrets, size_t n);

/*
 * Each fills r (acked, error) from the reply's status and body. A 2xx whose body is not the
 * endpoint's reply says so with the body's length and start ("HTTP 200 without HEC's reply
 * (an empty body)").
 */
bool cw_http_reply_hec(long status, const char *body, size_t len, size_t n,
		       struct cw_sink_result *r);
bool cw_http_reply_bulk(long status, const char *body, size_t len, const struct cw_sink_rec *recs,
			size_t n, struct cw_sink_result *r);
bool cw_http_reply_webhook(long status, const char *body, size_t len, size_t n,
			   struct cw_sink_result *r);

#endif
