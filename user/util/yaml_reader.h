/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The one YAML field reader of the loaders (rules, policy): libyaml's event stream, the
 * values of fields (strings, lists of strings, numbers), mapping keys given once, and errors
 * as "FILE:LINE: problem" with the line a user has to fix.
 *
 * Values are plain data: a YAML alias ("*name") or a tag that is not one of YAML's own
 * ("!foo", often an unquoted value that starts with '!') is an error that says to quote
 * the value, never a value read some other way.
 */
#ifndef CW_YAMLREAD_H
#define CW_YAMLREAD_H

#include <stdbool.h>
#include <stddef.h>
#include <yaml.h>

#include "util/strv.h"

struct cw_yaml {
	yaml_parser_t p;
	yaml_event_t ev;
	bool have_ev;
	const char *file; /* for messages */
	const char *doc;  /* what the file holds, for messages: "a policy", "a rules file" */
	char *err;
	size_t errlen;
	const char *syntax_hint; /* appended to a syntax error about an alias, or NULL */
};

/* "FILE:LINE: message" into y->err (line0 is 0-based); returns -EINVAL. */
int cw_yaml_fail(struct cw_yaml *y, size_t line0, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The next event (the previous one freed); a syntax error is reported at the line to fix. */
int cw_yaml_next(struct cw_yaml *y);
/* The current event's 0-based line, and its scalar's text. */
size_t cw_yaml_line(const struct cw_yaml *y);
const char *cw_yaml_scalar(const struct cw_yaml *y);

/*
 * Parse buf with parse_doc(arg), which reads y's events from the stream's start. The whole
 * buffer is run through the parser first: a YAML syntax error is the problem to report even
 * where it makes an earlier entry look incomplete (a mis-indented field ends its mapping
 * early). Returns 0 or -errno, with "FILE: out of memory" in y->err for -ENOMEM.
 */
int cw_yaml_parse(struct cw_yaml *y, const char *buf, size_t len, int (*parse_doc)(void *arg),
		  void *arg);

/*
 * For a parse_doc whose file is one YAML document holding one mapping (or nothing): walks the
 * stream, calls top(arg) at the mapping's start (it reads up to the mapping's end), and fails
 * with "a WHAT is one YAML document" for a second one, or not_mapping for anything else.
 */
int cw_yaml_one_mapping(struct cw_yaml *y, int (*top)(void *arg), void *arg, const char *what,
			const char *not_mapping);

/* Is the current event an empty value: "key:" with nothing, "~" or "null", unquoted? */
bool cw_yaml_is_null(const struct cw_yaml *y);

/* The keys seen so far in one mapping (zero it per mapping): a repeated key is an error. */
struct cw_yaml_keys {
	char seen[32][64];
	size_t n;
};
/* The current event is a mapping key: copy it to key (of keylen bytes), or fail. */
int cw_yaml_key(struct cw_yaml *y, struct cw_yaml_keys *k, char *key, size_t keylen);

/* The current event is a value: an error ("field F must be WHAT") unless it is a string. */
int cw_yaml_string_event(struct cw_yaml *y, const char *field, const char *what);
/* The next event, a string value: *out points into the event (valid until the next one). */
int cw_yaml_want_string(struct cw_yaml *y, const char *field, const char **out);

/* Called on each string a list reader takes, before it is kept: 0 or an error. */
typedef int (*cw_yaml_check_fn)(struct cw_yaml *y, const char *field, const char *value);
/*
 * The next value, a list of strings appended to out: a single string is a list of one, an
 * empty value (cw_yaml_is_null) an empty list. check may be NULL.
 */
int cw_yaml_want_strv(struct cw_yaml *y, const char *field, struct cw_strv *out,
		      cw_yaml_check_fn check);
/* The next value, a whole number in [lo, hi]. */
int cw_yaml_want_uint(struct cw_yaml *y, const char *field, unsigned long long lo,
		      unsigned long long hi, unsigned long long *out);
/* The next value, a number (not NaN) in [lo, hi]. */
int cw_yaml_want_number(struct cw_yaml *y, const char *field, double lo, double hi, double *out);

#endif
