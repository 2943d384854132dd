/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Files a root process trusts (its config, policy, rules, state, keys, spool): owned by the
 * expected user (root) and writable by nobody else. A file another user can write lets that
 * user steer the agent (turn detection off, forge provenance, read the fingerprint key's
 * output), so the agent refuses it rather than warn.
 */
#ifndef CW_FILEPERM_H
#define CW_FILEPERM_H

#include <stddef.h>
#include <sys/types.h>

/*
 * Is path (followed through symlinks) owned by owner and not group- or world-writable? 0;
 * 0 too when it does not exist (the agent makes it, mode 0600); else -EPERM with one line in
 * err naming what (e.g. "policy file"), the path and what is wrong ("group-writable (mode
 * 0664)", "owned by uid 1000, not 0"), or -errno when it cannot be looked at. dir_entries: a
 * directory's regular files are checked too (a rules directory).
 */
int cw_fileperm_check(const char *path, const char *what, uid_t owner, int dir_entries, char *err,
		      size_t errlen);

#endif
