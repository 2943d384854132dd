// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Pod and container names (see pod_names.h), from the kubelet's log directories: the cgroup
 * path gives only the pod's UID and the container's id.
 */
#include <dirent.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host/pod_names.h"
#include "util/str.h"

static bool copy_field(char *dst, size_t cap, const char *s, size_t n)
{
	if (!n || n >= cap)
		return false;
	memcpy(dst, s, n);
	dst[n] = '\0';
	return true;
}

/*
 * CONTAINERS/<pod>_<namespace>_<container>-<id>.log: '_' is in none of those names (DNS
 * labels and subdomains), so the split is exact. Fills the container name, and the pod's
 * names if still unknown.
 */
static void names_from_containers(const char *containers_dir, struct cw_workload *wl)
{
	struct dirent *de;
	DIR *d = opendir(containers_dir);

	if (!d)
		return;
	while ((de = readdir(d))) {
		const char *s = de->d_name, *u1, *u2, *end;
		size_t n = strlen(s);

		if (n < 6 + CW_CONTAINER_ID_HEX + 4 || !cw_ends_with(s, n, ".log"))
			continue;
		end = s + n - 4 - CW_CONTAINER_ID_HEX;
		if (memcmp(end, wl->container_id, CW_CONTAINER_ID_HEX) || end[-1] != '-')
			continue;
		end--;
		u1 = memchr(s, '_', (size_t)(end - s));
		u2 = u1 ? memchr(u1 + 1, '_', (size_t)(end - u1 - 1)) : NULL;
		if (!u2 || memchr(u2 + 1, '_', (size_t)(end - u2 - 1)))
			continue;
		if (!copy_field(wl->container_name, sizeof(wl->container_name), u2 + 1,
				(size_t)(end - u2 - 1)))
			continue;
		if (!wl->pod_name[0] &&
		    copy_field(wl->pod_name, sizeof(wl->pod_name), s, (size_t)(u1 - s)) &&
		    !copy_field(wl->pod_namespace, sizeof(wl->pod_namespace), u1 + 1,
				(size_t)(u2 - u1 - 1)))
			wl->pod_name[0] = '\0';
		break;
	}
	closedir(d);
}

/* The only container directory in a pod's log directory, or nothing. */
static void single_container(int pdfd, struct cw_workload *wl)
{
	char name[sizeof(wl->container_name)] = "";
	struct dirent *de;
	struct stat st;
	int count = 0;
	DIR *d = fdopendir(pdfd);

	if (!d) {
		close(pdfd);
		return;
	}
	while ((de = readdir(d)) && count < 2) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (de->d_type != DT_DIR &&
		    (de->d_type != DT_UNKNOWN ||
		     fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) ||
		     !S_ISDIR(st.st_mode)))
			continue;
		if (!count++ && !copy_field(name, sizeof(name), de->d_name, strlen(de->d_name)))
			count = 2; /* a name that does not fit is not a guess to make */
	}
	closedir(d);
	if (count == 1)
		memcpy(wl->container_name, name, sizeof(name));
}

/*
 * PODS/<namespace>_<pod>_<uid>/<container>/: the pod's names, and the container's when the
 * pod has only one (a container whose log link is not there yet, or has none).
 */
static void names_from_pods(const char *pods_dir, struct cw_workload *wl)
{
	size_t ul = strlen(wl->pod_uid);
	struct dirent *de;
	DIR *d = opendir(pods_dir);

	if (!d)
		return;
	while ((de = readdir(d))) {
		const char *s = de->d_name, *u, *end;
		size_t n = strlen(s);
		int fd;

		if (n < ul + 4 || memcmp(s + n - ul, wl->pod_uid, ul) || s[n - ul - 1] != '_')
			continue;
		end = s + n - ul - 1;
		u = memchr(s, '_', (size_t)(end - s));
		if (!u || memchr(u + 1, '_', (size_t)(end - u - 1)))
			continue;
		if (!wl->pod_name[0]) {
			if (!copy_field(wl->pod_namespace, sizeof(wl->pod_namespace), s,
					(size_t)(u - s)) ||
			    !copy_field(wl->pod_name, sizeof(wl->pod_name), u + 1,
					(size_t)(end - u - 1))) {
				wl->pod_namespace[0] = wl->pod_name[0] = '\0';
				continue;
			}
		}
		if (wl->container_id[0] && !wl->container_name[0]) {
			fd = openat(dirfd(d), s, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (fd >= 0)
				single_container(fd, wl);
		}
		break;
	}
	closedir(d);
}

void cw_pod_names(const char *pods_dir, const char *containers_dir, struct cw_workload *wl)
{
	/* the exact id match first: the single-container guess must not win over it */
	if (wl->container_id[0] && !wl->container_name[0])
		names_from_containers(containers_dir, wl);
	if (!wl->pod_name[0] || (wl->container_id[0] && !wl->container_name[0]))
		names_from_pods(pods_dir, wl);
	cw_workload_set_key(wl);
}
