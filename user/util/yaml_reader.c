// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The YAML loaders' one field reader (see yaml_reader.h). */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/yaml_reader.h"

int cw_yaml_fail(struct cw_yaml *y, size_t line0, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(y->err, y->errlen, "%s:%zu: %s", y->file, line0 + 1, msg);
	return -EINVAL;
}

int cw_yaml_next(struct cw_yaml *y)
{
	if (y->have_ev)
		yaml_event_delete(&y->ev);
	y->have_ev = false;
	if (!yaml_parser_parse(&y->p, &y->ev)) {
		const char *ctx = y->p.context ? y->p.context : "";
		/* An unclosed quote or flow list ("while scanning a quoted scalar"): the context
		 * mark is where it opened, the line to fix; the problem mark is often the end of
		 * the file. Otherwise the problem mark is the line. */
		bool opened = strstr(ctx, "quoted") || strstr(ctx, "flow");
		bool alias = y->syntax_hint && strstr(ctx, "alias");

		return cw_yaml_fail(y, opened ? y->p.context_mark.line : y->p.problem_mark.line,
				    "YAML syntax error: %s%s%s%s",
				    y->p.problem ? y->p.problem : "unknown", *ctx ? " " : "", ctx,
				    alias ? y->syntax_hint : "");
	}
	y->have_ev = true;
	return 0;
}

size_t cw_yaml_line(const struct cw_yaml *y)
{
	return y->ev.start_mark.line;
}

const char *cw_yaml_scalar(const struct cw_yaml *y)
{
	return (const char *)y->ev.data.scalar.value;
}

/* One pass over buf: parse_doc(arg), or with parse_doc NULL, every event to the end. */
static int parse_pass(struct cw_yaml *y, const char *buf, size_t len, int (*parse_doc)(void *),
		      void *arg)
{
	int ret;

	if (!yaml_parser_initialize(&y->p))
		return -ENOMEM;
	yaml_parser_set_input_string(&y->p, (const unsigned char *)buf, len);
	if (parse_doc) {
		ret = parse_doc(arg);
	} else {
		do {
			ret = cw_yaml_next(y);
		} while (!ret && y->ev.type != YAML_STREAM_END_EVENT);
	}
	if (y->have_ev)
		yaml_event_delete(&y->ev);
	y->have_ev = false;
	yaml_parser_delete(&y->p);
	return ret;
}

int cw_yaml_parse(struct cw_yaml *y, const char *buf, size_t len, int (*parse_doc)(void *arg),
		  void *arg)
{
	int ret = parse_pass(y, buf, len, NULL, NULL);

	if (!ret)
		ret = parse_pass(y, buf, len, parse_doc, arg);
	if (ret == -ENOMEM)
		snprintf(y->err, y->errlen, "%s: out of memory", y->file);
	return ret;
}

bool cw_yaml_is_null(const struct cw_yaml *y)
{
	const char *v;

	if (y->ev.type != YAML_SCALAR_EVENT || y->ev.data.scalar.style != YAML_PLAIN_SCALAR_STYLE ||
	    y->ev.data.scalar.tag)
		return false;
	v = cw_yaml_scalar(y);
	return (!*v || !strcmp(v, "~") || !strcmp(v, "null") || !strcmp(v, "Null") ||
		!strcmp(v, "NULL"));
}

int cw_yaml_key(struct cw_yaml *y, struct cw_yaml_keys *k, char *key, size_t keylen)
{
	if (y->ev.type != YAML_SCALAR_EVENT)
		return cw_yaml_fail(y, cw_yaml_line(y), "expected a field name");
	snprintf(key, keylen, "%s", cw_yaml_scalar(y));
	for (size_t i = 0; i < k->n; i++)
		if (!strcmp(k->seen[i], key))
			return cw_yaml_fail(y, cw_yaml_line(y), "field '%s' given twice", key);
	if (k->n < sizeof(k->seen) / sizeof(k->seen[0]))
		snprintf(k->seen[k->n++], sizeof(k->seen[0]), "%s", key);
	return 0;
}

int cw_yaml_string_event(struct cw_yaml *y, const char *field, const char *what)
{
	const char *tag;

	if (y->ev.type == YAML_ALIAS_EVENT)
		return cw_yaml_fail(y, cw_yaml_line(y),
				    "field '%s': '*%s' is a YAML alias, which %s does not take: "
				    "quote values that start with '*'",
				    field, (const char *)y->ev.data.alias.anchor,
				    y->doc ? y->doc : "this file");
	if (y->ev.type != YAML_SCALAR_EVENT)
		return cw_yaml_fail(y, cw_yaml_line(y), "field '%s' must be %s", field, what);
	tag = (const char *)y->ev.data.scalar.tag;
	if (tag && strncmp(tag, "tag:yaml.org,2002:", 18))
		return cw_yaml_fail(y, cw_yaml_line(y),
				    "field '%s': '%s%s%s' reads as a YAML tag: quote "
				    "values that start with '!'",
				    field, tag, *cw_yaml_scalar(y) ? " " : "", cw_yaml_scalar(y));
	return 0;
}

