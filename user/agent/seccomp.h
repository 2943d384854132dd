/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The agent's seccomp allow-list (docs/capabilities.md has the groups and why each is there):
 * installed once the start is over, after the capabilities are dropped, in every thread at
 * once (SECCOMP_FILTER_FLAG_TSYNC; threads started later inherit it). What runs later needs
 * is allowed; anything else fails with EPERM and is logged by the kernel (audit type 1326 in
 * the kernel log), never a kill: a monitoring agent that dies on a system call its libc
 * started making after an upgrade is an outage. clone3 answers ENOSYS (libc then uses clone,
 * whose flags a filter can see) and clone may not make namespaces.
 */
#ifndef CW_SECCOMP_H
#define CW_SECCOMP_H

#include <stddef.h>
#include <linux/filter.h>

enum cw_seccomp_mode {
	CW_SECCOMP_ENFORCE = 0, /* the default: EPERM and logged */
	CW_SECCOMP_LOG,		/* allowed but logged: for finding what a host's libc adds */
	CW_SECCOMP_OFF,		/* --no-seccomp */
};

/* "enforce", "log" or "off" -> *out: 0, or -EINVAL. */
int cw_seccomp_mode_parse(const char *s, enum cw_seccomp_mode *out);
const char *cw_seccomp_mode_name(enum cw_seccomp_mode m);

/* The allowed system calls' names, in their groups' order (for tests and docs). */
const char *const *cw_seccomp_allowed(size_t *n);

/*
 * Install the filter for mode in every thread of the process (nothing for OFF). 0, or -errno
 * with one line said (the agent goes on without it: one warning, not an outage). Each thread
 * must already have no_new_privs set (cw_caps_drop does) or CAP_SYS_ADMIN.
 */
int cw_seccomp_install(enum cw_seccomp_mode mode);

/*
 * A filter made before a fork and applied in the child with raw system calls only (the hold
 * watchdog: a fork of a threaded process, where nothing may allocate). len 0: none.
 */
#define CW_SECCOMP_PROG_MAX 256
struct cw_seccomp_prog {
	unsigned short len;
	unsigned flags; /* SECCOMP_FILTER_FLAG_LOG when refusals are logged */
	struct sock_filter insns[CW_SECCOMP_PROG_MAX];
};

/* The watchdog's allow-list for mode (what it calls once started: poll, bpf on the held map,
 * pidfd SIGCONT, its one stderr line, exit). 0 (p->len 0 for OFF), or -errno, said. */
int cw_seccomp_prepare_watchdog(enum cw_seccomp_mode mode, struct cw_seccomp_prog *p);

/* Apply a prepared filter to the calling thread (no_new_privs set). Async-signal-safe. */
int cw_seccomp_apply_prepared(const struct cw_seccomp_prog *p);

#endif
