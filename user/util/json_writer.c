// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * JSON writer. Strings from the kernel (comm, argv, env, paths) are attacker-controlled: every
 * control byte is escaped, invalid UTF-8 becomes U+FFFD, and U+2028/2029 are escaped so that the
 * result is one valid line of JSON whatever the input.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/json_writer.h"
#include "util/utf8.h"

void cw_json_init(struct cw_json *j)
{
	memset(j, 0, sizeof(*j));
}

void cw_json_reset(struct cw_json *j)
{
	j->len = 0;
	j->depth = 0;
	j->oom = false;
	if (j->buf)
		j->buf[0] = '\0';
}

void cw_json_free(struct cw_json *j)
{
	free(j->buf);
	cw_json_init(j);
}

static bool reserve(struct cw_json *j, size_t more)
{
	size_t need = j->len + more + 1;
	char *nb;
	size_t ncap;

	if (j->oom)
		return false;
	if (need <= j->cap)
		return true;
	ncap = j->cap ? j->cap : 512;
	while (ncap < need)
		ncap *= 2;
	nb = realloc(j->buf, ncap);
	if (!nb) {
		j->oom = true;
		return false;
	}
	j->buf = nb;
	j->cap = ncap;
	return true;
}

static void put(struct cw_json *j, const char *s, size_t n)
{
	if (!reserve(j, n))
		return;
	memcpy(j->buf + j->len, s, n);
	j->len += n;
	j->buf[j->len] = '\0';
}

static void putc_(struct cw_json *j, char c)
{
	put(j, &c, 1);
}

/* Comma before a value in an array, or before a key in an object. */
static void sep(struct cw_json *j)
{
	if (j->depth <= 0)
		return;
	if (!j->first[j->depth - 1])
		putc_(j, ',');
	j->first[j->depth - 1] = false;
}

/* In an array a value needs a separator; right after a key (the buffer ends in ':') it does not. */
static void value_sep(struct cw_json *j)
{
	if (j->len && j->buf[j->len - 1] == ':')
		return;
	sep(j);
}

static void open_(struct cw_json *j, char c)
{
	value_sep(j);
	putc_(j, c);
	if (j->depth >= CW_JSON_MAX_DEPTH) {
		j->oom = true; /* commas could no longer be placed right: refuse */
		return;
	}
	j->first[j->depth] = true;
	j->depth++;
}

void cw_json_obj_begin(struct cw_json *j)
{
	open_(j, '{');
}

void cw_json_obj_end(struct cw_json *j)
{
	if (j->depth > 0)
		j->depth--;
	putc_(j, '}');
}

void cw_json_arr_begin(struct cw_json *j)
{
	open_(j, '[');
}

void cw_json_arr_end(struct cw_json *j)
{
	if (j->depth > 0)
		j->depth--;
	putc_(j, ']');
}

void cw_json_escape(struct cw_json *j, const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, run = 0, l;
	char tmp[8];

	putc_(j, '"');
	while (i < n) {
		unsigned char c = s[i];

		if (c >= 0x20 && c != '"' && c != '\\' && c < 0x7F) {
			run++;
			i++;
			continue;
		}
		put(j, (const char *)s + i - run, run);
		run = 0;
		switch (c) {
		case '"':
			put(j, "\\\"", 2);
			i++;
			continue;
		case '\\':
			put(j, "\\\\", 2);
			i++;
			continue;
		case '\n':
			put(j, "\\n", 2);
			i++;
			continue;
		case '\r':
			put(j, "\\r", 2);
			i++;
			continue;
		case '\t':
			put(j, "\\t", 2);
			i++;
			continue;
		default: break;
		}
		if (c < 0x20 || c == 0x7F) {
			snprintf(tmp, sizeof(tmp), "\\u%04x", c);
			put(j, tmp, 6);
			i++;
			continue;
		}
		l = cw_utf8_decode(s + i, n - i, NULL);
		if (l == 0) {
			put(j, "\\ufffd", 6);
			i++;
		} else if (l == 3 && s[i] == 0xE2 && s[i + 1] == 0x80 &&
			   (s[i + 2] == 0xA8 || s[i + 2] == 0xA9)) {
			put(j, s[i + 2] == 0xA8 ? "\\u2028" : "\\u2029", 6);
			i += 3;
		} else {
			put(j, (const char *)s + i, l);
			i += l;
		}
	}
	put(j, (const char *)s + i - run, run);
	putc_(j, '"');
}

void cw_json_key(struct cw_json *j, const char *key)
{
	sep(j);
	cw_json_escape(j, key, strlen(key));
	putc_(j, ':');
}

void cw_json_strn(struct cw_json *j, const char *s, size_t n)
{
	value_sep(j);
	cw_json_escape(j, s ? s : "", s ? n : 0);
}

void cw_json_str(struct cw_json *j, const char *s)
{
	cw_json_strn(j, s, s ? strlen(s) : 0);
}

void cw_json_int(struct cw_json *j, int64_t v)
{
	char tmp[32];
	int n = snprintf(tmp, sizeof(tmp), "%lld", (long long)v);

	value_sep(j);
	put(j, tmp, (size_t)n);
}

void cw_json_uint(struct cw_json *j, uint64_t v)
{
	char tmp[32];
	int n = snprintf(tmp, sizeof(tmp), "%llu", (unsigned long long)v);

	value_sep(j);
	put(j, tmp, (size_t)n);
}

void cw_json_double(struct cw_json *j, double v)
{
	char tmp[64];
	int n;

	value_sep(j);
	if (!isfinite(v)) {
		put(j, "null", 4);
		return;
	}
	n = snprintf(tmp, sizeof(tmp), "%.17g", v);
	put(j, tmp, (size_t)n);
}

void cw_json_bool(struct cw_json *j, bool v)
{
	value_sep(j);
	put(j, v ? "true" : "false", v ? 4 : 5);
}

void cw_json_kstr(struct cw_json *j, const char *key, const char *s)
{
	cw_json_key(j, key);
	cw_json_str(j, s);
}

void cw_json_kstrn(struct cw_json *j, const char *key, const char *s, size_t n)
{
	cw_json_key(j, key);
	cw_json_strn(j, s, n);
}

void cw_json_kint(struct cw_json *j, const char *key, int64_t v)
{
	cw_json_key(j, key);
	cw_json_int(j, v);
}

void cw_json_kuint(struct cw_json *j, const char *key, uint64_t v)
{
	cw_json_key(j, key);
	cw_json_uint(j, v);
}

void cw_json_kbool(struct cw_json *j, const char *key, bool v)
{
	cw_json_key(j, key);
	cw_json_bool(j, v);
}

void cw_json_kobj(struct cw_json *j, const char *key)
{
	cw_json_key(j, key);
	cw_json_obj_begin(j);
}

void cw_json_timestamp(char out[32], int64_t unix_ns)
{
	time_t sec = (time_t)(unix_ns / 1000000000LL);
	struct tm tm;

	gmtime_r(&sec, &tm);
	size_t n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);

	snprintf(out + n, 32 - n, ".%03uZ", (unsigned)((unix_ns / 1000000) % 1000));
}
