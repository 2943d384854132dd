// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * `--output TARGET[,KEY=VALUE]...`: the target says the kind of sink and where it is; the
 * options tune it. Every error names what is wrong in one line, for the start-up log.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output/output_spec.h"
#include "util/str.h"

#define DEFAULT_ROTATE_BYTES (100ULL << 20)
#define DEFAULT_ROTATE_KEEP 5
#define DEFAULT_FACILITY 10 /* authpriv: security messages, kept apart from the rest */
#define DEFAULT_BATCH 500
#define DEFAULT_BATCH_MS 50 /* under load only: an idle sink sends a finding at once */
#define DEFAULT_TIMEOUT_MS 10000

static const char *const facilities[24] = {
	"kern",	  "user",   "mail",	"daemon", "auth",   "syslog", "lpr",	"news",
	"uucp",	  "cron",   "authpriv", "ftp",	  "ntp",    "audit",  "alert",	"clock",
	"local0", "local1", "local2",	"local3", "local4", "local5", "local6", "local7",
};

static int fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

const char *cw_format_name(enum cw_format f)
{
	return f == CW_FORMAT_OCSF ? "ocsf" : "ecs";
}

const char *cw_sink_kind_name(enum cw_sink_kind k)
{
	switch (k) {
	case CW_SINK_STDOUT: return "stdout";
	case CW_SINK_FILE: return "file";
	case CW_SINK_SYSLOG_UDP: return "syslog";
	case CW_SINK_SYSLOG_TCP: return "syslog+tcp";
	case CW_SINK_SYSLOG_TLS: return "syslog+tls";
	case CW_SINK_HEC: return "hec";
	case CW_SINK_BULK: return "bulk";
	case CW_SINK_WEBHOOK: return "webhook";
	}
	return "?";
}

static bool is_syslog(enum cw_sink_kind k)
{
	return k == CW_SINK_SYSLOG_UDP || k == CW_SINK_SYSLOG_TCP || k == CW_SINK_SYSLOG_TLS;
}

static bool is_http(enum cw_sink_kind k)
{
	return k == CW_SINK_HEC || k == CW_SINK_BULK || k == CW_SINK_WEBHOOK;
}

/* An unsigned number with an optional k/M/G suffix (powers of 1024), in [lo, hi]. */
static int parse_num(const char *key, const char *v, unsigned long long lo, unsigned long long hi,
		     bool suffix, unsigned long long *out, char *err, size_t errlen)
{
	unsigned long long n, mul = 1;
	char *end;

	errno = 0;
	if (*v < '0' || *v > '9')
		return fail(err, errlen, "%s=%s: not a number", key, v);
	n = strtoull(v, &end, 10);
	if (suffix && *end && !end[1]) {
		switch (*end) {
		case 'k':
		case 'K':
			mul = 1ULL << 10;
			end++;
			break;
		case 'm':
		case 'M':
			mul = 1ULL << 20;
			end++;
			break;
		case 'g':
		case 'G':
			mul = 1ULL << 30;
			end++;
			break;
		}
	}
	if (errno || *end)
		return fail(err, errlen, "%s=%s: not a number", key, v);
	if (n > hi / mul || n * mul < lo || n * mul > hi)
		return fail(err, errlen, "%s=%s: out of range (%llu..%llu)", key, v, lo, hi);
	*out = n * mul;
	return 0;
}

/* HOST:PORT, HOST or [V6]:PORT in s[0..n); port 0 when absent. */
static int parse_hostport(const char *s, size_t n, struct cw_output_spec *o, char *err,
			  size_t errlen)
{
	const char *end = s + n, *h = s, *colon = NULL;
	unsigned long long port = 0;
	char pbuf[8];
	size_t hl;

	if (n && s[0] == '[') {
		const char *rb = memchr(s, ']', n);

		if (!rb)
			return fail(err, errlen, "%s: unclosed '[' in the host", o->spec);
		h = s + 1;
		hl = (size_t)(rb - h);
		if (rb + 1 < end && rb[1] != ':')
			return fail(err, errlen, "%s: junk after ']'", o->spec);
		colon = rb + 1 < end ? rb + 1 : NULL;
	} else {
		colon = memchr(s, ':', n);
		hl = colon ? (size_t)(colon - s) : n;
	}
	if (!hl)
		return fail(err, errlen, "%s: no host", o->spec);
	if (hl >= sizeof(o->host))
		return fail(err, errlen, "%s: host name too long", o->spec);
	for (size_t i = 0; i < hl; i++)
		if (h[i] <= ' ' || strchr("@?#[]/", h[i]) || h[i] == 0x7f ||
		    (h[i] == ':' && h == s))
			return fail(err, errlen, "%s: '%c' in the host name", o->spec, h[i]);
	memcpy(o->host, h, hl);
	o->host[hl] = '\0';
	if (colon) {
		size_t pl = (size_t)(end - colon - 1);

		if (!pl || pl >= sizeof(pbuf))
			return fail(err, errlen, "%s: bad port (1..65535)", o->spec);
		memcpy(pbuf, colon + 1, pl);
		pbuf[pl] = '\0';
		if (parse_num("port", pbuf, 1, 65535, false, &port, err, errlen))
			return fail(err, errlen, "%s: bad port '%s' (1..65535)", o->spec, pbuf);
	}
	o->port = (uint16_t)port;
	return 0;
}

