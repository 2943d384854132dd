// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* agent/first_exec: the hold times' percentiles, and the summary's part on held execs. */
#include <string.h>

#include "agent/first_exec.h"
#include "agent/stats.h"
#include "test.h"

TEST(hold_percentile_by_nearest_rank)
{
	uint32_t v[100];

	for (uint32_t i = 0; i < 100; i++)
		v[i] = 100 - i; /* unsorted: 100 .. 1 */
	CHECK_EQ_INT(cw_hold_percentile(v, 100, 0.50), 50);
	CHECK_EQ_INT(cw_hold_percentile(v, 100, 0.99), 99);
	CHECK_EQ_INT(cw_hold_percentile(v, 100, 1.0), 100);
	CHECK_EQ_INT(cw_hold_percentile(v, 100, 0.0), 1);
	CHECK_EQ_INT(cw_hold_percentile(v, 1, 0.99), 1);
	CHECK_EQ_INT(cw_hold_percentile(v, 0, 0.5), 0);
}

TEST(summary_tells_how_held_execs_were_released)
{
	struct cw_agent_stats st;
	char line[2048];

	memset(&st, 0, sizeof(st));
	cw_agent_stats_format(&st, line, sizeof(line));
	CHECK(!strstr(line, "first execs")); /* holding off: the start line said why */
	st.holds = (struct cw_hold_stats){
		.on = true,
		.held = 7,
		.continued = 4,
		.deadline = 1,
		.left_stopped = 1,
		.gone = 1,
		.terminal_jobs = 3,
		.waits = { .n = 4, .p50_ms = 1.25, .p99_ms = 9.5, .max_ms = 9.5 }
	};
	cw_agent_stats_format(&st, line, sizeof(line));
	CHECK(strstr(line,
		     "first execs held: 7 (4 continued with probes in place, wait p50 1.2 ms "
		     "p99 9.5 ms max 9.5 ms; 1 at the deadline; 1 left stopped by another; 1 "
		     "ended held), not held: 0 traced, 3 terminal jobs, 0 full, 0 signal "
		     "failed; holding paused 0 times (the agent behind); 0 continues refused; ") !=
	      NULL);
}
