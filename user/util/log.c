// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Diagnostics on stderr, one "credwatch: " line each; cw_debug only with -v. */
#include <stdarg.h>
#include <stdio.h>

#include "util/log.h"

int cw_verbose;

/*
 * A control byte (a newline, an escape sequence) as \xNN: paths and names in a line are
 * anyone's to choose, and must not start a line of their own or act on a terminal.
 */
static void vlog(const char *fmt, va_list ap)
{
	char line[4096], out[4 * sizeof(line)];
	size_t o = 0;

	vsnprintf(line, sizeof(line), fmt, ap);
	for (const unsigned char *p = (const unsigned char *)line; *p; p++) {
		if (*p < 0x20 || *p == 0x7f)
			o += (size_t)snprintf(out + o, sizeof(out) - o, "\\x%02x", *p);
		else
			out[o++] = (char)*p;
	}
	out[o] = '\0';
	fprintf(stderr, "credwatch: %s\n", out);
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
