/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The executable of each process, remembered from its exec event: a short-lived process is
 * often gone (no /proc/PID/exe) by the time the agent reports what it did. Bounded: past
 * CW_PROCS_MAX processes the one that exec'd longest ago is forgotten; an exit forgets the
 * process.
 */
#ifndef CW_PROCS_H
#define CW_PROCS_H

#include <stddef.h>
#include <stdint.h>

#define CW_PROCS_MAX 8192 /* processes remembered */
#define CW_PROCS_EXE_MAX 256

struct cw_procs;

struct cw_procs *cw_procs_new(void);
void cw_procs_free(struct cw_procs *p);
/* pid exec'd path (n bytes, not NUL-terminated). */
void cw_procs_exec(struct cw_procs *p, uint32_t pid, const char *path, size_t n);
void cw_procs_exit(struct cw_procs *p, uint32_t pid);
/* The executable of pid: from /proc/PID/exe while it lives, else the cache; "" unknown.
 * Copied into out (CW_PROCS_EXE_MAX bytes). p may be NULL. */
void cw_procs_exe(struct cw_procs *p, const char *proc, uint32_t pid, char *out);

#endif
