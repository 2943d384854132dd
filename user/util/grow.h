/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* Growable arrays: one doubling realloc for every array that grows as it is filled. */
#ifndef CW_GROW_H
#define CW_GROW_H

#include <errno.h>
#include <stdlib.h>

/*
 * Make room for `need` elements of `elem` bytes in the array *v of capacity *cap, doubling
 * (from 64) as needed. 0, or -ENOMEM with the array untouched.
 */
static inline int cw_grow(void **v, size_t *cap, size_t need, size_t elem)
{
	size_t ncap;
	void *nv;

	if (need <= *cap)
		return 0;
	ncap = *cap ? *cap : 64;
	while (ncap < need)
		ncap *= 2;
	nv = realloc(*v, ncap * elem);
	if (!nv)
		return -ENOMEM;
	*v = nv;
	*cap = ncap;
	return 0;
}

#endif
