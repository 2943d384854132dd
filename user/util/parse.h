/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* Numbers given on the command line: strtoull with every error checked, k/M/G suffixes. */
#ifndef CW_PARSE_H
#define CW_PARSE_H

#include <stddef.h>

/*
 * Parse option opt's value s, a non-negative integer (decimal, 0x hex or 0 octal, with an
 * optional k/M/G suffix) in [lo, hi]: 0, or -EINVAL with a message printed.
 */
int cw_parse_u64(const char *opt, const char *s, unsigned long long lo, unsigned long long hi,
		 unsigned long long *out);
/* The same, the message ("OPT: ...") in err instead of printed. */
int cw_parse_u64_err(const char *opt, const char *s, unsigned long long lo, unsigned long long hi,
		     unsigned long long *out, char *err, size_t errlen);

#endif
