/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Deduplication of alerts: one report per (credential, workload, action) per window, which
 * says how many occurrences it stands for (itself and those suppressed since the last).
 */
#ifndef CW_DEDUP_H
#define CW_DEDUP_H

#include <stdbool.h>
#include <stdint.h>

#include "judge/provenance.h"

/* Entries kept; at the limit the whole table is cleared (see cw_dedup_check). */
#define CW_DEDUP_MAX 65536

struct cw_dedup_entry;

struct cw_dedup {
	struct cw_dedup_entry *table; /* uthash; NULL when empty */
};

/*
 * Should this (fingerprint, workload, action) be reported at now (seconds), given the last
 * report of it opened a window of window seconds? true: *count gets the occurrences the
 * report stands for, and a new window opens. false: suppressed, counted for the next one.
 */
bool cw_dedup_check(struct cw_dedup *d, const char *fp_hex, const char *workload,
		    const char *action, int64_t now, int64_t window, uint64_t *count);
/* Forget every entry. */
void cw_dedup_clear(struct cw_dedup *d);

#endif
