// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * bench/flight_memory's program: the flight recorder's memory under load, for one window and
 * memory bound. Realistic raw events (trace_write_events.c) are fed through the recorder's tap
 * as the agent's poll thread feeds them, at RATE MB/s of simulated time (their timestamps),
 * for twice the window, paced at SPEEDUP times real time. Prints the process's resident memory
 * over the run (before the recorder, its peak, at the end) beside the recorder's own account
 * of what it keeps, and what the feeding thread spent per record (the poll thread's cost).
 *
 * usage: flight-memory SECONDS MEMORY [RATE_MB_S] [SPEEDUP]
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent/metrics.h"
#include "trace/flight.h"
#include "util/parse.h"
#include "trace_write_events.h"

#define NS 1000000000ull

static uint64_t rss(void)
{
	unsigned long long size = 0, resident = 0;
	FILE *f = fopen("/proc/self/statm", "re");

	if (f) {
		if (fscanf(f, "%llu %llu", &size, &resident) != 2)
			resident = 0;
		fclose(f);
	}
	return resident * (uint64_t)sysconf(_SC_PAGESIZE);
}

static double clock_s(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void no_state(const struct cw_tap *tap)
{
	(void)tap;
}

int main(int argc, char **argv)
{
	unsigned long long seconds, memory, rate = 20, speedup = 10;
	struct cw_flight_opts o = { .disk = 1ull << 40, .state = no_state };
	struct tw_arena a = { 0 };
	struct cw_flight_stats st;
	struct cw_flight *f;
	const struct cw_tap *tap;
	char dir[] = "/tmp/cw-flight-memory.XXXXXX", err[512];
	uint64_t base, peak, sim_ns, ts = NS, fed = 0, records = 0;
	double t0, cpu0, cpu;

	if (argc < 3 || cw_parse_u64("SECONDS", argv[1], 1, CW_FLIGHT_SECONDS_MAX, &seconds) ||
	    cw_parse_u64("MEMORY", argv[2], CW_FLIGHT_MEMORY_MIN, 1ull << 40, &memory) ||
	    (argc > 3 && cw_parse_u64("RATE", argv[3], 1, 10000, &rate)) ||
	    (argc > 4 && cw_parse_u64("SPEEDUP", argv[4], 1, 1000, &speedup))) {
		fprintf(stderr, "usage: flight-memory SECONDS MEMORY [RATE_MB_S] [SPEEDUP]\n");
		return 2;
	}
	tw_generate(&a, 11, 256);
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	o.seconds = (unsigned)seconds;
	o.memory = memory;
	o.dir = dir;
	base = peak = rss();
	if (cw_flight_new(&o, &f, &tap, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	sim_ns = 2 * seconds * NS;
	t0 = clock_s(CLOCK_MONOTONIC);
	cpu0 = clock_s(CLOCK_THREAD_CPUTIME_ID);
	/* the arena again and again, timestamps at rate MB/s from 1 s on */
	for (size_t off = 0; ts < NS + sim_ns; records++) {
		uint16_t type;
		uint32_t len;
		double ahead;

		if (off >= a.len)
			off = 0;
		memcpy(&type, a.p + off, 2);
		memcpy(&len, a.p + off + 2, 4);
		tap->record(tap->arg, type, ts, a.p + off + TW_REC_HDR, len);
		fed += len;
		ts = NS + fed * 1000 / rate; /* rate MB/s: 1000/rate ns a byte */
		off += TW_REC_HDR + len;
		if (records % 256)
			continue;
		if (records % 16384 == 0)
			peak = rss() > peak ? rss() : peak;
		/* paced: no faster than speedup times the simulated clock */
		ahead = (double)(ts - NS) / 1e9 / (double)speedup - (clock_s(CLOCK_MONOTONIC) - t0);
		if (ahead > 0) /* sleeping costs the thread no CPU time */
			usleep((useconds_t)(ahead * 1e6));
	}
	cpu = clock_s(CLOCK_THREAD_CPUTIME_ID) - cpu0;
	cw_flight_seal(f);
	cw_flight_sync(f);
	peak = rss() > peak ? rss() : peak;
	cw_flight_stats(f, &st);
	printf("window_s %llu memory_mib %.0f rate_mb_s %llu simulated_s %llu fed_mb %.0f "
	       "records %llu kept_records %llu kept_mib %.1f expired %llu evicted %llu refused "
	       "%llu "
	       "rss_base_mib %.1f rss_peak_delta_mib %.1f rss_end_delta_mib %.1f "
	       "poll_ns_per_record %.0f poll_ms_per_gb %.0f\n",
	       seconds, (double)memory / 1048576.0, rate, 2 * seconds, (double)fed / 1e6,
	       (unsigned long long)records, (unsigned long long)st.records_kept,
	       (double)st.bytes_kept / 1048576.0, (unsigned long long)st.expired,
	       (unsigned long long)st.evicted, (unsigned long long)st.refused,
	       (double)base / 1048576.0, (double)(peak - base) / 1048576.0,
	       (double)(rss() - base) / 1048576.0, cpu * 1e9 / (double)records,
	       cpu * 1e3 / ((double)fed / 1e9));
	cw_flight_free(f);
	rmdir(dir);
	free(a.p);
	return 0;
}
