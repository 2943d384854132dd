// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Files a root process trusts (fileperm.h). */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "util/fileperm.h"

/* One stat'ed file: 0, or -EPERM with the line. */
static int judge(const char *path, const char *what, const struct stat *st, uid_t owner, char *err,
		 size_t errlen)
{
	const char *bad = NULL;

	if (st->st_uid != owner) {
		snprintf(err, errlen,
			 "%s %s: owned by uid %u, not %u: refused (only root may own what the "
			 "agent trusts: chown root %s)",
			 what, path, (unsigned)st->st_uid, (unsigned)owner, path);
		return -EPERM;
	}
	if (st->st_mode & S_IWOTH)
		bad = "world-writable";
	else if (st->st_mode & S_IWGRP)
		bad = "group-writable";
	if (!bad)
		return 0;
	snprintf(err, errlen,
		 "%s %s: %s (mode %04o): refused (anyone who can write it steers the agent: "
		 "chmod go-w %s)",
		 what, path, bad, (unsigned)(st->st_mode & 07777), path);
	return -EPERM;
}

static int check_entries(const char *dir, const char *what, uid_t owner, char *err, size_t errlen)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int ret = 0;

	if (!d) {
		snprintf(err, errlen, "%s %s: %s", what, dir, strerror(errno));
		return -errno;
	}
	while (!ret && (e = readdir(d))) {
		char p[4096];
		struct stat st;

		if (e->d_name[0] == '.')
			continue;
		if ((size_t)snprintf(p, sizeof(p), "%s/%s", dir, e->d_name) >= sizeof(p) ||
		    stat(p, &st) || !S_ISREG(st.st_mode))
			continue;
		ret = judge(p, what, &st, owner, err, errlen);
	}
	closedir(d);
	return ret;
}

int cw_fileperm_check(const char *path, const char *what, uid_t owner, int dir_entries, char *err,
		      size_t errlen)
{
	struct stat st;
	int ret;

	if (!path)
		return 0;
	if (stat(path, &st)) {
		if (errno == ENOENT)
			return 0;
		ret = -errno;
		snprintf(err, errlen, "%s %s: %s", what, path, strerror(-ret));
		return ret;
	}
	if ((ret = judge(path, what, &st, owner, err, errlen)))
		return ret;
	return dir_entries && S_ISDIR(st.st_mode) ? check_entries(path, what, owner, err, errlen)
						  : 0;
}
