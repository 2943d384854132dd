/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * One agent per host (docs/capabilities.md, "Self-protection"): `credwatch run` holds an
 * exclusive flock on CW_AGENT_LOCK_FILE, which names its pid, for as long as it lives (the
 * kernel lets go of it when the process ends, SIGKILL included). A second run is refused,
 * naming the first's pid, unless allowed; `credwatch trace` beside a run (docs/forensics.md)
 * says so and goes on without the lock. The agent's executable identity (inode and device)
 * goes to the probes, which leave out every root process running it: one agent's reads of
 * credential files never alert in another.
 */
#ifndef CW_INSTANCE_H
#define CW_INSTANCE_H

#include <stdbool.h>
#include <stdint.h>

#define CW_AGENT_LOCK_FILE "/run/credwatch/agent.lock"

enum cw_instance_mode {
	CW_INSTANCE_RUN,	 /* take the lock; refuse when another agent holds it */
	CW_INSTANCE_RUN_ALLOWED, /* take it when free; else say so and go on */
	CW_INSTANCE_BESIDE,	 /* never take it: say who holds it and go on (trace) */
};

/*
 * The lock at path for mode: 0 with *fd the held lock (kept open until exit) or -1 when not
 * held; -EEXIST when refused (one line logged naming the running pid); -errno when the lock
 * file cannot be made (logged).
 */
int cw_instance_lock(const char *path, enum cw_instance_mode mode, int *fd);

/* The pid written in the lock file at path, or 0. */
long cw_instance_holder(const char *path);

/* The running executable's inode and the kernel's dev_t (MAJOR << 20 | MINOR) of its file
 * system: 0, or -errno. */
int cw_instance_self_exe(uint64_t *ino, uint32_t *kdev);

#endif
