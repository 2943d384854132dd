/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The process table remembered from exec events: each process's executable and the parent
 * that started it, and the top of its process tree (the job it belongs to on a host). A
 * short-lived process is often gone (no /proc/PID) by the time the agent reports what it did,
 * and its parent may be gone before its own exec is handled. Bounded: past CW_PROCS_MAX
 * processes the one that exec'd longest ago is forgotten; an exited process is kept, for its
 * late events and as its children's parent, until CW_PROCS_GONE_MAX processes have exited
 * after it. Processes that were running before the agent are read from /proc when asked about
 * and remembered the same way. Every read of /proc goes through the host tap (hosttap.h):
 * recorded for a trace, answered from one in a replay.
 */
#ifndef CW_PROCS_H
#define CW_PROCS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CW_PROCS_MAX 8192     /* processes remembered */
#define CW_PROCS_GONE_MAX 512 /* of them, exited ones */
#define CW_PROCS_EXE_MAX 256
#define CW_PROCS_DEPTH_MAX 64 /* ancestors walked before giving up */

struct cw_procs;

/* proc: where /proc is ("/proc"; tests: a fixture). NULL on allocation failure. */
struct cw_procs *cw_procs_new(const char *proc);
void cw_procs_free(struct cw_procs *p);
/* pid exec'd path (n bytes, not NUL-terminated), started by ppid (its real parent's tgid);
 * top: the top of its tree as the kernel saw it at the exec (0: unknown, then found by
 * walking up the parents). */
void cw_procs_exec(struct cw_procs *p, uint32_t pid, uint32_t ppid, uint32_t top, const char *path,
		   size_t n);
void cw_procs_exit(struct cw_procs *p, uint32_t pid);
/* The executable of pid: from PROC/PID/exe while it lives (proc NULL: the table's /proc), else
 * the table; "" unknown. Copied into out (CW_PROCS_EXE_MAX bytes). p may be NULL. */
void cw_procs_exe(struct cw_procs *p, const char *proc, uint32_t pid, char *out);
/* PROC/PID/exe alone (through the host tap: recorded, or the recorded answer in a replay);
 * "" when it cannot be read. */
void cw_procs_read_exe(struct cw_procs *p, uint32_t pid, char *out);
/* The parent that started pid (the table's, else /proc/PID/stat's), or 0 when unknown. */
uint32_t cw_procs_parent(struct cw_procs *p, uint32_t pid);

/*
 * The top of pid's process tree: the ancestor started by init (pid 1) or by the kernel
 * (pid 0, 2), pid itself when it is one; pid 1 for init. Its executable goes into out
 * (CW_PROCS_EXE_MAX bytes). False (out "") when the chain breaks: an ancestor neither
 * remembered nor alive, or one whose executable cannot be known.
 */
bool cw_procs_tree_root(struct cw_procs *p, uint32_t pid, char *out);

/* One remembered process, as cw_procs_each shows it and cw_procs_restore takes it back. */
struct cw_proc_info {
	uint32_t pid, ppid, top;
	bool gone, root_known;
	const char *exe;  /* "" unknown */
	const char *root; /* its tree's top's executable, when root_known */
};
typedef void (*cw_procs_each_fn)(void *arg, const struct cw_proc_info *i);
/* Every remembered process, the oldest exec first (a recording's opening state). */
void cw_procs_each(struct cw_procs *p, cw_procs_each_fn fn, void *arg);
/* Remember a process as another table knew it (a replay's opening state). */
void cw_procs_restore(struct cw_procs *p, const struct cw_proc_info *i);

#endif
