// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The flight recorder (trace/flight.h) driven as the agent drives it: records through its
 * tap with chosen timestamps, alerts, then the dump read back with the trace reader. The test
 * thread plays the agent's poll thread; cw_flight_sync waits for the worker.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test.h"
#include "testutil.h"
#include "agent/metrics.h"
#include "cli/config.h"
#include "trace/flight.h"
#include "util/prom_text.h"

#define MS 1000000ull
#define SEC 1000000000ull

struct rig {
	char dir[256], traces[300];
	struct cw_flight *f;
	const struct cw_tap *tap;
};

/* What the fake agent re-emits when a dump starts: a clock and one host record. */
static void fake_state(const struct cw_tap *tap)
{
	static const uint8_t off[8] = { 1, 2, 3, 4, 5, 6, 7, 0 };

	tap->record(tap->arg, CW_TAP_CLOCK, 42, off, sizeof(off));
	tap->record(tap->arg, CW_TAP_HOST, 42, "state-host", 10);
}

static int rig_up(struct rig *r, unsigned seconds, uint64_t memory, uint64_t disk,
		  unsigned max_dumps)
{
	struct cw_flight_opts o = { .seconds = seconds,
				    .memory = memory,
				    .disk = disk,
				    .max_dumps = max_dumps,
				    .state = fake_state,
				    .header = { .host = "node/7", .version = "test" } };
	char err[256] = "";

	memset(r, 0, sizeof(*r));
	if (tu_mkdtemp(r->dir, sizeof(r->dir)))
		return -1;
	snprintf(r->traces, sizeof(r->traces), "%s/traces", r->dir);
	o.dir = r->traces;
	if (cw_flight_new(&o, &r->f, &r->tap, err, sizeof(err))) {
		fprintf(stderr, "    %s\n", err);
		return -1;
	}
	return 0;
}

static void rig_down(struct rig *r)
{
	cw_flight_free(r->f);
	tu_rmtree(r->dir);
}

/* A record's bytes: its type and timestamp, then filler (random when noise). */
static size_t payload(uint8_t *buf, size_t len, uint16_t type, uint64_t ts, bool noise)
{
	if (noise)
		tu_rand_bytes(buf, len);
	else
		memset(buf, 'a' + (int)(ts % 26), len);
	if (len >= 10) {
		memcpy(buf, &type, 2);
		memcpy(buf + 2, &ts, 8);
	}
	return len;
}

static void rec(const struct rig *r, uint16_t type, uint64_t ts, size_t len, bool noise)
{
	static uint8_t buf[4 << 20];

	payload(buf, len, type, ts, noise);
	r->tap->record(r->tap->arg, type, ts, buf, len);
}

/* RAW at every step from..to (exclusive), each followed by a HOST record. */
static void feed(const struct rig *r, uint64_t from, uint64_t to, uint64_t step)
{
	for (uint64_t ts = from; ts < to; ts += step) {
		rec(r, CW_TAP_RAW, ts, 200, false);
		rec(r, CW_TAP_HOST, ts, 40, false);
	}
}

/* The one trace the dir holds, its path in out. */
static int only_trace(const struct rig *r, char *out, size_t cap)
{
	DIR *d = opendir(r->traces);
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.' && n++ == 0)
			snprintf(out, cap, "%s/%s", r->traces, e->d_name);
	closedir(d);
	return n == 1 ? 0 : -1;
}

struct seen {
	size_t n, raw, host, clock, bad;
	uint64_t first_raw, last_raw;
	uint16_t first_type;
	uint16_t types[8];
};

/* Every record of the trace at path, checked against what rec() wrote. */
static int read_dump(const char *path, struct seen *s)
{
	static uint8_t want[4 << 20];
	struct cw_trace_reader *rd;
	struct cw_trace_record x;
	char err[256];

	memset(s, 0, sizeof(*s));
	if (cw_trace_reader_open(path, NULL, NULL, NULL, &rd, err, sizeof(err))) {
		fprintf(stderr, "    %s\n", err);
		return -1;
	}
	while (cw_trace_next(rd, &x) == 1) {
		if (s->n < 8)
			s->types[s->n] = x.type;
		s->n++;
		if (x.type == CW_TAP_CLOCK) {
			s->clock++;
			continue;
		}
		if (x.type == CW_TAP_HOST && x.len == 10 && !memcmp(x.data, "state-host", 10))
			continue;
		if (x.type == CW_TAP_RAW) {
			if (!s->raw)
				s->first_raw = x.ts_ns;
			if (x.ts_ns < s->last_raw)
				s->bad++; /* out of order */
			s->last_raw = x.ts_ns;
			s->raw++;
		} else if (x.type == CW_TAP_HOST) {
			s->host++;
		}
		if (x.len < 10 || x.len > sizeof(want) ||
		    (payload(want, x.len, x.type, x.ts_ns, false),
		     memcmp(x.data, want, x.len) != 0 && memcmp(x.data, want, 10) != 0))
			s->bad++;
	}
	cw_trace_reader_close(rd);
	return 0;
}

