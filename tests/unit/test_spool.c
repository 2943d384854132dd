// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test.h"
#include "output/spool.h"
#include "util/codec.h"

static char tmpl[64];

static const char *tmpdir(void)
{
	strcpy(tmpl, "/tmp/cw-spool.XXXXXX");
	return mkdtemp(tmpl);
}

static void rmtree(const char *dir)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd))
		fprintf(stderr, "cannot remove %s\n", dir);
}

static struct cw_spool *open_at(const char *dir, uint64_t max)
{
	struct cw_spool *s = NULL;
	char err[512];

	if (cw_spool_open(dir, max, &s, err, sizeof(err))) {
		fprintf(stderr, "    %s\n", err);
		return NULL;
	}
	return s;
}

static int put(struct cw_spool *s, int i, bool alert)
{
	char data[64], id[32];

	snprintf(data, sizeof(data), "{\"n\":%d}", i);
	snprintf(id, sizeof(id), "id-%d", i);
	return cw_spool_append(s, data, strlen(data), id, alert);
}

/* Read everything unread; check it is n records from first, in order. */
static void expect_read(struct cw_spool *s, int first, int n)
{
	struct cw_spool_rec r[64];
	size_t got = cw_spool_read(s, r, 64);
	char want[64];

	CHECK_EQ_INT(got, n);
	for (size_t i = 0; i < got; i++) {
		snprintf(want, sizeof(want), "{\"n\":%d}", first + (int)i);
		CHECK_EQ_STR(r[i].data, want);
		CHECK_EQ_INT(r[i].len, strlen(want));
		snprintf(want, sizeof(want), "id-%d", first + (int)i);
		CHECK_EQ_STR(r[i].event_id, want);
		CHECK(r[i].time_ms > 0);
		cw_spool_rec_free(&r[i]);
	}
}

static size_t count_segments(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t n = 0;

	while (d && (e = readdir(d)))
		n += strstr(e->d_name, ".seg") != NULL;
	if (d)
		closedir(d);
	return n;
}

TEST(spool_append_read_ack_in_order)
{
	const char *dir = tmpdir();
	struct cw_spool *s = open_at(dir, 1 << 20);
	struct cw_spool_rec r[4];
	struct cw_spool_stats st;
	struct stat sb;

	REQUIRE(s);
	for (int i = 1; i <= 5; i++)
		CHECK_EQ_INT(put(s, i, i % 2), 0);
	REQUIRE(cw_spool_read(s, r, 2) == 2);
	CHECK_EQ_INT(r[0].seq, 1);
	CHECK(r[0].alert);
	CHECK_EQ_INT(r[1].seq, 2);
	CHECK(!r[1].alert);
	cw_spool_rec_free(&r[0]);
	cw_spool_rec_free(&r[1]);
	expect_read(s, 3, 3);
	cw_spool_stats(s, &st);
	CHECK_EQ_INT(st.queued, 5);
	CHECK_EQ_INT(st.unread, 0);
	CHECK_EQ_INT(cw_spool_ack(s, 2), 0);
	cw_spool_stats(s, &st);
	CHECK_EQ_INT(st.queued, 3);
	CHECK_EQ_INT(cw_spool_ack(s, 9), 0); /* beyond what was read: ignored */
	cw_spool_stats(s, &st);
	CHECK_EQ_INT(st.queued, 3);
	REQUIRE(stat(dir, &sb) == 0);
	CHECK_EQ_INT(sb.st_mode & 0777, 0700);
	cw_spool_close(s);
	rmtree(dir);
}

