// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Mount tables (see mountinfo.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host/mountinfo.h"

#define MOUNTINFO_MAX (1 << 20)

void cw_mountinfo_unescape(char *s)
{
	char *w = s;

	for (char *r = s; *r; r++) {
		if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' &&
		    r[3] >= '0' && r[3] <= '7') {
			*w++ = (char)((r[1] - '0') << 6 | (r[2] - '0') << 3 | (r[3] - '0'));
			r += 3;
		} else {
			*w++ = *r;
		}
	}
	*w = '\0';
}

/* A filesystem an image's root is mounted as. */
int cw_mounts_cgroup2(const char *mounts_file, char **out)
{
	char *line = NULL;
	size_t cap = 0;
	int ret = -ENOENT;
	FILE *f = fopen(mounts_file, "re");

	*out = NULL;
	if (!f)
		return -errno;
	while (ret == -ENOENT && getline(&line, &cap, f) > 0) {
		char *save, *dev = strtok_r(line, " \t\n", &save);
		char *mnt = dev ? strtok_r(NULL, " \t\n", &save) : NULL;
		char *type = mnt ? strtok_r(NULL, " \t\n", &save) : NULL;

		if (!type || strcmp(type, "cgroup2"))
			continue;
		cw_mountinfo_unescape(mnt); /* "\040" for a space */
		*out = strdup(mnt);
		ret = *out ? 0 : -ENOMEM;
	}
	free(line);
	fclose(f);
	return ret;
}

static bool image_fstype(const char *t)
{
	return !strcmp(t, "overlay") || !strcmp(t, "fuse.fuse-overlayfs") || !strcmp(t, "aufs");
}

/* Does mount point mp contain path (component-wise)? */
static size_t covers(const char *mp, const char *path)
{
	size_t n = strlen(mp);

	if (!strcmp(mp, "/"))
		return 1;
	if (strncmp(mp, path, n) || (path[n] != '/' && path[n] != '\0'))
		return 0;
	return n;
}

bool cw_path_in_image(const char *mountinfo, const char *path)
{
	char line[4096], best_fs[64] = "", best_mp[PATH_MAX] = "";
	size_t best = 0;
	const char *p = mountinfo;

	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		char *f[16], *sep, *save = NULL;
		int nf = 0;

		if (len < sizeof(line)) {
			memcpy(line, p, len);
			line[len] = '\0';
			for (char *t = strtok_r(line, " ", &save); t && nf < 16;
			     t = strtok_r(NULL, " ", &save))
				f[nf++] = t;
			/* ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE ... */
			sep = NULL;
			for (int i = 6; i < nf; i++)
				if (!strcmp(f[i], "-")) {
					sep = f[i + 1 < nf ? i + 1 : i];
					break;
				}
			if (nf >= 7 && sep) {
				size_t c;

				cw_mountinfo_unescape(f[4]);
				c = covers(f[4], path);
				/* later mounts over the same point hide earlier ones: >= */
				if (c && c >= best) {
					best = c;
					snprintf(best_mp, sizeof(best_mp), "%s", f[4]);
					snprintf(best_fs, sizeof(best_fs), "%s", sep);
				}
			}
		}
		p += len + (nl ? 1 : 0);
	}
	return !strcmp(best_mp, "/") && image_fstype(best_fs);
}

char *cw_mountinfo_read(const char *proc, uint32_t pid)
{
	char name[512], *buf; /* PROC may be under a host root */
	ssize_t n, total = 0;
	int fd;

	snprintf(name, sizeof(name), "%s/%u/mountinfo", proc, pid);
	fd = open(name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	buf = malloc(MOUNTINFO_MAX);
	while (buf && total < MOUNTINFO_MAX - 1 &&
	       (n = read(fd, buf + total, (size_t)(MOUNTINFO_MAX - 1 - total))) > 0)
		total += n;
	if (buf)
		buf[total] = '\0';
	close(fd);
	return buf;
}

/* The mount id of one of our fds (/proc/self/fdinfo), or -1. */
static long fd_mnt_id(int fd)
{
	char name[64], line[128];
	long id = -1;
	FILE *f;

	snprintf(name, sizeof(name), "/proc/self/fdinfo/%d", fd);
	f = fopen(name, "re");
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "mnt_id:", 7)) {
			id = strtol(line + 7, NULL, 10);
			break;
		}
	if (f)
		fclose(f);
	return id;
}

/*
 * Is mount id the root overlay in this mount table? Mount ids are unique on the host, so the
 * mount of the file we actually read is found in the process's table whatever path led to
 * it (symlinks such as /var/run -> /run need no resolving).
 */
bool cw_mount_is_image_root(const char *mountinfo, long mnt_id)
{
	const char *p = mountinfo;

	while (*p) {
		const char *nl = strchr(p, '\n'), *sep;
		long id;
		char mp[8], fstype[32];

		if (sscanf(p, "%ld %*u %*s %*s %7s", &id, mp) == 2 && id == mnt_id) {
			sep = strstr(p, " - ");
			if (!sep || (nl && sep > nl) || sscanf(sep + 3, "%31s", fstype) != 1)
				return false;
			return !strcmp(mp, "/") && image_fstype(fstype);
		}
		if (!nl)
			break;
		p = nl + 1;
	}
	return false;
}

int cw_overlay_lower_has(const char *mountinfo, long mnt_id, const char *path)
{
	const char *p = mountinfo, *opt;
	char layer[PATH_MAX], full[PATH_MAX * 2];
	bool unknown = false;
	struct stat st;

	/* the mount's line, then its super options' lowerdir=A:B:... */
	while (*p) {
		long id;

		if (sscanf(p, "%ld", &id) == 1 && id == mnt_id)
			break;
		p = strchr(p, '\n');
		if (!p)
			return -1;
		p++;
	}
	opt = strstr(p, "lowerdir=");
	if (!*p || !opt || (strchr(p, '\n') && opt > strchr(p, '\n')))
		return -1;
	opt += 9;
	while (*opt && *opt != ',' && *opt != ' ' && *opt != '\n') {
		size_t n = strcspn(opt, ":, \n");

		if (n >= sizeof(layer))
			return -1;
		memcpy(layer, opt, n);
		layer[n] = '\0';
		cw_mountinfo_unescape(layer);
		snprintf(full, sizeof(full), "%s/.", layer);
		if (stat(full, &st))
			unknown = true; /* a layer we cannot see from here */
		else if (snprintf(full, sizeof(full), "%s%s", layer, path) < (int)sizeof(full) &&
			 !lstat(full, &st))
			return 1;
		opt += n + (opt[n] == ':');
	}
	return unknown ? -1 : 0;
}

bool cw_fd_in_image(const char *proc, uint32_t pid, int fd, const char *path)
{
	long id = fd_mnt_id(fd);
	char *buf = id < 0 ? NULL : cw_mountinfo_read(proc, pid);
	bool res =
		buf && cw_mount_is_image_root(buf, id) && cw_overlay_lower_has(buf, id, path) != 0;

	free(buf);
	return res;
}
