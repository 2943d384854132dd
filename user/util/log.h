/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* Diagnostics go to stderr as "credwatch: ..." lines; findings go to the output sink. */
#ifndef CW_LOG_H
#define CW_LOG_H

#include <stdbool.h>

extern int cw_verbose;

void cw_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cw_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Parse a non-negative integer option; 0 on success, -EINVAL with a message printed. */
int cw_parse_u64(const char *opt, const char *s, unsigned long long lo, unsigned long long hi,
		 unsigned long long *out);

#endif
