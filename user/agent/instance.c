// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* One agent per host, and the agent's executable identity (instance.h). */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "agent/instance.h"
#include "util/fileio.h"
#include "util/log.h"

long cw_instance_holder(const char *path)
{
	char buf[32] = "";
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	return strtol(buf, NULL, 10);
}

/* The lock file's directory (mode 0755) and the file (0644, root's). */
static int open_lock(const char *path)
{
	char dir[256];
	char *slash;
	int fd;

	snprintf(dir, sizeof(dir), "%s", path);
	if ((slash = strrchr(dir, '/')) && slash != dir) {
		*slash = '\0';
		if (cw_mkdir_p(dir, 0755))
			return -errno;
	}
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	return fd < 0 ? -errno : fd;
}

/* Is pid a live process running this executable (a pid left in the file by a dead agent may
 * name another process since)? */
static bool running(long pid)
{
	struct stat self, st;
	char p[64];

	snprintf(p, sizeof(p), "/proc/%ld/exe", pid);
	return !stat("/proc/self/exe", &self) && !stat(p, &st) && st.st_ino == self.st_ino &&
	       st.st_dev == self.st_dev;
}

static int write_pid(int fd)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());

	if (ftruncate(fd, 0) || pwrite(fd, buf, (size_t)n, 0) != n)
		return -errno;
	return 0;
}

int cw_instance_lock(const char *path, enum cw_instance_mode mode, int *fd)
{
	long other;
	int l;

	*fd = -1;
	if (mode == CW_INSTANCE_BESIDE) {
		/* read only: trying the lock could make a run starting now fail to take it */
		if ((other = cw_instance_holder(path)) > 0 && other != getpid() && running(other))
			cw_log("another credwatch agent runs (pid %ld, %s): going on beside it "
			       "(neither alerts on the other's reads of credential files)",
			       other, path);
		return 0;
	}
	if ((l = open_lock(path)) < 0) {
		cw_log("cannot open the agent lock %s: %s", path, strerror(-l));
		return l;
	}
	if (!flock(l, LOCK_EX | LOCK_NB)) {
		int ret = write_pid(l);

		if (ret) {
			cw_log("cannot write the agent lock %s: %s", path, strerror(-ret));
			close(l);
			return ret;
		}
		*fd = l;
		return 0;
	}
	if (errno != EWOULDBLOCK) {
		int ret = -errno;

		cw_log("cannot lock %s: %s", path, strerror(-ret));
		close(l);
		return ret;
	}
	close(l);
	other = cw_instance_holder(path);
	if (mode == CW_INSTANCE_RUN) {
		cw_log("another credwatch agent runs on this host (pid %ld holds %s): not starting "
		       "a second one (every probe and alert would be doubled); stop it, or pass "
		       "--allow-second-agent",
		       other, path);
		return -EEXIST;
	}
	cw_log("another credwatch agent runs on this host (pid %ld holds %s): "
	       "--allow-second-agent: starting beside it",
	       other, path);
	return 0;
}

int cw_instance_self_exe(uint64_t *ino, uint32_t *kdev)
{
	struct stat st;

	if (stat("/proc/self/exe", &st))
		return -errno;
	*ino = (uint64_t)st.st_ino;
	*kdev = (uint32_t)(major(st.st_dev) << 20 | minor(st.st_dev));
	return 0;
}
