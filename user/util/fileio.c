// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* File I/O without credwatch knowledge (see fileio.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/fileio.h"
#include "util/grow.h"

int cw_write_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;

	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int cw_read_file(const char *path, size_t max, char **buf, size_t *len)
{
	size_t n = 0, cap = 0;
	char *p = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC), ret = 0;

	if (fd < 0)
		return -errno;
	for (;;) {
		size_t room;
		ssize_t r;

		if (cw_grow((void **)&p, &cap, n + 2, 1)) {
			ret = -ENOMEM;
			break;
		}
		room = cap - 1 - n; /* a byte stays for the NUL */
		if (room - 1 > max - n)
			room = max - n + 1; /* a byte past max: there is more than max */
		r = read(fd, p + n, room);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			ret = -errno;
			break;
		}
		if (!r)
			break;
		n += (size_t)r;
		if (n > max) {
			ret = -EFBIG;
			break;
		}
	}
	close(fd);
	if (ret) {
		free(p);
		return ret;
	}
	p[n] = '\0';
	*buf = p;
	*len = n;
	return 0;
}

int cw_mkdir_p(const char *dir, mode_t mode)
{
	char tmp[4096];

	if (snprintf(tmp, sizeof(tmp), "%s", dir) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, mode) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(tmp, mode) && errno != EEXIST)
		return -errno;
	return 0;
}
