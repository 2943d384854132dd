// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The host's root (see hostroot.h): one directory, set once at the start. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "host/hostroot.h"
#include "host/mountinfo.h"
#include "util/path.h"

static char root[CW_HOST_ROOT_MAX + 1]; /* "" or "/host" */
static char proc[CW_HOST_ROOT_MAX + sizeof("/proc")] = "/proc";

int cw_host_root_set(const char *dir, char *err, size_t errlen)
{
	char clean[PATH_MAX];
	const char *c;
	struct stat st;

	root[0] = '\0';
	snprintf(proc, sizeof(proc), "/proc");
	if (!dir || !dir[0])
		return 0;
	if (dir[0] != '/') {
		snprintf(err, errlen, "--host-root %s: not an absolute path", dir);
		return -EINVAL;
	}
	c = cw_path_clean(dir, clean, sizeof(clean));
	if (strlen(c) > CW_HOST_ROOT_MAX) {
		snprintf(err, errlen, "--host-root %s: longer than %d bytes", dir,
			 CW_HOST_ROOT_MAX);
		return -ENAMETOOLONG;
	}
	errno = 0;
	if (stat(c, &st) || !S_ISDIR(st.st_mode)) {
		int e = errno ? errno : ENOTDIR;

		snprintf(err, errlen, "--host-root %s: %s", dir, strerror(e));
		return -e;
	}
	if (!strcmp(c, "/"))
		return 0;
	snprintf(root, sizeof(root), "%s", c);
	snprintf(proc, sizeof(proc), "%s/proc", root);
	return 0;
}

const char *cw_host_root(void)
{
	return root;
}

const char *cw_host_proc(void)
{
	return proc;
}

const char *cw_host_path(char *buf, size_t len, const char *path)
{
	int n = snprintf(buf, len, "%s%s", root, path);

	if (n < 0 || (size_t)n >= len) {
		if (len)
			buf[0] = '\0';
		return NULL;
	}
	return buf;
}

int cw_host_cgroup2_root(char **out)
{
	char file[sizeof(proc) + 16], *mnt;
	int ret;

	*out = NULL;
	snprintf(file, sizeof(file), "%s/1/mounts", proc);
	if ((ret = cw_mounts_cgroup2(file, &mnt)))
		return ret;
	ret = asprintf(out, "%s%s", root, strcmp(mnt, "/") ? mnt : "") < 0 ? -ENOMEM : 0;
	if (ret)
		*out = NULL;
	free(mnt);
	return ret;
}

bool cw_host_pidns_same(uint64_t self_ns, uint64_t host_ns)
{
	return self_ns == CW_INIT_PID_NS_INO && (!host_ns || host_ns == self_ns);
}

int cw_host_pidns_check(char *err, size_t errlen)
{
	char host[sizeof(proc) + 16];
	struct stat self_st, host_st;
	uint64_t host_ns = 0;

	if (stat("/proc/self/ns/pid", &self_st))
		return 0; /* no namespaces to tell apart (a kernel without them) */
	snprintf(host, sizeof(host), "%s/1/ns/pid", proc);
	if (root[0] && !stat(host, &host_st))
		host_ns = (uint64_t)host_st.st_ino;
	if (cw_host_pidns_same((uint64_t)self_st.st_ino, host_ns))
		return 0;
	snprintf(err, errlen,
		 "not in the host's pid namespace (the agent's is pid:[%llu], %s's "
		 "pid:[%llu]): the kernel reports host pids, which would name other processes "
		 "here; run with the host's pids (Kubernetes: hostPID: true; docker: --pid=host)",
		 (unsigned long long)self_st.st_ino, host_ns ? host : "the host",
		 (unsigned long long)(host_ns ? host_ns : CW_INIT_PID_NS_INO));
	return -EINVAL;
}
