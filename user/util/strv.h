/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * A growable vector of owned strings: the lists of rules (keywords, destinations, examples)
 * and of the policy (watch globs, owners, readers).
 */
#ifndef CW_UTIL_STRV_H
#define CW_UTIL_STRV_H

#include <stdbool.h>
#include <stddef.h>

struct cw_strv {
	char **v;
	size_t n;
};

/* Append a copy of s: 0 or -ENOMEM (v unchanged). */
int cw_strv_push(struct cw_strv *v, const char *s);
/* Is s one of v's strings? */
bool cw_strv_has(const struct cw_strv *v, const char *s);
/* Remove (and free) v->v[i], keeping the order of the others. */
void cw_strv_drop(struct cw_strv *v, size_t i);
/* Free every string and the vector; v is empty after. */
void cw_strv_free(struct cw_strv *v);

#endif
