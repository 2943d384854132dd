/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* gzip (RFC 1952) of a buffer in memory, with zlib: HTTP request bodies, and their check. */
#ifndef CW_GZIP_H
#define CW_GZIP_H

#include <stddef.h>

/*
 * gzip in[0..n) at zlib's fastest level (request bodies are JSON: it still shrinks them 5-10x)
 * into a malloc'ed *out of *outlen bytes. 0, or -ENOMEM / -EIO with *out untouched.
 */
int cw_gzip(const void *in, size_t n, char **out, size_t *outlen);

/*
 * The reverse, refusing more than max bytes of output (-EFBIG): 0, -EINVAL for data that is
 * not gzip or is cut short, -ENOMEM. *out is NUL-terminated.
 */
int cw_gunzip(const void *in, size_t n, size_t max, char **out, size_t *outlen);

#endif
