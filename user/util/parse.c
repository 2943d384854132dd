// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Numbers given on the command line (see parse.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"
#include "util/parse.h"

int cw_parse_u64_err(const char *opt, const char *s, unsigned long long lo, unsigned long long hi,
		     unsigned long long *out, char *err, size_t errlen)
{
	unsigned long long v;
	unsigned shift;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (*s == '-' || errno || end == s || (*end && end[1]) ||
	    (*end && !strchr("kKmMgG", *end))) {
		snprintf(err, errlen, "%s: '%s' is not a number", opt, s);
		return -EINVAL;
	}
	shift = *end == 'k' || *end == 'K'   ? 10
		: *end == 'm' || *end == 'M' ? 20
		: *end == 'g' || *end == 'G' ? 30
					     : 0;
	if (shift && v > (~0ULL >> shift)) {
		snprintf(err, errlen, "%s: '%s' is too large", opt, s);
		return -EINVAL;
	}
	v <<= shift;
	if (v < lo || v > hi) {
		snprintf(err, errlen, "%s: %llu is out of range [%llu, %llu]", opt, v, lo, hi);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

int cw_parse_u64(const char *opt, const char *s, unsigned long long lo, unsigned long long hi,
		 unsigned long long *out)
{
	char err[256];
	int ret = cw_parse_u64_err(opt, s, lo, hi, out, err, sizeof(err));

	if (ret)
		cw_log("%s", err);
	return ret;
}
