// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The YAML loaders' shared reading (see yamlread.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
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
