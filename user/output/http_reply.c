// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Replies of the HTTPS sinks' far ends (see http_reply.h). */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "output/http_reply.h"

int64_t cw_http_retry_after_ms(const char *value, time_t now)
{
	/* IMF-fixdate, then the obsolete RFC 850 and asctime forms a recipient must accept. */
	static const char *const dates[] = { "%a, %d %b %Y %H:%M:%S GMT",
					     "%A, %d-%b-%y %H:%M:%S GMT", "%a %b %e %H:%M:%S %Y" };
	const char *p = value;
	struct tm tm;
	int64_t ms;

	while (*p == ' ' || *p == '\t')
		p++;
	if (isdigit((unsigned char)*p)) {
		char *end;
		unsigned long long s;

		errno = 0;
		s = strtoull(p, &end, 10);
		while (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n')
			end++;
		if (*end || errno)
			return -1;
		return s >= CW_RETRY_AFTER_MAX_MS / 1000 ? CW_RETRY_AFTER_MAX_MS
							 : (int64_t)s * 1000;
	}
	for (size_t i = 0; i < sizeof(dates) / sizeof(dates[0]); i++) {
		const char *end;

		memset(&tm, 0, sizeof(tm));
		end = strptime(p, dates[i], &tm);
		if (!end)
			continue;
		while (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n')
			end++;
		if (*end)
			continue;
		ms = ((int64_t)timegm(&tm) - (int64_t)now) * 1000;
		if (ms < 0)
			return 0;
		return ms > CW_RETRY_AFTER_MAX_MS ? CW_RETRY_AFTER_MAX_MS : ms;
	}
	return -1;
}

/* Text the far end sent, safe for a one-line message: printable ASCII, at most max bytes. */
static void clean_text(char *out, size_t cap, const char *s, size_t n, size_t max)
{
	size_t o = 0;

	for (size_t i = 0; i < n && o + 1 < cap && o < max; i++)
		out[o++] = isprint((unsigned char)s[i]) ? s[i] : ' ';
	out[o] = '\0';
}

/* What a reply that is not the endpoint's held, for the health message: 'an empty body' or
 * 'N bytes: "<start of it>"' (printable ASCII, cut at 60 bytes, marked "..." when cut). */
static void body_excerpt(char *out, size_t cap, const char *body, size_t len)
{
	char text[64];

	if (!len) {
		snprintf(out, cap, "an empty body");
		return;
	}
	clean_text(text, sizeof(text), body, len, 60);
	snprintf(out, cap, "%zu byte%s: \"%s%s\"", len, len == 1 ? "" : "s", text,
		 len > 60 ? "..." : "");
}

void cw_http_reply_mask(char *body, size_t len, const char *const *secrets, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		size_t l = secrets[i] ? strlen(secrets[i]) : 0;
		char *p = body, *end = body + len;

		if (l < CW_HTTP_SECRET_MIN)
			continue;
		while (p < end && (p = memmem(p, (size_t)(end - p), secrets[i], l))) {
			memset(p, '*', l);
			p += l;
		}
	}
}

static bool slow_down(long status)
{
	return status == 429 || status == 503;
}

/* "HTTP 500: <what the body says>" for a reply that is not what we asked for. */
static void http_error(struct cw_sink_result *r, long status, const char *body, size_t len)
{
	char text[128];

	clean_text(text, sizeof(text), body, len, 100);
	snprintf(r->error, sizeof(r->error), "HTTP %ld%s%s%s", status,
		 status == 401 || status == 403 ? " (the credential was refused)" : "",
		 *text ? ": " : "", text);
}

bool cw_http_reply_hec(long status, const char *body, size_t len, size_t n,
		       struct cw_sink_result *r)
{
	json_t *root = json_loadb(body, len, 0, NULL), *code, *text;
	char clean[128];

	r->acked = 0;
	code = json_object_get(root, "code");
	text = json_object_get(root, "text");
	if (status == 200 && json_is_integer(code) && json_integer_value(code) == 0) {
		r->acked = n;
		r->error[0] = '\0';
	} else if (json_is_integer(code)) {
		clean_text(clean, sizeof(clean), json_string_value(text) ?: "",
			   json_string_length(text), 100);
		snprintf(r->error, sizeof(r->error), "HEC code %lld: %s (HTTP %ld)",
			 (long long)json_integer_value(code), clean, status);
	} else {
		http_error(r, status, body, len);
		if (status == 200) {
			char what[128];

			body_excerpt(what, sizeof(what), body, len);
			snprintf(r->error, sizeof(r->error), "HTTP 200 without HEC's reply (%s)",
				 what);
		}
	}
	json_decref(root);
	return slow_down(status);
}

static bool item_ok(int status)
{
	return status == 200 || status == 201 || status == 409;
}

/* Refused for good: sending it again would be refused again (a mapping error, 400), and would
 * hold every finding after it back forever. Not a timeout or throttling. */
static bool item_refused_for_good(int status)
{
	return status >= 400 && status <= 499 && status != 408 && status != 429;
}

/* Item i of a bulk reply: {"create":{"_id":..,"status":..,"error":{..}}} (or "index"). */
static json_t *item_body(json_t *item)
{
	const char *k;
	json_t *v;

	json_object_foreach (item, k, v)
		return v;
	return NULL;
}

static void item_error(struct cw_sink_result *r, size_t i, const char *id, int status, json_t *b)
{
	json_t *err = json_object_get(b, "error");
	const char *type = json_string_value(json_object_get(err, "type"));
	const char *reason = json_string_value(json_object_get(err, "reason"));
	char t[64], why[120];

	clean_text(t, sizeof(t), type ?: "", type ? strlen(type) : 0, 60);
	clean_text(why, sizeof(why), reason ?: "", reason ? strlen(reason) : 0, 100);
	snprintf(r->error, sizeof(r->error), "bulk item %zu (_id %.64s): status %d %s%s%s", i,
		 id ?: "", status, t, *why ? ": " : "", why);
}

bool cw_http_reply_bulk(long status, const char *body, size_t len, const struct cw_sink_rec *recs,
			size_t n, struct cw_sink_result *r)
{
	json_t *root, *items, *item, *b;
	bool throttled = false;
	size_t i;

	r->acked = 0;
	r->rejected = 0;
	if (status < 200 || status > 299) {
		http_error(r, status, body, len);
		return slow_down(status);
	}
	root = json_loadb(body, len, 0, NULL);
	items = json_object_get(root, "items");
	if (!json_is_array(items)) {
		char what[128];

		body_excerpt(what, sizeof(what), body, len);
		snprintf(r->error, sizeof(r->error), "HTTP %ld without a bulk reply (%s)", status,
			 what);
		json_decref(root);
		return false;
	}
	r->error[0] = '\0';
	json_array_foreach (items, i, item) {
		const char *id;
		int st;

		if (i >= n)
			break;
		b = item_body(item);
		id = json_string_value(json_object_get(b, "_id"));
		st = (int)json_integer_value(json_object_get(b, "status"));
		/* Items answer in the order of the request; one that does not is not ours. */
		if (id && recs[i].event_id && *recs[i].event_id && strcmp(id, recs[i].event_id)) {
			snprintf(r->error, sizeof(r->error),
				 "bulk item %zu answers for _id %.64s, not %.64s", i, id,
				 recs[i].event_id);
			break;
		}
		if (item_refused_for_good(st)) {
			struct cw_sink_result why = { 0 };

			item_error(&why, i, recs[i].event_id, st, b);
			if (!r->rejected++)
				snprintf(r->rejected_why, sizeof(r->rejected_why), "%s", why.error);
		} else if (!item_ok(st)) {
			item_error(r, i, recs[i].event_id, st, b);
			throttled = st == 429;
			break;
		}
		r->acked = i + 1;
	}
	if (r->acked < n && !r->error[0])
		snprintf(r->error, sizeof(r->error), "bulk reply with %zu items for %zu documents",
			 json_array_size(items), n);
	json_decref(root);
	return throttled;
}

bool cw_http_reply_webhook(long status, const char *body, size_t len, size_t n,
			   struct cw_sink_result *r)
{
	if (status >= 200 && status <= 299) {
		r->acked = n;
		r->error[0] = '\0';
		return false;
	}
	r->acked = 0;
	http_error(r, status, body, len);
	return slow_down(status);
}
