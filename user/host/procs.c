// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The process table (see procs.h): a uthash table by pid, whose insertion order is the order
 * of the execs, so the head is the one to forget when full; exited processes also sit on a
 * list in the order they exited, whose head is forgotten when it grows past its bound.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "host/hosttap.h"
#include "host/procs.h"
#include "util/table.h"

struct proc {
	uint32_t pid, ppid;
	uint32_t top; /* the top of its tree from the exec event, or 0 */
	bool gone;
	bool root_known;		    /* root below is the answer (found once, kept) */
	char exe[CW_PROCS_EXE_MAX];	    /* "" unknown */
	char root[CW_PROCS_EXE_MAX];	    /* the top of its tree's executable */
	struct proc *gone_prev, *gone_next; /* on the exited list */
	UT_hash_handle hh;
};

struct cw_procs {
	char proc[512]; /* /proc, or under a host root */
	struct proc *by_pid;
	struct proc *gone; /* utlist, oldest exit first */
	size_t ngone;
};

struct cw_procs *cw_procs_new(const char *proc)
{
	struct cw_procs *p = calloc(1, sizeof(struct cw_procs));

	if (p)
		snprintf(p->proc, sizeof(p->proc), "%s", proc ? proc : "/proc");
	return p;
}

static void forget(struct cw_procs *p, struct proc *e)
{
	HASH_DEL(p->by_pid, e);
	if (e->gone) {
		DL_DELETE2(p->gone, e, gone_prev, gone_next);
		p->ngone--;
	}
	free(e);
}

void cw_procs_free(struct cw_procs *p)
{
	struct proc *e, *tmp;

	if (!p)
		return;
	HASH_ITER (hh, p->by_pid, e, tmp)
		forget(p, e);
	free(p);
}

static struct proc *find(struct cw_procs *p, uint32_t pid)
{
	struct proc *e;

	HASH_FIND(hh, p->by_pid, &pid, sizeof(pid), e);
	return e;
}

/* A new entry for pid, the newest: the one it replaces and the oldest past the bound go. */
static struct proc *add(struct cw_procs *p, uint32_t pid, uint32_t ppid)
{
	struct proc *e = find(p, pid);

	if (e)
		forget(p, e);
	if (HASH_COUNT(p->by_pid) >= CW_PROCS_MAX)
		forget(p, p->by_pid);
	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->pid = pid;
	e->ppid = ppid;
	HASH_ADD(hh, p->by_pid, pid, sizeof(e->pid), e);
	if (!CW_HASH_ADDED(e, hh)) {
		free(e);
		return NULL;
	}
	return e;
}

static void set_exe(struct proc *e, const char *path, size_t n)
{
	if (n >= sizeof(e->exe))
		n = sizeof(e->exe) - 1;
	memcpy(e->exe, path, n);
	e->exe[n] = '\0';
}

static void find_root(struct cw_procs *p, uint32_t pid);

void cw_procs_exec(struct cw_procs *p, uint32_t pid, uint32_t ppid, uint32_t top, const char *path,
		   size_t n)
{
	struct proc *e;

	if (!p || !pid)
		return;
	/* The same process keeps its place in its tree across execs. */
	e = find(p, pid);
	if (e && !e->gone && e->ppid == ppid) {
		HASH_DEL(p->by_pid, e); /* added again: the newest exec */
		HASH_ADD(hh, p->by_pid, pid, sizeof(e->pid), e);
		if (!CW_HASH_ADDED(e, hh)) {
			free(e);
			return;
		}
		set_exe(e, path, n);
		return;
	}
	if (!(e = add(p, pid, ppid)))
		return;
	e->top = top;
	set_exe(e, path, n);
	/* Now, while its parent is most likely still remembered or alive. */
	find_root(p, pid);
}

void cw_procs_exit(struct cw_procs *p, uint32_t pid)
{
	struct proc *e;

	if (!p || !(e = find(p, pid)) || e->gone)
		return;
	e->gone = true;
	DL_APPEND2(p->gone, e, gone_prev, gone_next);
	if (++p->ngone > CW_PROCS_GONE_MAX)
		forget(p, p->gone);
}

/* PROC/PID/exe (replaying: the recorded answer); "" when it cannot be read. */
static void read_exe(const char *proc, uint32_t pid, char *out)
{
	char link[640];
	const void *v;
	size_t vlen;
	ssize_t n;

	if (cw_host_replaying()) {
		v = cw_host_recall_pid(CW_HOST_PROC_EXE, pid, &vlen);
		n = v && vlen < CW_PROCS_EXE_MAX ? (ssize_t)vlen : 0;
		if (n)
			memcpy(out, v, (size_t)n);
		out[n] = '\0';
		return;
	}
	snprintf(link, sizeof(link), "%s/%u/exe", proc, pid);
	n = readlink(link, out, CW_PROCS_EXE_MAX - 1);
	out[n > 0 ? n : 0] = '\0';
	cw_host_note_pid(CW_HOST_PROC_EXE, pid, out, strlen(out));
}

void cw_procs_read_exe(struct cw_procs *p, uint32_t pid, char *out)
{
	read_exe(p ? p->proc : "/proc", pid, out);
}

void cw_procs_exe(struct cw_procs *p, const char *proc, uint32_t pid, char *out)
{
	struct proc *e;

	read_exe(proc ? proc : p ? p->proc : "/proc", pid, out);
	if (out[0] || !p)
		return;
	if ((e = find(p, pid)))
		memcpy(out, e->exe, sizeof(e->exe));
}

