// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Files as a process sees them (see procfile.h). */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>

#include "host/hostroot.h"
#include "host/mountinfo.h"
#include "host/procfile.h"
#include "util/str.h"

uint32_t cw_proc_environ_of(const char *path, uint32_t reader)
{
	unsigned long pid;
	char *end;

	if (strncmp(path, "/proc/", 6))
		return 0;
	pid = strtoul(path + 6, &end, 10);
	if (end == path + 6 || pid == reader || pid > UINT32_MAX)
		return 0;
	if (!strncmp(end, "/task/", 6)) { /* /proc/N/task/M/environ: N's environment */
		char *e2;

		strtoul(end + 6, &e2, 10);
		if (e2 == end + 6)
			return 0;
		end = e2;
	}
	return strcmp(end, "/environ") ? 0 : (uint32_t)pid;
}

/*
 * Is fd (any mode, O_PATH included) a regular file on a filesystem that holds files, not
 * procfs, sysfs, debugfs or tracefs, whose "regular files" are kernel interfaces a read can
 * consume (/proc/kmsg, trace_pipe)? environ: procfs is what it must be on.
 */
static bool plain_file(int fd, bool environ)
{
	struct statfs sf;
	struct stat st;

	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || fstatfs(fd, &sf))
		return false;
	if (environ)
		return sf.f_type == PROC_SUPER_MAGIC;
	return sf.f_type != PROC_SUPER_MAGIC && sf.f_type != SYSFS_MAGIC &&
	       sf.f_type != DEBUGFS_MAGIC && sf.f_type != TRACEFS_MAGIC &&
	       sf.f_type != SECURITYFS_MAGIC && sf.f_type != BPF_FS_MAGIC;
}

/*
 * Could uid read this file? A process that opened a file and is gone leaves us only its name:
 * someone may have swapped it for a link to a file they cannot read. (Group membership is not
 * known here: a group-only file counts as unreadable, for anyone but root.)
 */
static bool readable_by(int fd, uint32_t uid)
{
	struct stat st;

	if (fstat(fd, &st))
		return false;
	return uid == 0 || (st.st_uid == uid && (st.st_mode & S_IRUSR)) || (st.st_mode & S_IROTH);
}