TEST(spool_resumes_after_the_ack_cursor)
{
	const char *dir = tmpdir();
	struct cw_spool *s = open_at(dir, 1 << 20);
	struct cw_spool_stats st;

	REQUIRE(s);
	for (int i = 1; i <= 6; i++)
		put(s, i, true);
	expect_read(s, 1, 6);
	cw_spool_ack(s, 4);
	cw_spool_close(s);
	s = open_at(dir, 1 << 20);
	REQUIRE(s);
	cw_spool_stats(s, &st);
	CHECK_EQ_INT(st.queued, 2);
	expect_read(s, 5, 2);
	CHECK_EQ_INT(put(s, 7, true), 0);
	expect_read(s, 7, 1);
	cw_spool_close(s);
	rmtree(dir);
}

/* The agent killed without a close: what was appended is there, unacked, next time. */
TEST(spool_survives_without_close)
{
	const char *dir = tmpdir();
	struct cw_spool *s = open_at(dir, 1 << 20), *t;
	char err[256];

	REQUIRE(s);
	for (int i = 1; i <= 3; i++)
		put(s, i, true);
	/* A second spool on the same directory is refused while the first holds it. */
	CHECK_EQ_INT(cw_spool_open(dir, 1 << 20, &t, err, sizeof(err)), -EBUSY);
	CHECK_CONTAINS(err, "in use by another credwatch");
	cw_spool_close(s); /* (no ack was made: the same as a kill for what is read back) */
	s = open_at(dir, 1 << 20);
	REQUIRE(s);
	expect_read(s, 1, 3);
	cw_spool_close(s);
	rmtree(dir);
}

static void segment_path(const char *dir, char *buf, size_t cap)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char last[256] = "";

	while (d && (e = readdir(d)))
		if (strstr(e->d_name, ".seg") && strcmp(e->d_name, last) > 0)
			snprintf(last, sizeof(last), "%s", e->d_name);
	if (d)
		closedir(d);
	snprintf(buf, cap, "%s/%s", dir, last);
}

TEST(spool_cuts_a_torn_last_record)
{
	const char *dir = tmpdir();
	struct cw_spool *s = open_at(dir, 1 << 20);
	struct cw_spool_stats st;
	char seg[512];
	struct stat sb;
	int fd;

	REQUIRE(s);
	for (int i = 1; i <= 3; i++)
		put(s, i, true);
	cw_spool_close(s);
	/* Half of a fourth record, as a kill in the middle of its write leaves it. */
	segment_path(dir, seg, sizeof(seg));
	REQUIRE(stat(seg, &sb) == 0);
	fd = open(seg, O_WRONLY | O_APPEND);
	REQUIRE(fd >= 0);
	CHECK_EQ_INT(write(fd, "\x40\x00\x00\x00\x12\x34", 6), 6);
	close(fd);
	s = open_at(dir, 1 << 20);
	REQUIRE(s);
	cw_spool_stats(s, &st);
	CHECK_EQ_INT(st.torn, 6);
	CHECK_EQ_INT(st.queued, 3);
	expect_read(s, 1, 3);
	CHECK_EQ_INT(put(s, 4, true), 0);
	expect_read(s, 4, 1);
	cw_spool_close(s);
	rmtree(dir);
}

TEST(spool_cuts_a_record_with_a_bad_crc)
{
	const char *dir = tmpdir();
	struct cw_spool *s = open_at(dir, 1 << 20);
	struct cw_spool_stats st;
	char seg[512], c;
	struct stat sb;
	int fd;

	REQUIRE(s);
	for (int i = 1; i <= 3; i++)
		put(s, i, true);
	cw_spool_close(s);
	segment_path(dir, seg, sizeof(seg));
	REQUIRE(stat(seg, &sb) == 0);
	fd = open(seg, O_RDWR);
	REQUIRE(fd >= 0);
	REQUIRE(pread(fd, &c, 1, sb.st_size - 2) == 1);
	c ^= 0x20;
	REQUIRE(pwrite(fd, &c, 1, sb.st_size - 2) == 1);
	close(fd);
	s = open_at(dir, 1 << 20);
	REQUIRE(s);
	cw_spool_stats(s, &st);
	CHECK(st.torn > 0);
	expect_read(s, 1, 2);
	cw_spool_close(s);
	rmtree(dir);
}

