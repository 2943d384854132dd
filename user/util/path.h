/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
#ifndef CW_UTIL_PATH_H
#define CW_UTIL_PATH_H
/* Paths cleaned lexically, the one way the agent spells a path before comparing it. */
#include <stddef.h>

/*
 * Clean path into buf: no "//", no "." components, ".." takes the previous component away
 * (at the root or the start of a relative path there is none), no trailing '/'. Returns buf,
 * or path itself when it does not fit.
 */
const char *cw_path_clean(const char *path, char *buf, size_t size);

/*
 * rel resolved against the absolute directory dir (rel itself when absolute), cleaned, into
 * out; "/" at least. A result longer than out is cut at outlen - 1 bytes.
 */
void cw_path_join(const char *dir, const char *rel, char *out, size_t outlen);

#endif
