// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Executables by pid, from exec events (see procs.h): a uthash table by pid, whose insertion
 * order is the order of the execs, so the head is the one to forget when full.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "host/procs.h"
#include "util/table.h"

struct proc_exe {
	uint32_t pid;
	char exe[CW_PROCS_EXE_MAX];
	UT_hash_handle hh;
};

struct cw_procs {
	struct proc_exe *by_pid;
};

struct cw_procs *cw_procs_new(void)
{
	return calloc(1, sizeof(struct cw_procs));
}

static void forget(struct cw_procs *p, struct proc_exe *e)
{
	HASH_DEL(p->by_pid, e);
	free(e);
}

void cw_procs_free(struct cw_procs *p)
{
	struct proc_exe *e, *tmp;

	if (!p)
		return;
	HASH_ITER (hh, p->by_pid, e, tmp)
		forget(p, e);
	free(p);
}

void cw_procs_exec(struct cw_procs *p, uint32_t pid, const char *path, size_t n)
{
	struct proc_exe *e;

	if (!p || !pid)
		return;
	HASH_FIND(hh, p->by_pid, &pid, sizeof(pid), e);
	if (e) {
		HASH_DEL(p->by_pid, e); /* added again below: the newest exec */
	} else {
		if (HASH_COUNT(p->by_pid) >= CW_PROCS_MAX)
			forget(p, p->by_pid);
		e = malloc(sizeof(*e));
		if (!e)
			return;
		e->pid = pid;
	}
	if (n >= sizeof(e->exe))
		n = sizeof(e->exe) - 1;
	memcpy(e->exe, path, n);
	e->exe[n] = '\0';
	HASH_ADD(hh, p->by_pid, pid, sizeof(e->pid), e);
	if (!CW_HASH_ADDED(e, hh))
		free(e);
}

void cw_procs_exit(struct cw_procs *p, uint32_t pid)
{
	struct proc_exe *e;

	if (!p)
		return;
	HASH_FIND(hh, p->by_pid, &pid, sizeof(pid), e);
	if (e)
		forget(p, e);
}

void cw_procs_exe(struct cw_procs *p, const char *proc, uint32_t pid, char *out)
{
	char link[64];
	ssize_t n;
	struct proc_exe *e;

	snprintf(link, sizeof(link), "%s/%u/exe", proc ? proc : "/proc", pid);
	n = readlink(link, out, CW_PROCS_EXE_MAX - 1);
	if (n > 0) {
		out[n] = '\0';
		return;
	}
	out[0] = '\0';
	if (!p)
		return;
	HASH_FIND(hh, p->by_pid, &pid, sizeof(pid), e);
	if (e)
		memcpy(out, e->exe, sizeof(e->exe));
}
