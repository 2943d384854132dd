/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Opening a file as the process that opened it sees it: the very file it holds (a duplicate of
 * its fd, pidfd_getfd), else its path through the process's root (its mount namespace, and for
 * /proc/N/environ its pid namespace's /proc), else through the root of another live process of
 * its container (the opener may be gone before we look), or for a host process through the
 * host's root. Only plain files are opened: never a device or FIFO, nor a kernel interface
 * (procfs, sysfs, debugfs, tracefs) whose read consumes something.
 */
#ifndef CW_PROCFILE_H
#define CW_PROCFILE_H

#include <stdbool.h>
#include <stdint.h>

struct cw_proc_file {
	const char *proc;      /* "/proc" (tests: a fixture) */
	uint32_t pid, fd, uid; /* the opener, the fd it opened, its uid */
	const char *path;      /* as the process named it, resolved; unusable unless absolute */
	bool path_cut;	       /* the kernel cut the path: neither it nor the fd is the file */
	uint32_t environ_pid;  /* path is /proc/N/environ of another process N; else 0 */
	bool in_container;     /* other processes of the opener's cgroup may stand in for it */
	const char *cgroup_root, *cgroup; /* where their cgroup.procs is; NULL: unknown */
};

/* An fd open for reading the file, or -1 when it cannot be had. *ns gets the pid whose mount
 * table describes where the file is. */
int cw_proc_file_open(const struct cw_proc_file *pf, uint32_t *ns);

/*
 * Is the file process pid opened as fd and named path in its container's image? Judged by the
 * mount of the very file while the process holds it, else by the mount covering the path (for
 * --capture-reads, where the agent reads nothing itself).
 */
bool cw_proc_file_in_image(const char *proc, uint32_t pid, uint32_t fd, const char *path);

/* The pid process pid has in its own pid namespace (NSpid's last field), or 0. */
uint32_t cw_proc_ns_pid(const char *proc, uint32_t pid);

/* "/proc/N/environ" (or /proc/N/task/M/environ) of a process other than reader (N as the
 * reader's pid namespace numbers it): N; else 0. */
uint32_t cw_proc_environ_of(const char *path, uint32_t reader);

/*
 * The file of an executable mapping in a line of PROC/PID/maps ("address perms offset dev
 * inode path"): the path, cut at the line's end in place; NULL when the mapping is not
 * executable, is not a file's, or its file was unlinked (the kernel's " (deleted)" suffix).
 */
char *cw_maps_exec_file(char *line);

#endif
