// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Executables by pid, from exec events (see procs.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "host/procs.h"

struct slot {
	uint32_t pid;
	char exe[CW_PROCS_EXE_MAX];
};

struct cw_procs {
	struct slot s[CW_PROCS_SLOTS];
};

static struct slot *slot_of(struct cw_procs *p, uint32_t pid)
{
	return &p->s[(pid * 2654435761u) >> 19 & (CW_PROCS_SLOTS - 1)];
}

struct cw_procs *cw_procs_new(void)
{
	return calloc(1, sizeof(struct cw_procs));
}

void cw_procs_free(struct cw_procs *p)
{
	free(p);
}

void cw_procs_exec(struct cw_procs *p, uint32_t pid, const char *path, size_t n)
{
	struct slot *s;

	if (!p || !pid)
		return;
	s = slot_of(p, pid);
	if (n >= sizeof(s->exe))
		n = sizeof(s->exe) - 1;
	s->pid = pid;
	memcpy(s->exe, path, n);
	s->exe[n] = '\0';
}

void cw_procs_exit(struct cw_procs *p, uint32_t pid)
{
	struct slot *s;

	if (!p)
		return;
	s = slot_of(p, pid);
	if (s->pid == pid)
		s->pid = 0;
}

void cw_procs_exe(struct cw_procs *p, const char *proc, uint32_t pid, char *out)
{
	char link[64];
	ssize_t n;
	struct slot *s;

	snprintf(link, sizeof(link), "%s/%u/exe", proc ? proc : "/proc", pid);
	n = readlink(link, out, CW_PROCS_EXE_MAX - 1);
	if (n > 0) {
		out[n] = '\0';
		return;
	}
	out[0] = '\0';
	if (!p)
		return;
	s = slot_of(p, pid);
	if (s->pid == pid)
		memcpy(out, s->exe, sizeof(s->exe));
}
