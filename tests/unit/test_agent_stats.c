// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The agent's summary line, built part by part from its statistics: the exact text. */
#include <string.h>

#include "agent/stats.h"
#include "test.h"

static void fill(struct cw_agent_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->exec = 1;
	st->exit = 2;
	st->conns = 3;
	st->bytes_sent = 4;
	st->holes = 5;
	st->h2_followed = 6;
	st->h2_lost = 7;
	st->file_opens = 8;
	st->not_watched = 9;
	st->gone_before_read = 10;
	st->bytes_read = 11;
	st->alerts = 12;
	st->suppressed = 13;
	st->observations = 14;
	for (int t = 1; t < CW_EV_MAX; t++)
		st->dropped[t] = 100 + (unsigned long long)t;
	st->malformed = 15;
	st->tls_files = 16;
	st->tls_released = 17;
	st->tls_limit_hits = 18;
	st->prov_creds = 19;
	st->prov_evicted = 20;
}

TEST(agent_stats_summary_line)
{
	static const char want[] =
		"stopped: 1 exec, 2 exit events; 3 connections, 4 bytes sent (5 holes past the "
		"payload budget; 6 HTTP/2 client streams followed frame by frame, 7 of them lost "
		"track of); 8 watched file opens (9 not watched after all, 10 gone before read), "
		"11 "
		"bytes read; 12 alerts (13 duplicates suppressed), 14 observations; 1166 dropped "
		"(exec=101 exit=102 connect=103 data=104 close=105 bind=106 file_open=107 "
		"file_data=108 file_close=109 cgroup=221); 15 malformed; TLS probes on 16 files "
		"(17 "
		"released, 18 not attached: limit); provenance: 19 credentials, 20 evicted";
	struct cw_agent_stats st;
	char line[2048];

	fill(&st);
	CHECK_EQ_INT(cw_agent_stats_format(&st, line, sizeof(line)), strlen(want));
	CHECK_EQ_STR(line, want);
}

TEST(agent_stats_summary_is_cut_to_the_buffer)
{
	struct cw_agent_stats st;
	char line[40];

	fill(&st);
	CHECK_EQ_INT(cw_agent_stats_format(&st, line, sizeof(line)), sizeof(line) - 1);
	CHECK_EQ_STR(line, "stopped: 1 exec, 2 exit events; 3 conne");
	CHECK_EQ_INT(cw_agent_stats_format(&st, line, 1), 0);
	CHECK_EQ_STR(line, "");
}

/* A map that cannot be read counts nothing. */
TEST(agent_stats_percpu_sum_of_no_map_is_zero)
{
	CHECK_EQ_INT(cw_agent_percpu_sum(-1, 0, 4), 0);
}

TEST(agent_stats_event_names)
{
	CHECK_EQ_STR(cw_agent_event_names[CW_EV_EXEC], "exec");
	CHECK_EQ_STR(cw_agent_event_names[CW_EV_CONN], "connect");
	CHECK_EQ_STR(cw_agent_event_names[CW_EV_CGROUP_MKDIR], "cgroup_mkdir");
	for (int t = 1; t < CW_EV_MAX; t++)
		CHECK(cw_agent_event_names[t] != NULL);
}
