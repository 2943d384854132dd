/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The agent's capabilities (docs/capabilities.md has the table): checked at the start, where
 * a missing one is an error naming it (when nothing loads without it) or one warning line and
 * its feature off; dropped after the start, once the programs are loaded and attached, down
 * to what runs later needs, in every thread (capabilities are per thread: each is made to
 * capset itself), and cleared from the bounding set when CAP_SETPCAP allows it.
 */
#ifndef CW_CAPS_H
#define CW_CAPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CW_CAP_BIT(c) (1ULL << (c))

/* The calling thread's effective set as a mask of CAP_* bits; 0 when capget fails. */
uint64_t cw_caps_effective(void);

/*
 * What the capabilities in effective (a mask) allow, said at the start: 0; or -EPERM after
 * one line naming the missing capability when the BPF programs cannot load without it.
 * *uprobes is cleared (TLS plaintext off, said once) without CAP_SYS_ADMIN.
 */
int cw_caps_check(uint64_t effective, bool *uprobes);

/* What runs after the start needs, of have: kept by cw_caps_drop. uprobes: TLS probes
 * attach later. Pure. */
uint64_t cw_caps_runtime(uint64_t have, bool uprobes);

/* The bounding set, as a mask. */
uint64_t cw_caps_bounding(void);

/*
 * The calling thread alone down to keep (of effective, the set it has), the rest out of its
 * bounding set (of bounding_set, with CAP_SETPCAP), no_new_privs: for a process forked from
 * the agent (the hold watchdog), so async-signal-safe: both sets are read before the fork.
 * 0, or -1 with errno.
 */
int cw_caps_limit_self(uint64_t keep, uint64_t effective, uint64_t bounding_set);

/* "CAP_BPF, CAP_KILL" for a mask; "none" when empty. */
void cw_caps_describe(uint64_t set, char *buf, size_t len);

/*
 * Keep only keep (effective and permitted; inheritable and ambient emptied) in every thread of
 * the agent, and drop the rest from the bounding set (when CAP_SETPCAP is there to do it);
 * the kept set is logged once. 0, or -errno when a thread could not be brought down.
 */
int cw_caps_drop(uint64_t keep);

#endif
