/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Test hooks for the workload cache (workload.c), not part of its API: the unit tests move its
 * clock forward instead of sleeping through the rate limits.
 */
#ifndef CW_WORKLOAD_TEST_H
#define CW_WORKLOAD_TEST_H

#include <stdint.h>

struct cw_workloads;

/* Move the cache's monotonic clock forward by ns. */
void cw_workloads_advance_clock(struct cw_workloads *w, int64_t ns);

#endif
