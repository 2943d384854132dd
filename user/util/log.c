// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Diagnostics on stderr, one "credwatch: " line each; cw_debug only with -v. */
#include <stdarg.h>
#include <stdio.h>

#include "util/log.h"

int cw_verbose;

static void vlog(const char *fmt, va_list ap)
{
	char line[4096];

	vsnprintf(line, sizeof(line), fmt, ap);
	fprintf(stderr, "credwatch: %s\n", line);
}

void cw_log(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(fmt, ap);
	va_end(ap);
}

void cw_debug(const char *fmt, ...)
{
	va_list ap;

	if (!cw_verbose)
		return;
	va_start(ap, fmt);
	vlog(fmt, ap);
	va_end(ap);
}
