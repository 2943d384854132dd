// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Writing timelines (see timeline.h): a table a person reads in a 100-column terminal, or one
 * JSON object per credential per line. Paths, variable names and workload keys come from
 * watched processes: in the table they are made safe for a terminal (an escape sequence or a
 * bidi override in a file name must not rewrite what the reader sees).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace/timeline.h"
#include "util/json_writer.h"
#include "util/utf8.h"

#define INDENT 2
#define TIME_W 24 /* 2026-12-05T06:20:13.852Z */
#define WHAT_W 8
#define WHO_W 32
#define GAP 2
/* Where the WHO column starts, and the width of what goes on from there. */
#define WHO_AT (INDENT + TIME_W + GAP + WHAT_W + GAP)
#define WHERE_AT (WHO_AT + WHO_W + GAP)
#define WHERE_W (CW_TL_WIDTH - WHERE_AT)
#define MORE_W (CW_TL_WIDTH - WHO_AT)

_Static_assert(WHERE_W >= 24, "timeline table: no room left for WHERE");

static void iso(char out[32], int64_t ms)
{
	const int64_t lim = INT64_MAX / 1000000;

	cw_json_timestamp(out, (ms < 0 ? 0 : ms > lim ? lim : ms) * 1000000);
}

/* A cell: s fitted to width w, padded with spaces to w when pad. */
static void cell(FILE *out, const char *s, int w, bool pad)
{
	char buf[1024];
	int got = cw_utf8_term_fit(buf, sizeof(buf), s, w);

	fputs(buf, out);
	while (pad && got++ < w)
		fputc(' ', out);
}