/* Reopen an O_PATH fd for reading, through /proc/self/fd (no path walk again). */
static int reopen(int pfd)
{
	char name[64];
	int fd;

	snprintf(name, sizeof(name), "/proc/self/fd/%d", pfd);
	fd = open(name, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	close(pfd);
	return fd;
}

/*
 * path inside the directory rootdir, a process's or the host's root: absolute symlinks on the
 * way (/var/run -> /run) resolve inside that root, not ours (openat2 RESOLVE_IN_ROOT; Linux
 * 5.6). Opened O_PATH first, so a device's or FIFO's open never runs, and checked before it is
 * opened for reading. -1 when it cannot be had.
 */
static int open_under(const char *rootdir, const char *path, uint32_t uid, bool environ)
{
	struct open_how how = { .flags = O_PATH | O_CLOEXEC,
				.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
	int root, pfd;

	root = open(rootdir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		return -1;
	pfd = (int)syscall(SYS_openat2, root, path, &how, sizeof(how));
	close(root);
	if (pfd < 0)
		return -1;
	if (!plain_file(pfd, environ) || (!environ && !readable_by(pfd, uid))) {
		close(pfd);
		return -1;
	}
	return reopen(pfd);
}

/* path inside the root of process pid (PROC/PID/root), as open_under. */
static int open_in_root(const char *proc, uint32_t pid, const char *path, uint32_t uid,
			bool environ)
{
	char name[512]; /* PROC may be under a host root */

	snprintf(name, sizeof(name), "%s/%u/root", proc, pid);
	return open_under(name, path, uid, environ);
}

/*
 * The very file the process opened, while it still holds it: a duplicate of its fd
 * (pidfd_getfd, Linux 5.6), read with pread so its offset is not moved. -1 when gone.
 */
static int dup_process_fd(uint32_t pid, uint32_t fd)
{
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0), dfd;

	if (pidfd < 0)
		return -1;
	dfd = (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0);
	close(pidfd);
	if (dfd >= 0 && !plain_file(dfd, false)) {
		close(dfd);
		dfd = -1;
	}
	return dfd;
}

bool cw_proc_file_in_image(const char *proc, uint32_t pid, uint32_t fd, const char *path)
{
	int dfd = dup_process_fd(pid, fd);
	char *buf;
	bool res;

	if (dfd >= 0) {
		res = cw_fd_in_image(proc, pid, dfd, path);
		close(dfd);
		return res;
	}
	buf = cw_mountinfo_read(proc, pid);
	res = buf && cw_path_in_image(buf, path);
	free(buf);
	return res;
}

/* The first pid past after, not `not`, of a live process in the opener's cgroup, or 0. */
static uint32_t sibling(const struct cw_proc_file *pf, uint32_t not, uint32_t after)
{
	char procs[PATH_MAX];
	unsigned int pid, found = 0;
	FILE *f;

	if (!pf->cgroup_root || !pf->cgroup || !pf->cgroup[0])
		return 0;
	snprintf(procs, sizeof(procs), "%s%s/cgroup.procs", pf->cgroup_root, pf->cgroup);
	f = fopen(procs, "re");
	while (f && !found && fscanf(f, "%u", &pid) == 1)
		if (pid != not &&pid > after)
			found = pid;
	if (f)
		fclose(f);
	return found;
}

char *cw_maps_exec_file(char *line)
{
	char perms[8], *file;
	size_t n;

	if (sscanf(line, "%*s %7s", perms) != 1 || strlen(perms) < 4 || perms[2] != 'x')
		return NULL;
	file = strchr(line, '/');
	if (!file)
		return NULL;
	n = strcspn(file, "\n");
	file[n] = '\0';
	/* a suffix only: a directory may be named "a (deleted)" to hide what is below it */
	return cw_ends_with(file, n, " (deleted)") ? NULL : file;
}

uint32_t cw_proc_ns_pid(const char *proc, uint32_t pid)
{
	char name[512], line[256];
	unsigned int v = 0;
	FILE *f;

	snprintf(name, sizeof(name), "%s/%u/status", proc, pid);
	f = fopen(name, "re");
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "NSpid:", 6)) {
			for (char *t = strtok(line + 6, " \t\n"); t; t = strtok(NULL, " \t\n"))
				v = (unsigned int)strtoul(t, NULL, 10);
			break;
		}
	if (f)
		fclose(f);
	return v;
}

int cw_proc_file_open(const struct cw_proc_file *pf, uint32_t *ns)
{
	bool environ = pf->environ_pid != 0;
	uint32_t pid = 0;
	int fd;

	*ns = pf->pid;
	if (!environ && !pf->path_cut && (fd = dup_process_fd(pf->pid, pf->fd)) >= 0)
		return fd;
	if (pf->path[0] != '/' || pf->path_cut)
		return -1;
	if ((fd = open_in_root(pf->proc, pf->pid, pf->path, pf->uid, environ)) >= 0)
		return fd;
	if (pf->in_container) {
		/* a `cat` may be gone before we look, its container is not */
		for (int i = 0; i < 8 && (pid = sibling(pf, pf->pid, pid)); i++) {
			*ns = pid;
			if ((fd = open_in_root(pf->proc, pid, pf->path, pf->uid, environ)) >= 0)
				return fd;
		}
		return -1;
	}
	/* a host process: the host's root, which is ours, or the one --host-root names */
	if (cw_host_root_is_set()) {
		*ns = 1; /* the host's init's mount table describes it */
		return open_under(cw_host_root(), pf->path, pf->uid, environ);
	}
	*ns = (uint32_t)getpid();
	return open_in_root(pf->proc, *ns, pf->path, pf->uid, environ);
}