TEST(flight_dump_holds_exactly_the_window_and_the_following_seconds)
{
	struct rig r;
	struct seen s;
	struct stat st;
	char path[600];
	const char *p;
	uint64_t alert = 10 * SEC;

	REQUIRE(rig_up(&r, 2, 16 << 20, 1ull << 30, 6) == 0);
	feed(&r, 1 * SEC, alert, 10 * MS); /* 9 s before the alert: 7 of them too old */
	p = r.tap->alert(r.tap->arg, alert - 5 * MS);
	REQUIRE(p != NULL);
	CHECK(strstr(p, "/credwatch-node_7-") && strstr(p, ".cwtrace"));
	feed(&r, alert, alert + 5 * SEC, 10 * MS); /* 2 s belong, 3 s after the dump closes */
	cw_flight_sync(r.f);
	REQUIRE(only_trace(&r, path, sizeof(path)) == 0);
	CHECK_EQ_STR(path, p);
	CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
	CHECK(stat(r.traces, &st) == 0 && (st.st_mode & 0777) == 0700);
	REQUIRE(read_dump(path, &s) == 0);
	/* the state first, then the window [alert-5ms-2s, alert-5ms+2s] starting at a RAW */
	CHECK_EQ_INT(s.types[0], CW_TAP_CLOCK);
	CHECK_EQ_INT(s.types[1], CW_TAP_HOST);
	CHECK_EQ_INT(s.types[2], CW_TAP_RAW);
	CHECK_EQ_INT(s.first_raw, 8 * SEC);
	CHECK_EQ_INT(s.last_raw, 12 * SEC - 10 * MS);
	CHECK_EQ_INT(s.raw, 400);
	CHECK_EQ_INT(s.host, 400);
	CHECK_EQ_INT(s.clock, 1);
	CHECK_EQ_INT(s.bad, 0);
	rig_down(&r);
}

TEST(flight_window_keeps_n_seconds)
{
	struct rig r;
	struct cw_flight_stats st;

	REQUIRE(rig_up(&r, 2, 64 << 20, 1ull << 30, 6) == 0);
	feed(&r, 0, 20 * SEC, 1 * MS); /* 20 s, 2000 records a second */
	cw_flight_seal(r.f);
	cw_flight_sync(r.f);
	cw_flight_stats(r.f, &st);
	CHECK_EQ_INT(st.records, 40000);
	/* at least the window (2 s), at most it, the slack (1 s) and two chunks' spans (1/4 s) */
	CHECK(st.records_kept >= 2 * 2000);
	CHECK(st.records_kept <= (uint64_t)(3.5 * 2000));
	CHECK_EQ_INT(st.records_kept + st.expired, 40000);
	CHECK_EQ_INT(st.evicted, 0);
	CHECK_EQ_INT(st.refused, 0);
	CHECK(st.bytes_kept > 0 && st.bytes_kept < 64 << 20);
	rig_down(&r);
}

TEST(flight_memory_bound_holds)
{
	struct rig r;
	struct cw_flight_stats st;

	REQUIRE(rig_up(&r, 600, 1 << 20, 1ull << 30, 6) == 0);
	tu_seed(3);
	for (uint64_t i = 0; i < 8192; i++) /* 8 MiB that do not compress, in 10 min's window */
		rec(&r, CW_TAP_RAW, i * MS, 1024, true);
	cw_flight_seal(r.f);
	cw_flight_sync(r.f);
	cw_flight_stats(r.f, &st);
	CHECK(st.bytes_kept <= 1 << 20);
	CHECK(st.bytes_kept >= 1 << 19); /* the bound is used, not wasted */
	CHECK(st.evicted > 0);
	CHECK_EQ_INT(st.expired, 0);
	CHECK_EQ_INT(st.records_kept + st.evicted + st.refused, 8192);
	CHECK_EQ_INT(st.memory_bound, 1 << 20);
	rig_down(&r);
}