/* The parent in PROC/PID/stat ("pid (comm) state ppid ..."; comm may hold ')'), or 0. */
static uint32_t read_stat_parent(const char *proc, uint32_t pid)
{
	char path[640], buf[512], *close;
	unsigned ppid;
	FILE *f;
	bool ok;

	snprintf(path, sizeof(path), "%s/%u/stat", proc, pid);
	if (!(f = fopen(path, "re")))
		return 0;
	ok = fgets(buf, sizeof(buf), f) != NULL;
	fclose(f);
	if (!ok || !(close = strrchr(buf, ')')))
		return 0;
	if (sscanf(close + 1, " %*c %u", &ppid) != 1)
		return 0;
	return ppid;
}

/* The same, through the host tap (recorded live, recalled in a replay). */
static uint32_t stat_parent(const char *proc, uint32_t pid)
{
	return cw_host_pid_u32(CW_HOST_PROC_PARENT, proc, pid, read_stat_parent);
}

/* The entry for pid: remembered, or read from /proc (a process from before the agent). */
static struct proc *lookup(struct cw_procs *p, uint32_t pid)
{
	struct proc *e = find(p, pid);
	uint32_t ppid;

	if (e || pid == 0)
		return e;
	if (!(ppid = stat_parent(p->proc, pid)) && pid != 1)
		return NULL;
	if (!(e = add(p, pid, ppid)))
		return NULL;
	read_exe(p->proc, pid, e->exe);
	return e;
}

uint32_t cw_procs_parent(struct cw_procs *p, uint32_t pid)
{
	struct proc *e;

	if (!p)
		return 0;
	e = lookup(p, pid);
	return e ? e->ppid : 0;
}

/* A parent that makes its child the top of a tree: the kernel, init, kthreadd. */
static bool is_top_parent(uint32_t ppid)
{
	return ppid <= 2;
}

/*
 * The entry of an ancestor named by the kernel at an exec, so alive then: an exited entry for
 * that pid is an older process's (the pid was reused), so /proc's wins when it has one.
 */
static struct proc *lookup_alive(struct cw_procs *p, uint32_t pid)
{
	struct proc *e = find(p, pid);
	uint32_t ppid;

	if (!e || !e->gone)
		return lookup(p, pid);
	if (!(ppid = stat_parent(p->proc, pid)) && pid != 1)
		return e; /* gone from /proc too: what we remember is the best there is */
	forget(p, e);
	return lookup(p, pid);
}

/*
 * Find and keep the top of pid's tree. Walking up may add entries, and adding may forget the
 * oldest, pid's own included: the answer is copied out and pid found again before keeping it.
 */
static void find_root(struct cw_procs *p, uint32_t pid)
{
	char root[CW_PROCS_EXE_MAX] = "";
	struct proc *e = find(p, pid), *cur, *top;
	uint32_t top_pid;

	if (!e)
		return;
	top_pid = e->top;
	/* The kernel named it: the parents in between may be long gone. */
	if (top_pid && (top = top_pid == pid ? e : lookup_alive(p, top_pid)) && top->exe[0])
		memcpy(root, top->exe, sizeof(root));
	cur = root[0] ? NULL : find(p, pid); /* lookup_alive may have forgotten e */
	for (int depth = 0; cur && depth < CW_PROCS_DEPTH_MAX; depth++) {
		if (cur->root_known) {
			memcpy(root, cur->root, sizeof(root));
			break;
		}
		if (cur->pid == 1 || is_top_parent(cur->ppid)) {
			memcpy(root, cur->exe, sizeof(root));
			break;
		}
		cur = lookup(p, cur->ppid);
	}
	if (!root[0] || !(e = find(p, pid)))
		return;
	memcpy(e->root, root, sizeof(e->root));
	e->root_known = true;
}

bool cw_procs_tree_root(struct cw_procs *p, uint32_t pid, char *out)
{
	struct proc *e;

	out[0] = '\0';
	if (!p || !(e = lookup(p, pid)))
		return false;
	if (!e->root_known) {
		find_root(p, pid);
		if (!(e = find(p, pid)) || !e->root_known)
			return false;
	}
	memcpy(out, e->root, sizeof(e->root));
	return true;
}

void cw_procs_each(struct cw_procs *p, cw_procs_each_fn fn, void *arg)
{
	struct proc *e, *tmp;

	if (!p)
		return;
	/* the exec order, oldest first: restored in it, the table forgets the same ones */
	HASH_ITER (hh, p->by_pid, e, tmp)
		fn(arg, &(struct cw_proc_info){ .pid = e->pid,
						.ppid = e->ppid,
						.top = e->top,
						.gone = e->gone,
						.root_known = e->root_known,
						.exe = e->exe,
						.root = e->root });
}

void cw_procs_restore(struct cw_procs *p, const struct cw_proc_info *i)
{
	struct proc *e;

	if (!p || !i->pid || !(e = add(p, i->pid, i->ppid)))
		return;
	e->top = i->top;
	set_exe(e, i->exe, strlen(i->exe));
	if (i->root_known) {
		snprintf(e->root, sizeof(e->root), "%s", i->root);
		e->root_known = true;
	}
	if (i->gone)
		cw_procs_exit(p, i->pid);
}