/* A continuation line: text from the WHO column on, cut to the line's end. */
__attribute__((format(printf, 2, 3))) static void more(FILE *out, const char *fmt, ...)
{
	char text[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	fprintf(out, "%*s", WHO_AT, "");
	cell(out, text, MORE_W, false);
	fputc('\n', out);
}

/* The credential's header lines. */
static void table_header(FILE *out, const struct cw_tl_cred *c, bool from_store)
{
	char line[1024];
	size_t alerts = 0;

	for (size_t i = 0; i < c->nev; i++)
		alerts += c->ev[i].alert;
	snprintf(line, sizeof(line), "%s  %s", c->redacted[0] ? c->redacted : "(redacted unknown)",
		 c->rule[0] ? c->rule : "(rule unknown)");
	if (c->kind[0] && strcmp(c->kind, c->rule))
		snprintf(line + strlen(line), sizeof(line) - strlen(line), "  %s", c->kind);
	if (c->lifetime[0])
		snprintf(line + strlen(line), sizeof(line) - strlen(line), "  %s", c->lifetime);
	cell(out, line, CW_TL_WIDTH, false);
	fprintf(out, "\n%*sfingerprint %s\n", INDENT, "", c->fingerprint);
	fprintf(out, "%*sowners      ", INDENT, "");
	line[0] = '\0';
	for (size_t i = 0; i < c->owners.n; i++)
		snprintf(line + strlen(line), sizeof(line) - strlen(line), "%s%s", i ? ", " : "",
			 c->owners.v[i]);
	cell(out, c->owners.n ? line : "(none known)", CW_TL_WIDTH - INDENT - 12, false);
	fprintf(out, "\n%*s%-12s%zu, %zu alert%s%s\n", INDENT, "", "events", c->nev, alerts,
		alerts == 1 ? "" : "s", from_store ? " (the provenance store keeps none)" : "");
	fprintf(out, "%*s%-*s  %-*s  %-*s  %s\n", INDENT, "", TIME_W, "TIME", WHAT_W, "WHAT", WHO_W,
		"WORKLOAD", "WHERE / DETAIL");
}

/* Where the event happened: the source and its detail, or the destination. */
static void where_of(const struct cw_tl_event *e, char *buf, size_t len)
{
	if (e->dest_domain[0] || e->dest_ip[0]) {
		const char *host = e->dest_domain[0] ? e->dest_domain : e->dest_ip;

		if (e->dest_port)
			snprintf(buf, len, "%s %s:%u", e->what == CW_TL_RECEIVED ? "from" : "to",
				 host, e->dest_port);
		else
			snprintf(buf, len, "%s %s", e->what == CW_TL_RECEIVED ? "from" : "to",
				 host);
	} else if (e->destination[0]) {
		snprintf(buf, len, "to %s", e->destination);
	} else if (e->source[0]) {
		snprintf(buf, len, "%s%s%s", e->source, e->detail[0] ? " " : "", e->detail);
	} else {
		buf[0] = '\0';
	}
}

static void table_event(FILE *out, const struct cw_tl_event *e, bool from_store)
{
	char ts[32], where[1024];
	size_t wlen;

	iso(ts, e->time_ms);
	where_of(e, where, sizeof(where));
	wlen = strlen(where);
	fprintf(out, "%*s%-*s  %-*s  ", INDENT, "", TIME_W, ts, WHAT_W, cw_tl_what_name(e->what));
	/* A WHERE too long for its column goes whole on a line of its own. */
	cell(out, e->workload[0] ? e->workload : "-", WHO_W, wlen != 0 && wlen <= WHERE_W);
	if (wlen && wlen <= WHERE_W) {
		fputs("  ", out);
		cell(out, where, WHERE_W, false);
	}
	fputc('\n', out);
	if (wlen > WHERE_W)
		more(out, "%s", where);
	if (strlen(e->workload) > WHO_W)
		more(out, "workload %s", e->workload);
	if (e->pid || e->process[0] || e->executable[0])
		more(out, "process %s[%u]%s%s", e->process[0] ? e->process : "?", e->pid,
		     e->executable[0] ? " " : "", e->executable);
	if (e->dest_domain[0] && e->dest_ip[0] && strcmp(e->dest_domain, e->dest_ip))
		more(out, "address %s", e->dest_ip);
	if (e->tls_library[0])
		more(out, "TLS library %s", e->tls_library);
	if (from_store) {
		iso(ts, e->last_ms);
		more(out, "seen %llu time%s, last %s", (unsigned long long)e->count,
		     e->count == 1 ? "" : "s", ts);
	} else if (e->count > 1) {
		more(out, "%llu times (one finding)", (unsigned long long)e->count);
	}
	if (e->alert) {
		char sev[32] = "";

		if (e->severity >= 0)
			snprintf(sev, sizeof(sev), " (severity %d)", e->severity);
		else if (e->severity_name[0])
			snprintf(sev, sizeof(sev), " (severity %s)", e->severity_name);
		more(out, "ALERT %s%s", e->action, sev);
		if (e->event_id[0])
			more(out, "event.id %s", e->event_id);
	}
	if (e->trace_path[0])
		more(out, "trace %s", e->trace_path);
}

int cw_timeline_write_table(FILE *out, struct cw_timeline *t)
{
	size_t n = 0;
	struct cw_tl_cred **v = cw_timeline_sorted(t, &n);

	if (!v)
		return -ENOMEM;
	if (!n)
		fprintf(out, "no credential matches\n");
	for (size_t i = 0; i < n; i++) {
		if (i)
			fputc('\n', out);
		table_header(out, v[i], t->from_store);
		for (size_t k = 0; k < v[i]->nev; k++)
			table_event(out, &v[i]->ev[k], t->from_store);
		if (v[i]->origins_dropped || v[i]->uses_dropped)
			fprintf(out,
				"%*s(the store kept no room for %llu more origin(s) and %llu more "
				"use(s))\n",
				INDENT, "", (unsigned long long)v[i]->origins_dropped,
				(unsigned long long)v[i]->uses_dropped);
	}
	free(v);
	errno = 0;
	if (fflush(out) || ferror(out))
		return errno ? -errno : -EIO;
	return 0;
}

/* JSON: one object per credential per line (the shape is in docs/forensics.md). */

static void kstr_nonempty(struct cw_json *j, const char *key, const char *s)
{
	if (s[0])
		cw_json_kstr(j, key, s);
}

static void json_event(struct cw_json *j, const struct cw_tl_event *e, bool from_store)
{
	char ts[32];

	cw_json_obj_begin(j);
	iso(ts, e->time_ms);
	cw_json_kstr(j, "time", ts);
	if (from_store) {
		iso(ts, e->last_ms);
		cw_json_kstr(j, "last_seen", ts);
	}
	cw_json_kstr(j, "what", cw_tl_what_name(e->what));
	kstr_nonempty(j, "action", e->action);
	cw_json_kbool(j, "alert", e->alert);
	if (e->severity >= 0)
		cw_json_kint(j, "severity", e->severity);
	kstr_nonempty(j, "severity_name", e->severity_name);
	kstr_nonempty(j, "event_id", e->event_id);
	cw_json_kuint(j, "count", e->count);
	kstr_nonempty(j, "workload", e->workload);
	if (e->pid || e->process[0] || e->executable[0]) {
		cw_json_kobj(j, "process");
		if (e->pid)
			cw_json_kuint(j, "pid", e->pid);
		kstr_nonempty(j, "name", e->process);
		kstr_nonempty(j, "executable", e->executable);
		cw_json_obj_end(j);
	}
	kstr_nonempty(j, "source", e->source);
	kstr_nonempty(j, "detail", e->detail);
	if (e->dest_domain[0] || e->dest_ip[0] || e->dest_port || e->destination[0]) {
		cw_json_kobj(j, "destination");
		kstr_nonempty(j, "domain", e->dest_domain);
		kstr_nonempty(j, "ip", e->dest_ip);
		if (e->dest_port)
			cw_json_kuint(j, "port", e->dest_port);
		kstr_nonempty(j, "address", e->destination);
		cw_json_obj_end(j);
	}
	kstr_nonempty(j, "tls_library", e->tls_library);
	kstr_nonempty(j, "trace_path", e->trace_path);
	cw_json_obj_end(j);
}

static void json_cred(struct cw_json *j, const struct cw_tl_cred *c, bool from_store)
{
	char ts[32];
	int64_t last = 0;
	size_t alerts = 0;

	cw_json_obj_begin(j);
	cw_json_kobj(j, "credential");
	cw_json_kstr(j, "fingerprint", c->fingerprint);
	cw_json_kstr(j, "rule", c->rule);
	cw_json_kstr(j, "kind", c->kind);
	cw_json_kstr(j, "lifetime", c->lifetime);
	cw_json_kstr(j, "redacted", c->redacted);
	cw_json_key(j, "owners");
	cw_json_arr_begin(j);
	for (size_t i = 0; i < c->owners.n; i++)
		cw_json_str(j, c->owners.v[i]);
	cw_json_arr_end(j);
	cw_json_obj_end(j);
	cw_json_kstr(j, "from", from_store ? "store" : "findings");
	for (size_t i = 0; i < c->nev; i++) {
		alerts += c->ev[i].alert;
		if (c->ev[i].last_ms > last)
			last = c->ev[i].last_ms;
	}
	iso(ts, c->nev ? c->ev[0].time_ms : 0);
	cw_json_kstr(j, "first_seen", ts);
	iso(ts, last);
	cw_json_kstr(j, "last_seen", ts);
	cw_json_kuint(j, "alerts", alerts);
	if (from_store) {
		cw_json_kuint(j, "origins_dropped", c->origins_dropped);
		cw_json_kuint(j, "uses_dropped", c->uses_dropped);
	}
	cw_json_key(j, "events");
	cw_json_arr_begin(j);
	for (size_t i = 0; i < c->nev; i++)
		json_event(j, &c->ev[i], from_store);
	cw_json_arr_end(j);
	cw_json_obj_end(j);
}

int cw_timeline_write_json(FILE *out, struct cw_timeline *t)
{
	size_t n = 0;
	struct cw_tl_cred **v = cw_timeline_sorted(t, &n);
	struct cw_json j;
	int ret = 0;

	if (!v)
		return -ENOMEM;
	cw_json_init(&j);
	for (size_t i = 0; i < n && !ret; i++) {
		cw_json_reset(&j);
		json_cred(&j, v[i], t->from_store);
		if (j.oom) {
			ret = -ENOMEM;
			break;
		}
		fwrite(j.buf, 1, j.len, out);
		fputc('\n', out);
	}
	cw_json_free(&j);
	free(v);
	errno = 0;
	if (!ret && (fflush(out) || ferror(out)))
		ret = errno ? -errno : -EIO;
	return ret;
}
