// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Deduplication of alerts (dedup.h): a uthash table keyed by the whole triple. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* An entry that cannot be added (out of memory) is freed and the report made anyway. */
#define HASH_NONFATAL_OOM 1
#define uthash_nonfatal_oom(e) free(e)
#include <uthash.h>

#include "judge/dedup.h"

struct dedup_key {
	char fp[17]; /* the fingerprint's first 16 hex: enough to tell them apart */
	char action[40];
	char workload[CW_PROV_STR];
};

struct cw_dedup_entry {
	struct dedup_key key; /* zero-padded: compared and hashed whole */
	int64_t window_start;
	uint64_t suppressed; /* since the last report */
	UT_hash_handle hh;
};

void cw_dedup_clear(struct cw_dedup *d)
{
	struct cw_dedup_entry *e, *tmp;

	HASH_ITER (hh, d->table, e, tmp) {
		HASH_DEL(d->table, e);
		free(e);
	}
}

bool cw_dedup_check(struct cw_dedup *d, const char *fp_hex, const char *workload,
		    const char *action, int64_t now, int64_t window, uint64_t *count)
{
	struct cw_dedup_entry *e;
	struct dedup_key k;

	memset(&k, 0, sizeof(k));
	snprintf(k.fp, sizeof(k.fp), "%s", fp_hex);
	snprintf(k.action, sizeof(k.action), "%s", action);
	snprintf(k.workload, sizeof(k.workload), "%s", workload);
	HASH_FIND(hh, d->table, &k, sizeof(k), e);
	if (e && now - e->window_start < window) {
		e->suppressed++;
		return false;
	}
	if (e) {
		*count = e->suppressed + 1;
		e->suppressed = 0;
		e->window_start = now;
		return true;
	}
	*count = 1;
	/* Rare: start over rather than grow without bound. Some repeats are reported again
	 * before their window ends, none is lost. */
	if (HASH_COUNT(d->table) >= CW_DEDUP_MAX)
		cw_dedup_clear(d);
	e = calloc(1, sizeof(*e));
	if (!e)
		return true;
	e->key = k;
	e->window_start = now;
	HASH_ADD(hh, d->table, key, sizeof(e->key), e);
	return true;
}
