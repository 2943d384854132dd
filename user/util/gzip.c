// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* gzip in memory (see gzip.h). */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>

#include <zlib.h>

#include "util/gzip.h"

/* windowBits 15 + 16: zlib writes and reads the gzip wrapper instead of the zlib one. */
#define GZIP_WBITS (15 + 16)

int cw_gzip(const void *in, size_t n, char **out, size_t *outlen)
{
	z_stream z = { 0 };
	size_t cap;
	char *buf;
	int ret;

	if (n > UINT_MAX)
		return -EIO;
	if (deflateInit2(&z, Z_BEST_SPEED, Z_DEFLATED, GZIP_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return -ENOMEM;
	cap = deflateBound(&z, (uLong)n);
	buf = malloc(cap);
	if (!buf) {
		deflateEnd(&z);
		return -ENOMEM;
	}
	z.next_in = (Bytef *)in;
	z.avail_in = (uInt)n;
	z.next_out = (Bytef *)buf;
	z.avail_out = (uInt)cap;
	/* deflateBound() is enough room for one Z_FINISH call. */
	ret = deflate(&z, Z_FINISH);
	deflateEnd(&z);
	if (ret != Z_STREAM_END) {
		free(buf);
		return -EIO;
	}
	*out = buf;
	*outlen = cap - z.avail_out;
	return 0;
}

int cw_gunzip(const void *in, size_t n, size_t max, char **out, size_t *outlen)
{
	z_stream z = { 0 };
	size_t cap = n * 4 + 64, len = 0;
	char *buf = NULL, *nb;
	int ret = Z_OK;

	if (n > UINT_MAX || max >= SIZE_MAX)
		return -EINVAL;
	if (inflateInit2(&z, GZIP_WBITS) != Z_OK)
		return -ENOMEM;
	z.next_in = (Bytef *)in;
	z.avail_in = (uInt)n;
	while (ret != Z_STREAM_END) {
		if (len + 1 >= cap || !buf) {
			if (buf)
				cap *= 2;
			if (cap > max + 1)
				cap = max + 1;
			if (buf && len + 1 >= cap) {
				ret = -EFBIG;
				break;
			}
			nb = realloc(buf, cap);
			if (!nb) {
				ret = -ENOMEM;
				break;
			}
			buf = nb;
		}
		z.next_out = (Bytef *)buf + len;
		z.avail_out = (uInt)(cap - 1 - len);
		ret = inflate(&z, Z_NO_FLUSH);
		len = cap - 1 - z.avail_out;
		if (ret == Z_BUF_ERROR && z.avail_in == 0) {
			ret = -EINVAL; /* cut short */
			break;
		}
		if (ret != Z_OK && ret != Z_STREAM_END && ret != Z_BUF_ERROR) {
			ret = ret == Z_MEM_ERROR ? -ENOMEM : -EINVAL;
			break;
		}
	}
	inflateEnd(&z);
	if (ret != Z_STREAM_END) {
		free(buf);
		return ret;
	}
	buf[len] = '\0';
	*out = buf;
	*outlen = len;
	return 0;
}