/* syslog[+tcp|+tls]://HOST[:PORT] (no path). */
static int parse_syslog(const char *t, size_t tl, struct cw_output_spec *o, char *err,
			size_t errlen)
{
	const char *rest = strstr(t, "://") + 3;
	size_t n = tl - (size_t)(rest - t);

	if (memchr(rest, '/', n))
		return fail(err, errlen, "%s: a syslog target has no path (syslog://HOST:PORT)",
			    o->spec);
	if (parse_hostport(rest, n, o, err, errlen))
		return -EINVAL;
	if (!o->port)
		o->port = o->kind == CW_SINK_SYSLOG_TLS ? 6514 : 514;
	return 0;
}

/* http(s)://HOST[:PORT]/PATH: the kind from the path (type= may change it). */
static int parse_http(const char *t, size_t tl, struct cw_output_spec *o, char *err, size_t errlen)
{
	bool tls = !strncmp(t, "https://", 8);
	const char *rest = t + (tls ? 8 : 7), *slash;
	size_t n = tl - (size_t)(rest - t), hn;

	slash = memchr(rest, '/', n);
	hn = slash ? (size_t)(slash - rest) : n;
	if (parse_hostport(rest, hn, o, err, errlen))
		return -EINVAL;
	if (!o->port)
		o->port = tls ? 443 : 80;
	if (!slash || (size_t)(t + tl - slash) <= 1)
		return fail(err, errlen,
			    "%s: no path (HEC: /services/collector/event, bulk: /_bulk, webhook: "
			    "any path)",
			    o->spec);
	for (const char *p = slash; p < t + tl; p++)
		if (*p <= ' ' || *p == 0x7f)
			return fail(err, errlen, "%s: a space or control character in the URL",
				    o->spec);
	if (strstr(slash, "/services/collector"))
		o->kind = CW_SINK_HEC;
	else if (cw_ends_with(slash, (size_t)(t + tl - slash), "/_bulk"))
		o->kind = CW_SINK_BULK;
	else
		o->kind = CW_SINK_WEBHOOK;
	return 0;
}

/* The target (before the first ','), into o->kind, o->target, o->host and o->port. */
static int parse_target(const char *t, size_t tl, struct cw_output_spec *o, char *err,
			size_t errlen)
{
	static const struct {
		const char *scheme;
		enum cw_sink_kind kind;
	} syslogs[] = { { "syslog://", CW_SINK_SYSLOG_UDP },
			{ "syslog+udp://", CW_SINK_SYSLOG_UDP },
			{ "syslog+tcp://", CW_SINK_SYSLOG_TCP },
			{ "syslog+tls://", CW_SINK_SYSLOG_TLS } };

	if (tl >= sizeof(o->target))
		return fail(err, errlen, "output spec too long");
	memcpy(o->target, t, tl);
	o->target[tl] = '\0';
	if (!strcmp(o->target, "stdout") || !strcmp(o->target, "-")) {
		o->kind = CW_SINK_STDOUT;
		return 0;
	}
	if (!strncmp(o->target, "file:", 5)) {
		o->kind = CW_SINK_FILE;
		memmove(o->target, o->target + 5, tl - 4);
		if (!o->target[0])
			return fail(err, errlen, "%s: no path after file:", o->spec);
		return 0;
	}
	for (size_t i = 0; i < sizeof(syslogs) / sizeof(syslogs[0]); i++) {
		if (!strncmp(o->target, syslogs[i].scheme, strlen(syslogs[i].scheme))) {
			o->kind = syslogs[i].kind;
			return parse_syslog(o->target, tl, o, err, errlen);
		}
	}
	if (!strncmp(o->target, "https://", 8) || !strncmp(o->target, "http://", 7))
		return parse_http(o->target, tl, o, err, errlen);
	return fail(err, errlen,
		    "%s: unknown output (stdout, file:PATH, syslog[+tcp|+tls]://HOST:PORT, "
		    "https://HOST/PATH)",
		    o->spec);
}