TEST(flight_second_alert_gets_the_same_path_and_extends_it)
{
	struct rig r;
	struct seen s;
	struct cw_flight_stats st;
	char first[600];
	const char *p;

	REQUIRE(rig_up(&r, 2, 16 << 20, 1ull << 30, 6) == 0);
	feed(&r, 0, 5 * SEC, 10 * MS);
	p = r.tap->alert(r.tap->arg, 5 * SEC);
	REQUIRE(p != NULL);
	snprintf(first, sizeof(first), "%s", p);
	feed(&r, 5 * SEC, 6 * SEC, 10 * MS);
	p = r.tap->alert(r.tap->arg, 6 * SEC); /* open until 8 s now */
	REQUIRE(p != NULL);
	CHECK_EQ_STR(p, first);
	feed(&r, 6 * SEC, 10 * SEC, 10 * MS);
	cw_flight_sync(r.f);
	REQUIRE(read_dump(first, &s) == 0);
	CHECK_EQ_INT(s.first_raw, 3 * SEC);
	CHECK_EQ_INT(s.last_raw, 8 * SEC);
	CHECK_EQ_INT(s.bad, 0);
	cw_flight_stats(r.f, &st);
	CHECK_EQ_INT(st.dumps, 1);
	CHECK_EQ_INT(st.alerts_named, 2);
	rig_down(&r);
}

TEST(flight_rate_limit_refuses_and_counts)
{
	struct rig r;
	struct cw_flight_stats st;
	uint64_t t = 10 * SEC;

	REQUIRE(rig_up(&r, 1, 4 << 20, 1ull << 30, 2) == 0);
	for (int i = 0; i < 3; i++, t += 10 * SEC) {
		feed(&r, t - 2 * SEC, t, 100 * MS);
		if (i < 2)
			CHECK(r.tap->alert(r.tap->arg, t) != NULL);
		else
			CHECK(r.tap->alert(r.tap->arg, t) == NULL); /* the third in an hour */
		feed(&r, t, t + 2 * SEC, 100 * MS);
	}
	/* an hour after the first, one more may start */
	t = 10 * SEC + 3600 * SEC + 1;
	feed(&r, t - 2 * SEC, t, 100 * MS);
	CHECK(r.tap->alert(r.tap->arg, t) != NULL);
	feed(&r, t, t + 2 * SEC, 100 * MS);
	cw_flight_sync(r.f);
	cw_flight_stats(r.f, &st);
	CHECK_EQ_INT(st.dumps, 3);
	CHECK_EQ_INT(st.refused_rate, 1);
	CHECK_EQ_INT(st.alerts_named, 3);
	rig_down(&r);
}

static void old_trace(const char *dir, const char *name, size_t size, time_t mtime)
{
	char path[600];
	static char zeros[1 << 20];
	struct timespec ts[2] = { { mtime, 0 }, { mtime, 0 } };

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (tu_write_file(path, zeros, size, 0600) == 0)
		utimensat(AT_FDCWD, path, ts, 0);
}

static bool exists(const char *dir, const char *name)
{
	char path[600];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return access(path, F_OK) == 0;
}

TEST(flight_disk_bound_removes_the_oldest_traces_first)
{
	struct rig r;
	struct cw_flight_stats st;
	const char *p;

	/* 3 MiB of disk, 1 MiB of memory: a dump needs 1.5 MiB free */
	REQUIRE(rig_up(&r, 1, 1 << 20, 3 << 20, 6) == 0);
	old_trace(r.traces, "credwatch-a-20260101T000000Z.cwtrace", 1 << 20, 1000);
	old_trace(r.traces, "credwatch-b-20260101T000000Z.cwtrace", 1 << 20, 2000);
	old_trace(r.traces, "notes.txt", 1 << 20, 500); /* not a flight trace: never touched */
	feed(&r, 0, 2 * SEC, 100 * MS);
	p = r.tap->alert(r.tap->arg, 2 * SEC);
	CHECK(p != NULL);
	feed(&r, 2 * SEC, 4 * SEC, 100 * MS);
	cw_flight_sync(r.f);
	CHECK(!exists(r.traces, "credwatch-a-20260101T000000Z.cwtrace"));
	CHECK(exists(r.traces, "credwatch-b-20260101T000000Z.cwtrace"));
	CHECK(exists(r.traces, "notes.txt"));
	cw_flight_stats(r.f, &st);
	CHECK_EQ_INT(st.removed, 1);
	CHECK_EQ_INT(st.dumps, 1);
	rig_down(&r);
}

