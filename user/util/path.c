// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "util/path.h"

const char *cw_path_clean(const char *path, char *buf, size_t size)
{
	size_t n = 0, root = path[0] == '/';
	const char *c = path;

	if (strlen(path) >= size)
		return path;
	if (root)
		buf[n++] = '/';
	while (*c) {
		const char *e = strchrnul(c, '/');
		size_t len = (size_t)(e - c);

		if (len == 2 && c[0] == '.' && c[1] == '.') {
			while (n > root && buf[n - 1] != '/')
				n--;
			if (n > root)
				n--; /* and its separator */
		} else if (len && !(len == 1 && c[0] == '.')) {
			if (n > root)
				buf[n++] = '/';
			memcpy(buf + n, c, len);
			n += len;
		}
		c = *e ? e + 1 : e;
	}
	buf[n] = '\0';
	return buf;
}

void cw_path_join(const char *dir, const char *rel, char *out, size_t outlen)
{
	char joined[PATH_MAX * 2], clean[PATH_MAX * 2];

	if (!outlen)
		return;
	snprintf(joined, sizeof(joined), "/%s/%s", rel[0] == '/' ? "" : dir, rel);
	snprintf(out, outlen, "%s", cw_path_clean(joined, clean, sizeof(clean)));
}