/* Records as builds before 2026-12-05 wrote them (zlib's CRC-32): still read, nothing cut. */
TEST(spool_reads_records_an_older_version_wrote)
{
	const char *dir = tmpdir();
	unsigned char rec[128];
	struct cw_spool *s;
	struct cw_spool_stats st;
	char path[512];
	int fd;

	snprintf(path, sizeof(path), "%s/0000000000000001.seg", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	REQUIRE(fd >= 0);
	for (int i = 1; i <= 2; i++) {
		char data[16], id[8];
		size_t dl = (size_t)snprintf(data, sizeof(data), "{\"n\":%d}", i);
		size_t il = (size_t)snprintf(id, sizeof(id), "id-%d", i);
		uint32_t body = (uint32_t)(18 + il + dl), crc;

		memset(rec, 0, sizeof(rec));
		for (int k = 0; k < 4; k++)
			rec[k] = (unsigned char)(body >> (8 * k));
		rec[8] = (unsigned char)i; /* seq */
		rec[16] = 1;		   /* time: 1 ms past the epoch */
		rec[24] = 1;		   /* alert */
		rec[25] = (unsigned char)il;
		memcpy(rec + 26, id, il);
		memcpy(rec + 26 + il, data, dl);
		crc = cw_crc32(rec + 8, body);
		for (int k = 0; k < 4; k++)
			rec[4 + k] = (unsigned char)(crc >> (8 * k));
		REQUIRE(write(fd, rec, 8 + body) == (ssize_t)(8 + body));
	}
	close(fd);
	s = open_at(dir, 1 << 20);
	REQUIRE(s);
	cw_spool_stats(s, &st);
	CHECK_EQ_INT(st.torn, 0);
	CHECK_EQ_INT(st.queued, 2);
	expect_read(s, 1, 2);
	CHECK_EQ_INT(put(s, 3, true), 0);
	expect_read(s, 3, 1);
	{ /* a record without an event id */
		struct cw_spool_rec r;

		CHECK_EQ_INT(cw_spool_append(s, "{}", 2, NULL, false), 0);
		REQUIRE(cw_spool_read(s, &r, 1) == 1);
		CHECK_EQ_STR(r.event_id, "");
		CHECK_EQ_STR(r.data, "{}");
		cw_spool_rec_free(&r);
	}
	cw_spool_close(s);
	rmtree(dir);
}

TEST(spool_deletes_acknowledged_segments)
{
	const char *dir = tmpdir();
	struct cw_spool *s = open_at(dir, 64 << 10); /* 4 KiB segments */
	struct cw_spool_stats st;
	struct cw_spool_rec r[64];
	size_t n, total = 0;

	REQUIRE(s);
	for (int i = 1; i <= 400; i++)
		REQUIRE(put(s, i, true) == 0);
	CHECK(count_segments(dir) > 2);
	while ((n = cw_spool_read(s, r, 64))) {
		for (size_t i = 0; i < n; i++)
			cw_spool_rec_free(&r[i]);
		total += n;
	}
	CHECK_EQ_INT(total, 400);
	CHECK_EQ_INT(cw_spool_ack(s, 400), 0);
	CHECK(count_segments(dir) <= 1);
	cw_spool_stats(s, &st);
	CHECK_EQ_INT(st.queued, 0);
	CHECK(st.bytes < 4096);
	cw_spool_close(s);
	s = open_at(dir, 64 << 10);
	REQUIRE(s);
	cw_spool_stats(s, &st);
	CHECK_EQ_INT(st.queued, 0);
	CHECK_EQ_INT(put(s, 401, true), 0);
	REQUIRE(cw_spool_read(s, r, 64) == 1);
	CHECK_EQ_INT(r[0].seq, 401);
	cw_spool_rec_free(&r[0]);
	cw_spool_close(s);
	rmtree(dir);
}

/* Read everything unread into a counted list of (seq, data) checks against want[]. */
static size_t read_all(struct cw_spool *s, char **want, const uint64_t *seqs, size_t nwant)
{
	struct cw_spool_rec r[64];
	size_t n, got = 0;

	while ((n = cw_spool_read(s, r, 64))) {
		for (size_t i = 0; i < n; i++, got++) {
			if (got < nwant) {
				CHECK_EQ_INT(r[i].seq, seqs[got]);
				CHECK_EQ_INT(r[i].len, strlen(want[got]));
				CHECK(!strcmp(r[i].data, want[got]));
			}
			cw_spool_rec_free(&r[i]);
		}
	}
	return got;
}

/*
 * One batch across several segments and past the high-water mark: the observations refused
 * are marked and skip no number; what was taken reads back in order, with CRCs that hold at
 * the next open.
 */
TEST(spool_batch_append_spans_segments_and_the_bound)
{
	const char *dir = tmpdir();
	struct cw_spool *s = open_at(dir, 64 << 10); /* 4 KiB segments, 56 KiB high-water */
	struct cw_spool_batch b = { 0 };
	struct cw_spool_stats st;
	char *want[400], id[32];
	uint64_t seqs[400];
	size_t taken = 0, refused = 0;

	REQUIRE(s);
	for (int i = 0; i < 400; i++) {
		char data[300];
		bool alert = i % 3 == 0;

		int at = snprintf(data, sizeof(data), "{\"n\":%d,\"pad\":\"", i);

		memset(data + at, 'x', (size_t)(60 + i % 150)); /* 400 of these: past the bound */
		snprintf(data + at + 60 + i % 150, sizeof(data) - (size_t)at - 210, "\"}");
		snprintf(id, sizeof(id), "id-%d", i);
		REQUIRE(cw_spool_batch_add(&b, data, strlen(data), id, alert) == 0);
		want[i] = strdup(data);
	}
	cw_spool_append_batch(s, &b);
	for (size_t i = 0; i < b.n; i++) {
		if (b.recs[i].ret) {
			CHECK_EQ_INT(b.recs[i].ret, -ENOBUFS);
			CHECK(!b.recs[i].alert || i > 300);
			free(want[i]);
			refused++;
			continue;
		}
		CHECK_EQ_INT(b.recs[i].seq, taken + 1);
		want[taken] = want[i];
		seqs[taken++] = b.recs[i].seq;
	}
	CHECK(refused > 0);
	CHECK(count_segments(dir) > 2);
	cw_spool_stats(s, &st);
	CHECK_EQ_INT(st.queued, taken);
	CHECK_EQ_INT(st.refused_alerts + st.refused_events, refused);
	CHECK_EQ_INT(read_all(s, want, seqs, taken), taken);
	cw_spool_close(s);
	s = open_at(dir, 64 << 10);
	REQUIRE(s);
	cw_spool_stats(s, &st);
	CHECK_EQ_INT(st.torn, 0);
	CHECK_EQ_INT(st.queued, taken);
	CHECK_EQ_INT(read_all(s, want, seqs, taken), taken);
	cw_spool_close(s);
	for (size_t i = 0; i < taken; i++)
		free(want[i]);
	cw_spool_batch_free(&b);
	rmtree(dir);
}

/* A record larger than the reader's chunk, between two small ones. */
TEST(spool_reads_a_record_larger_than_a_read)
{
	const char *dir = tmpdir();
	struct cw_spool *s = open_at(dir, 64 << 20);
	size_t big = 300 << 10;
	char *want[3] = { strdup("{\"a\":1}"), malloc(big + 1), strdup("{\"c\":3}") };
	uint64_t seqs[3] = { 1, 2, 3 };

	REQUIRE(s && want[1]);
	memset(want[1], 'b', big);
	want[1][big] = '\0';
	for (int i = 0; i < 3; i++)
		REQUIRE(cw_spool_append(s, want[i], strlen(want[i]), "id", true) == 0);
	CHECK_EQ_INT(read_all(s, want, seqs, 3), 3);
	cw_spool_close(s);
	for (int i = 0; i < 3; i++)
		free(want[i]);
	rmtree(dir);
}

/* Past 7/8 of the bound observations are refused; alerts only at the bound. */
static void check_bound(const char *dir)
{
	struct cw_spool *s = open_at(dir, 64 << 10);
	struct cw_spool_stats st;
	int i, first_refused_event = 0, first_refused_alert = 0;

	REQUIRE(s);
	for (i = 1; i < 10000 && !first_refused_alert; i++) {
		bool alert = i % 2;
		int ret = put(s, i, alert);

		if (ret == -ENOBUFS && !alert && !first_refused_event)
			first_refused_event = i;
		if (ret == -ENOBUFS && alert)
			first_refused_alert = i;
		CHECK(ret == 0 || ret == -ENOBUFS);
	}
	CHECK(first_refused_event > 0);
	CHECK(first_refused_alert > first_refused_event);
	cw_spool_stats(s, &st);
	CHECK(st.bytes <= 64 << 10);
	CHECK(st.bytes > (64 << 10) - 200);
	CHECK_EQ_INT(st.refused_alerts, 1);
	CHECK(st.refused_events > 10);
	CHECK_EQ_INT(st.refused_events, (first_refused_alert - first_refused_event) / 2 + 1);
	/* Alerts go on being refused; room made by an ack takes them again. */
	CHECK_EQ_INT(put(s, 20000, true), -ENOBUFS);
	{
		struct cw_spool_rec r[64];
		size_t n = cw_spool_read(s, r, 64);

		for (size_t k = 0; k < n; k++)
			cw_spool_rec_free(&r[k]);
		while ((n = cw_spool_read(s, r, 64)))
			for (size_t k = 0; k < n; k++)
				cw_spool_rec_free(&r[k]);
	}
	CHECK_EQ_INT(cw_spool_ack(s, (uint64_t)first_refused_alert - 1 - st.refused_events), 0);
	CHECK_EQ_INT(put(s, 20001, false), 0);
	CHECK_EQ_INT(put(s, 20002, true), 0);
	cw_spool_close(s);
}

TEST(spool_bound_refuses_observations_before_alerts)
{
	const char *dir = tmpdir();

	check_bound(dir);
	rmtree(dir);
	check_bound(NULL); /* memory only */
}

TEST(spool_memory_only)
{
	struct cw_spool *s = open_at(NULL, 1 << 20);
	struct cw_spool_stats st;

	REQUIRE(s);
	for (int i = 1; i <= 5; i++)
		put(s, i, true);
	expect_read(s, 1, 5);
	cw_spool_ack(s, 3);
	cw_spool_stats(s, &st);
	CHECK_EQ_INT(st.queued, 2);
	put(s, 6, false);
	expect_read(s, 6, 1);
	cw_spool_close(s);
}

TEST(spool_dir_name_is_stable_and_safe)
{
	struct cw_output_spec a = { .kind = CW_SINK_SYSLOG_TCP, .port = 514 }, b;
	char x[128], y[128];

	strcpy(a.host, "siem.example");
	strcpy(a.target, "syslog+tcp://siem.example:514");
	b = a;
	b.batch_max = 7; /* options that do not change where it goes keep the spool */
	cw_spool_dir_name(&a, x, sizeof(x));
	cw_spool_dir_name(&b, y, sizeof(y));
	CHECK_EQ_STR(x, y);
	CHECK(!strncmp(x, "syslog+tcp-siem.example-514-", 28));
	b.format = CW_FORMAT_OCSF;
	cw_spool_dir_name(&b, y, sizeof(y));
	CHECK(strcmp(x, y));
	strcpy(b.host, "../x/y");
	cw_spool_dir_name(&b, y, sizeof(y));
	CHECK(!strchr(y, '/'));
}