TEST(flight_dump_is_cut_at_its_share_of_the_disk)
{
	struct rig r;
	struct cw_flight_stats st;
	struct stat sb;
	char path[600];

	REQUIRE(rig_up(&r, 60, 1 << 20, 1 << 20, 6) == 0);
	tu_seed(9);
	rec(&r, CW_TAP_RAW, 1 * SEC, 1000, true);
	REQUIRE(r.tap->alert(r.tap->arg, 1 * SEC) != NULL);
	/* 3 MB that do not compress, within the dump; the worker kept up with (a busy machine's
	 * worker falls behind and the poll side refuses records: not what this test is about) */
	for (uint64_t i = 0; i < 3000; i++) {
		rec(&r, CW_TAP_RAW, 1 * SEC + i * MS, 1024, true);
		if (i % 32 == 31)
			cw_flight_sync(r.f);
	}
	rec(&r, CW_TAP_RAW, 100 * SEC, 10, false); /* past its end: it closes */
	cw_flight_sync(r.f);
	cw_flight_stats(r.f, &st);
	CHECK_EQ_INT(st.dumps_cut, 1);
	CHECK_EQ_INT(st.dumps_failed, 0);
	REQUIRE(only_trace(&r, path, sizeof(path)) == 0);
	CHECK(stat(path, &sb) == 0 && sb.st_size <= 1 << 20 && sb.st_size > 1 << 18);
	rig_down(&r);
}

TEST(flight_record_larger_than_a_chunk)
{
	struct rig r;
	struct seen s;
	struct cw_flight_stats st;
	const char *p;

	/* 4 MiB of memory: chunks of 64 KiB; a record of 1 MiB is its own chunk */
	REQUIRE(rig_up(&r, 2, 4 << 20, 1ull << 30, 6) == 0);
	rec(&r, CW_TAP_RAW, 1 * SEC, 100, false);
	rec(&r, CW_TAP_RAW, 1 * SEC + 1, 1 << 20, false);
	rec(&r, CW_TAP_RAW, 1 * SEC + 2, 100, false);
	rec(&r, CW_TAP_RAW, 1 * SEC + 3, 3 << 20, false); /* over half the bound: refused */
	p = r.tap->alert(r.tap->arg, 1 * SEC + 2);
	REQUIRE(p != NULL);
	rec(&r, CW_TAP_RAW, 10 * SEC, 100, false); /* closes the dump */
	cw_flight_sync(r.f);
	REQUIRE(read_dump(p, &s) == 0);
	CHECK_EQ_INT(s.raw, 3);
	CHECK_EQ_INT(s.bad, 0);
	cw_flight_stats(r.f, &st);
	CHECK_EQ_INT(st.refused, 1);
	rig_down(&r);
}

TEST(flight_stop_finishes_an_open_dump)
{
	struct rig r;
	struct seen s;
	char path[600];

	REQUIRE(rig_up(&r, 60, 4 << 20, 1ull << 30, 6) == 0);
	feed(&r, 0, 1 * SEC, 10 * MS);
	REQUIRE(r.tap->alert(r.tap->arg, 1 * SEC) != NULL);
	feed(&r, 1 * SEC, 2 * SEC, 10 * MS);
	cw_flight_free(r.f); /* the agent stops 1 s into a 60 s dump */
	r.f = NULL;
	REQUIRE(only_trace(&r, path, sizeof(path)) == 0);
	REQUIRE(read_dump(path, &s) == 0);
	CHECK_EQ_INT(s.raw, 200);
	CHECK_EQ_INT(s.bad, 0);
	rig_down(&r);
}

TEST(flight_options_are_checked)
{
	struct cw_flight_opts o = { .seconds = 0 };
	struct cw_flight *f = NULL;
	const struct cw_tap *tap;
	char err[256] = "", dir[256];

	REQUIRE(tu_mkdtemp(dir, sizeof(dir)) == 0);
	o.dir = dir;
	CHECK(cw_flight_new(&o, &f, &tap, err, sizeof(err)) == -EINVAL);
	CHECK(strstr(err, "--flight-recorder") != NULL);
	o.seconds = 5;
	o.memory = 1000;
	CHECK(cw_flight_new(&o, &f, &tap, err, sizeof(err)) == -EINVAL);
	CHECK(strstr(err, "--flight-recorder-memory") != NULL);
	o.memory = 8 << 20;
	o.disk = 4 << 20;
	CHECK(cw_flight_new(&o, &f, &tap, err, sizeof(err)) == -EINVAL);
	CHECK(strstr(err, "--flight-recorder-disk") != NULL);
	tu_rmtree(dir);
}

