/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
#ifndef CW_UTIL_STR_H
#define CW_UTIL_STR_H
/* Prefix and suffix tests on counted strings (a path component, a directory entry's name). */
#include <stdbool.h>
#include <string.h>

/* Do the n bytes at s start with the string pre? */
static inline bool cw_starts_with(const char *s, size_t n, const char *pre)
{
	size_t pl = strlen(pre);

	return n >= pl && !memcmp(s, pre, pl);
}

/* Do the n bytes at s end with the string suf? */
static inline bool cw_ends_with(const char *s, size_t n, const char *suf)
{
	size_t sl = strlen(suf);

	return n >= sl && !memcmp(s + n - sl, suf, sl);
}

#endif
