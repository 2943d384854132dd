/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * What the YAML loaders (rules, policy) share: libyaml's event stream, and errors as
 * "FILE:LINE: problem" with the line a user has to fix.
 */
#ifndef CW_YAMLREAD_H
#define CW_YAMLREAD_H

#include <stdbool.h>
#include <stddef.h>
#include <yaml.h>

struct cw_yaml {
	yaml_parser_t p;
	yaml_event_t ev;
	bool have_ev;
	const char *file; /* for messages */
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

#endif