int cw_yaml_want_string(struct cw_yaml *y, const char *field, const char **out)
{
	int ret = cw_yaml_next(y);

	if (!ret)
		ret = cw_yaml_string_event(y, field, "a string");
	*out = ret ? NULL : cw_yaml_scalar(y);
	return ret;
}

int cw_yaml_want_strv(struct cw_yaml *y, const char *field, struct cw_strv *out,
		      cw_yaml_check_fn check)
{
	bool list;
	int ret = cw_yaml_next(y);

	if (ret)
		return ret;
	list = y->ev.type == YAML_SEQUENCE_START_EVENT;
	if (!list && y->ev.type != YAML_SCALAR_EVENT && y->ev.type != YAML_ALIAS_EVENT)
		return cw_yaml_fail(y, cw_yaml_line(y), "field '%s' must be a list of strings",
				    field);
	if (!list && cw_yaml_is_null(y))
		return 0;
	for (;;) {
		if (list) {
			if ((ret = cw_yaml_next(y)))
				return ret;
			if (y->ev.type == YAML_SEQUENCE_END_EVENT)
				return 0;
		}
		if ((ret = cw_yaml_string_event(y, field, "a list of strings")))
			return ret;
		if (check && (ret = check(y, field, cw_yaml_scalar(y))))
			return ret;
		if ((ret = cw_strv_push(out, cw_yaml_scalar(y))))
			return ret;
		if (!list)
			return 0;
	}
}

/* The next value, a scalar: its text, to read as a number. */
static int number_text(struct cw_yaml *y, const char *field, const char **v)
{
	int ret = cw_yaml_next(y);

	*v = "";
	if (ret)
		return ret;
	if (y->ev.type != YAML_SCALAR_EVENT)
		return cw_yaml_fail(y, cw_yaml_line(y), "field '%s' must be a number", field);
	*v = cw_yaml_scalar(y);
	return 0;
}

int cw_yaml_want_uint(struct cw_yaml *y, const char *field, unsigned long long lo,
		      unsigned long long hi, unsigned long long *out)
{
	const char *v;
	int ret = number_text(y, field, &v);

	if (ret)
		return ret;
	if (!*v || strspn(v, "0123456789") != strlen(v))
		return cw_yaml_fail(y, cw_yaml_line(y), "field '%s': '%s' is not a whole number",
				    field, v);
	errno = 0;
	*out = strtoull(v, NULL, 10);
	if (errno || *out < lo || *out > hi)
		return cw_yaml_fail(y, cw_yaml_line(y),
				    "field '%s': %s is out of range [%llu, %llu]", field, v, lo,
				    hi);
	return 0;
}

int cw_yaml_want_number(struct cw_yaml *y, const char *field, double lo, double hi, double *out)
{
	const char *v;
	char *end;
	int ret = number_text(y, field, &v);

	if (ret)
		return ret;
	errno = 0;
	*out = strtod(v, &end);
	if (errno || end == v || *end || isnan(*out))
		return cw_yaml_fail(y, cw_yaml_line(y), "field '%s': '%s' is not a number", field,
				    v);
	if (*out < lo || *out > hi)
		return cw_yaml_fail(y, cw_yaml_line(y), "field '%s': %s is out of range [%g, %g]",
				    field, v, lo, hi);
	return 0;
}

int cw_yaml_one_mapping(struct cw_yaml *y, int (*top)(void *arg), void *arg, const char *what,
			const char *not_mapping)
{
	bool seen = false;
	int ret;

	while (!(ret = cw_yaml_next(y))) {
		switch (y->ev.type) {
		case YAML_STREAM_START_EVENT:
		case YAML_DOCUMENT_START_EVENT:
		case YAML_DOCUMENT_END_EVENT: continue;
		case YAML_STREAM_END_EVENT: return 0;
		case YAML_MAPPING_START_EVENT:
			if (seen)
				break;
			seen = true;
			if ((ret = top(arg)))
				return ret;
			continue;
		case YAML_SCALAR_EVENT:
			if (!seen && cw_yaml_is_null(y)) { /* an empty document */
				seen = true;
				continue;
			}
			break;
		default: break;
		}
		if (seen)
			return cw_yaml_fail(y, cw_yaml_line(y), "a %s is one YAML document", what);
		return cw_yaml_fail(y, cw_yaml_line(y), "%s", not_mapping);
	}
	return ret;
}
