// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* judge/dedup: one report per (credential, workload, action) per window. */
#include <stdio.h>

#include "judge/dedup.h"
#include "test.h"

#define FP "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

TEST(dedup_window_and_count)
{
	struct cw_dedup d = { 0 };
	uint64_t n = 0;

	CHECK(cw_dedup_check(&d, FP, "w", "a", 100, 10, &n));
	CHECK_EQ_INT(n, 1);
	CHECK(!cw_dedup_check(&d, FP, "w", "a", 105, 10, &n));
	CHECK(!cw_dedup_check(&d, FP, "w", "a", 109, 10, &n));
	/* another workload, action or credential is another entry */
	CHECK(cw_dedup_check(&d, FP, "w2", "a", 109, 10, &n));
	CHECK(cw_dedup_check(&d, FP, "w", "b", 109, 10, &n));
	CHECK(cw_dedup_check(&d, "f" FP, "w", "a", 109, 10, &n));
	/* the window is over: reported, standing for itself and the two suppressed */
	CHECK(cw_dedup_check(&d, FP, "w", "a", 110, 10, &n));
	CHECK_EQ_INT(n, 3);
	CHECK(!cw_dedup_check(&d, FP, "w", "a", 111, 10, &n));
	cw_dedup_clear(&d);
	CHECK(d.table == NULL);
	CHECK(cw_dedup_check(&d, FP, "w", "a", 111, 10, &n));
	CHECK_EQ_INT(n, 1);
	cw_dedup_clear(&d);
}

/* At CW_DEDUP_MAX entries the whole table is cleared: repeats are reported again early. */
TEST(dedup_full_table_starts_over)
{
	struct cw_dedup d = { 0 };
	char w[32];
	uint64_t n;

	for (int i = 0; i < CW_DEDUP_MAX; i++) {
		snprintf(w, sizeof(w), "w%d", i);
		CHECK(cw_dedup_check(&d, FP, w, "a", 100, 600, &n));
	}
	CHECK(!cw_dedup_check(&d, FP, "w0", "a", 101, 600, &n));
	CHECK(cw_dedup_check(&d, FP, "new", "a", 101, 600, &n)); /* clears, then adds */
	CHECK(cw_dedup_check(&d, FP, "w0", "a", 102, 600, &n));
	CHECK_EQ_INT(n, 1);
	CHECK(!cw_dedup_check(&d, FP, "new", "a", 102, 600, &n));
	cw_dedup_clear(&d);
}
