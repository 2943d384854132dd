// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* agent/features: the test switch that hides kernel features, and the start line's list. */
#include <stdlib.h>
#include <string.h>

#include "agent/features.h"
#include "test.h"

TEST(features_hidden_by_the_test_switch_are_missing_and_not_listed)
{
	struct cw_features all, f;
	char desc[128];

	unsetenv("CREDWATCH_TEST_HIDE_FEATURES");
	cw_features_probe(&all);
	setenv("CREDWATCH_TEST_HIDE_FEATURES", "uprobes,bpf_loop,hold-exec", 1);
	cw_features_probe(&f);
	CHECK(!f.have[CW_FEAT_UPROBES]);
	CHECK(!f.have[CW_FEAT_BPF_LOOP]);
	CHECK(!f.have[CW_FEAT_HOLD_EXEC]);
	CHECK(f.have[CW_FEAT_RINGBUF] == all.have[CW_FEAT_RINGBUF]);
	cw_features_describe(&f, desc, sizeof(desc));
	CHECK(!strstr(desc, "uprobes") && !strstr(desc, "bpf_loop"));
	/* a name is matched whole: "uprobe" hides nothing */
	setenv("CREDWATCH_TEST_HIDE_FEATURES", "uprobe", 1);
	cw_features_probe(&f);
	CHECK(f.have[CW_FEAT_UPROBES] == all.have[CW_FEAT_UPROBES]);
	unsetenv("CREDWATCH_TEST_HIDE_FEATURES");
}

TEST(features_described_in_order)
{
	struct cw_features f = { .have = { [CW_FEAT_RINGBUF] = true, [CW_FEAT_UPROBES] = true } };
	char desc[128];

	cw_features_describe(&f, desc, sizeof(desc));
	CHECK_EQ_STR(desc, "ringbuf, uprobes");
}