TEST(flight_options_in_the_config_file)
{
	static const char text[] = "flight_recorder: 60\n"
				   "flight_recorder_memory: 32M\n"
				   "flight_recorder_disk: 2G\n"
				   "flight_recorder_max_dumps: 3\n"
				   "flight_recorder_dir: /srv/traces\n"
				   "flight_recorder_recipient: /etc/credwatch/ir.pub\n";
	struct cw_agent_opts o = { 0 };
	struct cw_strv strs = { 0 };
	char err[256] = "";
	int verbose = 0;

	REQUIRE(cw_config_load_buf("c.yaml", text, strlen(text), &o, &verbose, &strs, err,
				   sizeof(err)) == 0);
	CHECK_EQ_INT(o.flight_seconds, 60);
	CHECK_EQ_INT(o.flight_memory, 32 << 20);
	CHECK_EQ_INT(o.flight_disk, 2ull << 30);
	CHECK_EQ_INT(o.flight_max_dumps, 3);
	CHECK_EQ_STR(o.flight_dir, "/srv/traces");
	CHECK_EQ_STR(o.flight_recipient, "/etc/credwatch/ir.pub");
	cw_strv_free(&strs);
	memset(&o, 0, sizeof(o));
	CHECK(cw_config_load_buf("c.yaml", "flight_recorder: 7200\n", 22, &o, &verbose, &strs, err,
				 sizeof(err)) != 0);
	CHECK(strstr(err, "c.yaml:1") != NULL);
	cw_strv_free(&strs);
}

TEST(flight_counters_in_the_metrics)
{
	struct cw_ops_snapshot s = { .version = "t", .flight_on = true };
	struct cw_prom p;

	s.flight.seconds = 60;
	s.flight.refused_rate = 4;
	s.flight.evicted = 17;
	cw_prom_init(&p);
	cw_metrics_render(&s, &p);
	REQUIRE(p.buf != NULL);
	CHECK(strstr(p.buf, "credwatch_flight_recorder_window_seconds 60\n") != NULL);
	CHECK(strstr(p.buf, "credwatch_flight_recorder_dumps_refused_total{reason=\"rate\"} 4\n"));
	CHECK(strstr(p.buf,
		     "credwatch_flight_recorder_records_dropped_total{reason=\"memory\"} 17\n"));
	s.flight_on = false; /* none without a recorder */
	cw_metrics_render(&s, &p);
	CHECK(strstr(p.buf, "flight_recorder") == NULL);
	cw_prom_free(&p);
}

TEST(flight_dump_encrypted_to_a_recipient)
{
	struct cw_flight_opts o = {
		.seconds = 2, .memory = 4 << 20, .state = fake_state, .header = { .host = "node-7" }
	};
	struct cw_trace_key *priv = NULL;
	struct cw_trace_reader *rd;
	struct cw_trace_record x;
	struct rig r = { 0 };
	char err[256] = "", privp[320], pubp[320], path[600];
	uint8_t *data;
	size_t len = 0, raw = 0;

	REQUIRE(tu_mkdtemp(r.dir, sizeof(r.dir)) == 0);
	snprintf(r.traces, sizeof(r.traces), "%s/traces", r.dir);
	snprintf(privp, sizeof(privp), "%s/ir.key", r.dir);
	snprintf(pubp, sizeof(pubp), "%s/ir.pub", r.dir);
	REQUIRE(cw_trace_keygen(privp, pubp, err, sizeof(err)) == 0);
	o.dir = r.traces;
	o.recipient = pubp;
	REQUIRE(cw_flight_new(&o, &r.f, &r.tap, err, sizeof(err)) == 0);
	feed(&r, 1 * SEC, 2 * SEC, 10 * MS);
	REQUIRE(r.tap->alert(r.tap->arg, 2 * SEC) != NULL);
	feed(&r, 2 * SEC, 5 * SEC, 10 * MS);
	cw_flight_sync(r.f);
	REQUIRE(only_trace(&r, path, sizeof(path)) == 0);
	data = malloc(1 << 20);
	REQUIRE(data != NULL);
	len = (size_t)tu_read_file(path, data, 1 << 20);
	CHECK(len > 0 && !tu_contains(data, len, "state-host", 10)); /* no record in clear */
	free(data);
	CHECK(cw_trace_reader_open(path, NULL, NULL, NULL, &rd, err, sizeof(err)) == -ENOKEY);
	REQUIRE(cw_trace_key_load(privp, &priv, err, sizeof(err)) == 0);
	REQUIRE(cw_trace_reader_open(path, priv, NULL, NULL, &rd, err, sizeof(err)) == 0);
	while (cw_trace_next(rd, &x) == 1)
		raw += x.type == CW_TAP_RAW;
	CHECK_EQ_INT(raw, 301); /* 1 s before the alert and 2 s after, every 10 ms, both ends */
	cw_trace_reader_close(rd);
	cw_trace_key_free(priv);
	rig_down(&r);
}