/* A file path for a KEY=FILE option. */
static int set_path(char *dst, size_t cap, const char *key, const char *v, char *err, size_t errlen)
{
	if (!*v)
		return fail(err, errlen, "%s=: empty file name", key);
	if (strlen(v) >= cap)
		return fail(err, errlen, "%s=: file name too long", key);
	strcpy(dst, v);
	return 0;
}

static int set_facility(struct cw_output_spec *o, const char *v, char *err, size_t errlen)
{
	unsigned long long n;

	for (int i = 0; i < 24; i++) {
		if (!strcmp(v, facilities[i])) {
			o->facility = i;
			return 0;
		}
	}
	if (*v >= '0' && *v <= '9') {
		if (parse_num("facility", v, 0, 23, false, &n, err, errlen))
			return -EINVAL;
		o->facility = (int)n;
		return 0;
	}
	return fail(err, errlen,
		    "facility=%s: not a facility (kern, user, ..., authpriv, local0.."
		    "local7, or 0..23)",
		    v);
}

/* RFC 5424 APP-NAME: 1 to 48 printable US-ASCII characters, no space. */
static int set_app_name(struct cw_output_spec *o, const char *v, char *err, size_t errlen)
{
	size_t n = strlen(v);

	if (!n || n >= sizeof(o->app_name))
		return fail(err, errlen, "app-name=%s: 1 to 48 characters", v);
	for (size_t i = 0; i < n; i++)
		if (v[i] < 33 || v[i] > 126)
			return fail(err, errlen, "app-name=%s: printable ASCII without spaces", v);
	strcpy(o->app_name, v);
	return 0;
}

static int set_bool(bool *dst, const char *key, const char *v, char *err, size_t errlen)
{
	if (!strcmp(v, "on") || !strcmp(v, "true") || !strcmp(v, "yes") || !strcmp(v, "1"))
		*dst = true;
	else if (!strcmp(v, "off") || !strcmp(v, "false") || !strcmp(v, "no") || !strcmp(v, "0"))
		*dst = false;
	else
		return fail(err, errlen, "%s=%s: on or off", key, v);
	return 0;
}

static int set_type(struct cw_output_spec *o, const char *v, char *err, size_t errlen)
{
	if (!strcmp(v, "hec"))
		o->kind = CW_SINK_HEC;
	else if (!strcmp(v, "bulk"))
		o->kind = CW_SINK_BULK;
	else if (!strcmp(v, "webhook"))
		o->kind = CW_SINK_WEBHOOK;
	else
		return fail(err, errlen, "type=%s: hec, bulk or webhook", v);
	return 0;
}

/* Options that apply to every output, or to the ones that have a far end. */
static int set_common(struct cw_output_spec *o, const char *k, const char *v, char *err,
		      size_t errlen)
{
	unsigned long long n;
	bool remote = is_syslog(o->kind) || is_http(o->kind);

	if (!strcmp(k, "format")) {
		if (!strcmp(v, "ecs"))
			o->format = CW_FORMAT_ECS;
		else if (!strcmp(v, "ocsf"))
			o->format = CW_FORMAT_OCSF;
		else
			return fail(err, errlen, "format=%s: ecs or ocsf", v);
		return 0;
	}
	if (remote && !strcmp(k, "batch")) {
		if (parse_num(k, v, 1, 100000, false, &n, err, errlen))
			return -EINVAL;
		o->batch_max = (unsigned)n;
		return 0;
	}
	if (remote && !strcmp(k, "batch-ms")) {
		if (parse_num(k, v, 0, 60000, false, &n, err, errlen))
			return -EINVAL;
		o->batch_ms = (unsigned)n;
		return 0;
	}
	if (remote && o->kind != CW_SINK_SYSLOG_UDP && !strcmp(k, "timeout-ms")) {
		if (parse_num(k, v, 1, 600000, false, &n, err, errlen))
			return -EINVAL;
		o->timeout_ms = (unsigned)n;
		return 0;
	}
	if (remote && !strcmp(k, "spool"))
		return set_bool(&o->spool, k, v, err, errlen);
	return 1;
}

