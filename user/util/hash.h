/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
#ifndef CW_UTIL_HASH_H
#define CW_UTIL_HASH_H
/*
 * FNV-1a, 64 bit: the one string hash of the agent. Its constants are in credwatch.h because
 * the kernel's watch prefilter hashes paths the same way.
 */
#include <stddef.h>
#include <stdint.h>

#include "credwatch.h"

/* h folded with n bytes of buf; start from CW_FNV_OFFSET. */
static inline uint64_t cw_fnv1a(uint64_t h, const void *buf, size_t n)
{
	const unsigned char *p = buf;

	while (n--)
		h = (h ^ *p++) * CW_FNV_PRIME;
	return h;
}

/*
 * h folded with the string s and a 0xff separator (a byte no UTF-8 text holds), so that
 * ("ab", "c") and ("a", "bc") hash apart when fields are chained.
 */
static inline uint64_t cw_fnv1a_field(uint64_t h, const char *s)
{
	while (*s)
		h = (h ^ (unsigned char)*s++) * CW_FNV_PRIME;
	return (h ^ 0xff) * CW_FNV_PRIME;
}

#endif
