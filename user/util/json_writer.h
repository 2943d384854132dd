/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* A small JSON writer: one object per line, hostile bytes always encoded safely. */
#ifndef CW_JSON_H
#define CW_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CW_JSON_MAX_DEPTH 64

struct cw_json {
	char *buf;
	size_t len, cap;
	int depth;
	bool first[CW_JSON_MAX_DEPTH]; /* no member written yet at this depth */
	bool oom;		       /* an allocation failed or nesting went past
					* CW_JSON_MAX_DEPTH: the buffer is unusable */
};

void cw_json_init(struct cw_json *j);
void cw_json_reset(struct cw_json *j);
void cw_json_free(struct cw_json *j);

void cw_json_obj_begin(struct cw_json *j);
void cw_json_obj_end(struct cw_json *j);
void cw_json_arr_begin(struct cw_json *j);
void cw_json_arr_end(struct cw_json *j);
/* Start a member of the current object; the value call that follows completes it. */
void cw_json_key(struct cw_json *j, const char *key);
void cw_json_str(struct cw_json *j, const char *s);
void cw_json_strn(struct cw_json *j, const char *s, size_t n);
void cw_json_int(struct cw_json *j, int64_t v);
void cw_json_uint(struct cw_json *j, uint64_t v);
void cw_json_double(struct cw_json *j, double v);
void cw_json_bool(struct cw_json *j, bool v);

/* Shorthands for key + value. */
void cw_json_kstr(struct cw_json *j, const char *key, const char *s);
void cw_json_kstrn(struct cw_json *j, const char *key, const char *s, size_t n);
void cw_json_kint(struct cw_json *j, const char *key, int64_t v);
void cw_json_kuint(struct cw_json *j, const char *key, uint64_t v);
void cw_json_kbool(struct cw_json *j, const char *key, bool v);
void cw_json_kobj(struct cw_json *j, const char *key); /* key + obj_begin */

/* Append a string's JSON encoding (with quotes) to j's buffer. Exposed for tests. */
void cw_json_escape(struct cw_json *j, const char *s, size_t n);

/* ISO 8601 UTC timestamp with milliseconds, e.g. 2026-11-22T07:38:05.123Z. */
void cw_json_timestamp(char out[32], int64_t unix_ns);

#endif