/* One KEY=VALUE for this kind of output: 0, -EINVAL, or 1 when the key does not apply. */
static int set_option(struct cw_output_spec *o, const char *k, const char *v, char *err,
		      size_t errlen)
{
	bool tls = o->kind == CW_SINK_SYSLOG_TLS || is_http(o->kind);
	unsigned long long n;
	int ret = set_common(o, k, v, err, errlen);

	if (ret <= 0)
		return ret;
	if (o->kind == CW_SINK_FILE && !strcmp(k, "rotate-size")) {
		if (parse_num(k, v, 0, 1ULL << 50, true, &n, err, errlen))
			return -EINVAL;
		o->rotate_bytes = n;
		return 0;
	}
	if (o->kind == CW_SINK_FILE && !strcmp(k, "rotate-keep")) {
		if (parse_num(k, v, 0, 1000, false, &n, err, errlen))
			return -EINVAL;
		o->rotate_keep = (unsigned)n;
		return 0;
	}
	if (is_syslog(o->kind) && !strcmp(k, "facility"))
		return set_facility(o, v, err, errlen);
	if (is_syslog(o->kind) && !strcmp(k, "app-name"))
		return set_app_name(o, v, err, errlen);
	if (tls && !strcmp(k, "ca"))
		return set_path(o->ca_file, sizeof(o->ca_file), k, v, err, errlen);
	if (tls && !strcmp(k, "cert"))
		return set_path(o->cert_file, sizeof(o->cert_file), k, v, err, errlen);
	if (tls && !strcmp(k, "key"))
		return set_path(o->key_file, sizeof(o->key_file), k, v, err, errlen);
	if (is_http(o->kind) && !strcmp(k, "token-file"))
		return set_path(o->token_file, sizeof(o->token_file), k, v, err, errlen);
	if (is_http(o->kind) && !strcmp(k, "type"))
		return set_type(o, v, err, errlen);
	if (is_http(o->kind) && !strcmp(k, "index")) {
		if (!*v || strlen(v) >= sizeof(o->index) || strpbrk(v, " \"/\\,#?*<>|"))
			return fail(err, errlen, "index=%s: not an index name", v);
		strcpy(o->index, v);
		return 0;
	}
	if (is_http(o->kind) && !strcmp(k, "gzip"))
		return set_bool(&o->gzip, k, v, err, errlen);
	return 1;
}

static void set_defaults(struct cw_output_spec *o)
{
	o->format = CW_FORMAT_ECS;
	o->rotate_bytes = DEFAULT_ROTATE_BYTES;
	o->rotate_keep = DEFAULT_ROTATE_KEEP;
	o->facility = DEFAULT_FACILITY;
	strcpy(o->app_name, "credwatch");
	o->batch_max = DEFAULT_BATCH;
	o->batch_ms = DEFAULT_BATCH_MS;
	o->gzip = true;
	o->timeout_ms = DEFAULT_TIMEOUT_MS;
	o->spool = true;
}

/* The options after the target: KEY=VALUE[,KEY=VALUE]... */
static int parse_options(const char *opts, struct cw_output_spec *o, char *err, size_t errlen)
{
	char buf[CW_OUTPUT_STR], *save = NULL, *kv;
	bool tls_key = false, tls_cert = false;

	strcpy(buf, opts);
	for (kv = strtok_r(buf, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(kv, '=');
		int ret;

		if (!eq || eq == kv)
			return fail(err, errlen, "%s: '%s' is not KEY=VALUE", o->spec, kv);
		*eq = '\0';
		ret = set_option(o, kv, eq + 1, err, errlen);
		if (ret < 0) {
			char why[512];

			snprintf(why, sizeof(why), "%s", err);
			return fail(err, errlen, "%s: %s", o->spec, why);
		}
		if (ret > 0)
			return fail(err, errlen, "%s: option '%s' does not apply to a %s output",
				    o->spec, kv, cw_sink_kind_name(o->kind));
		tls_key |= !strcmp(kv, "key");
		tls_cert |= !strcmp(kv, "cert");
	}
	if (tls_key != tls_cert)
		return fail(err, errlen, "%s: cert= and key= go together", o->spec);
	return 0;
}

int cw_output_spec_parse(const char *s, struct cw_output_spec *o, char *err, size_t errlen)
{
	const char *comma;
	size_t tl;

	memset(o, 0, sizeof(*o));
	set_defaults(o);
	if (!s || !*s)
		return fail(err, errlen, "empty output spec");
	if (strlen(s) >= sizeof(o->spec))
		return fail(err, errlen, "output spec too long (%zu bytes, at most %zu)", strlen(s),
			    sizeof(o->spec) - 1);
	strcpy(o->spec, s);
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p < ' ' || *p == 0x7f)
			return fail(err, errlen, "output spec with a control character");
	comma = strchr(s, ',');
	tl = comma ? (size_t)(comma - s) : strlen(s);
	if (parse_target(s, tl, o, err, errlen))
		return -EINVAL;
	if (o->kind == CW_SINK_STDOUT || o->kind == CW_SINK_FILE)
		o->spool = false;
	return comma ? parse_options(comma + 1, o, err, errlen) : 0;
}
