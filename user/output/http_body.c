// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Request bodies of the HTTPS sinks (see http_body.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "output/http_body.h"
#include "util/grow.h"
#include "util/json_writer.h"

void cw_http_buf_free(struct cw_http_buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

/* Appends are sticky on failure: the builders check b->oom once, at the end. */
static void put(struct cw_http_buf *b, const void *s, size_t n)
{
	if (b->oom || cw_grow((void **)&b->p, &b->cap, b->len + n + 1, 1)) {
		b->oom = true;
		return;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void puts_(struct cw_http_buf *b, const char *s)
{
	put(b, s, strlen(s));
}

/* s as a JSON string, quotes included. */
static void put_str(struct cw_http_buf *b, const char *s)
{
	struct cw_json j;

	cw_json_init(&j);
	cw_json_escape(&j, s, strlen(s));
	if (j.oom)
		b->oom = true;
	else
		put(b, j.buf, j.len);
	cw_json_free(&j);
}

static void start(struct cw_http_buf *b)
{
	b->len = 0;
	b->oom = false;
	put(b, "", 0);
}

static int finish(struct cw_http_buf *b)
{
	return b->oom ? -ENOMEM : 0;
}

/* The value after the first `"key":` in the record, or NULL. */
static const char *value_of(const char *data, size_t len, const char *key)
{
	char pat[32];
	int pl = snprintf(pat, sizeof(pat), "\"%s\":", key);
	const char *p = memmem(data, len, pat, (size_t)pl);

	return p ? p + pl : NULL;
}

int64_t cw_http_record_time_ms(const char *data, size_t len)
{
	const char *end = data + len, *v;
	struct tm tm = { 0 };
	int ms = 0, used = 0;

	v = value_of(data, len, "@timestamp");
	if (v && end - v >= 21 && *v == '"') {
		char ts[40];
		size_t n = 0;

		while (n + 1 < sizeof(ts) && v + 1 + n < end && v[1 + n] != '"') {
			ts[n] = v[1 + n];
			n++;
		}
		ts[n] = '\0';
		if (sscanf(ts, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
			   &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &used) == 6) {
			if (ts[used] == '.')
				sscanf(ts + used + 1, "%3d", &ms);
			tm.tm_year -= 1900;
			tm.tm_mon -= 1;
			return (int64_t)timegm(&tm) * 1000 + ms;
		}
	}
	v = value_of(data, len, "time");
	if (v && v < end && *v >= '0' && *v <= '9') {
		int64_t t = 0;

		while (v < end && *v >= '0' && *v <= '9' && t < INT64_MAX / 10)
			t = t * 10 + (*v++ - '0');
		return t;
	}
	return -1;
}

static void hec_event(struct cw_http_buf *b, const struct cw_sink_rec *r, const char *host,
		      const char *index, int64_t now_ms)
{
	int64_t t = cw_http_record_time_ms(r->data, r->len);
	char num[48];

	if (t < 0)
		t = now_ms;
	snprintf(num, sizeof(num), "{\"time\":%" PRId64 ".%03d,\"host\":", t / 1000,
		 (int)(t % 1000));
	puts_(b, num);
	put_str(b, host);
	puts_(b, ",\"source\":\"credwatch\",\"sourcetype\":\"_json\"");
	if (index && *index) {
		puts_(b, ",\"index\":");
		put_str(b, index);
	}
	puts_(b, ",\"event\":");
	put(b, r->data, r->len);
	puts_(b, "}");
}

int cw_http_body_hec(struct cw_http_buf *b, const struct cw_sink_rec *recs, size_t n,
		     const char *host, const char *index, int64_t now_ms)
{
	start(b);
	for (size_t i = 0; i < n; i++) {
		/* HEC takes the events back to back; a newline between keeps them readable. */
		if (i)
			put(b, "\n", 1);
		hec_event(b, &recs[i], host ? host : "", index, now_ms);
	}
	return finish(b);
}

int cw_http_body_bulk(struct cw_http_buf *b, const struct cw_sink_rec *recs, size_t n,
		      const char *index)
{
	start(b);
	for (size_t i = 0; i < n; i++) {
		puts_(b, "{\"create\":{");
		if (index && *index) {
			puts_(b, "\"_index\":");
			put_str(b, index);
			puts_(b, ",");
		}
		/* No event id (never from the outputs): the index picks one, and a retry can
		 * duplicate this finding. */
		if (recs[i].event_id && *recs[i].event_id) {
			puts_(b, "\"_id\":");
			put_str(b, recs[i].event_id);
		} else if (b->len && b->p[b->len - 1] == ',') {
			b->len--;
		}
		puts_(b, "}}\n");
		put(b, recs[i].data, recs[i].len);
		puts_(b, "\n");
	}
	return finish(b);
}

int cw_http_body_webhook(struct cw_http_buf *b, const struct cw_sink_rec *recs, size_t n)
{
	start(b);
	puts_(b, "[");
	for (size_t i = 0; i < n; i++) {
		if (i)
			puts_(b, ",");
		put(b, recs[i].data, recs[i].len);
	}
	puts_(b, "]");
	return finish(b);
}
