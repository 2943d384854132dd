// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The ring-buffer record decoder: well-formed records, and every bound it enforces. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "events/decoder.h"
#include "test.h"
#include "testutil.h"

#define EXEC_HDR sizeof(struct cw_exec_event)

static const char test_path[] = "/usr/bin/env";
static const char test_argv[] = "env\0-i\0FOO=bar";	    /* 14 bytes + NUL */
static const char test_env[] = "PATH=/usr/bin\0HOME=/root"; /* 24 bytes + NUL */

static struct cw_exec_event exec_hdr(__u32 path_len, __u32 argv_len, __u32 env_len)
{
	struct cw_exec_event e;

	memset(&e, 0, sizeof(e));
	e.hdr.type = CW_EV_EXEC;
	e.hdr.cpu = 3;
	e.hdr.ktime_ns = 123456789012ull;
	e.pid = 4242;
	e.tid = 4243;
	e.ppid = 1;
	e.uid = 1000;
	e.gid = 1001;
	e.flags = CW_EXEC_ENV_TRUNC;
	e.cgroup_id = 0x1122334455667788ull;
	e.path_len = path_len;
	e.argv_len = argv_len;
	e.env_len = env_len;
	e.argv_full_len = argv_len;
	e.env_full_len = env_len + 100;
	memcpy(e.comm, "env", 4);
	return e;
}

/* Header + path + argv + env at buf (which may be unaligned). Returns the record's size. */
static size_t build_exec(char *buf, const struct cw_exec_event *e, const char *path,
			 const char *argv, const char *env)
{
	size_t o = 0;

	memcpy(buf, e, sizeof(*e));
	o += sizeof(*e);
	memcpy(buf + o, path, e->path_len);
	o += e->path_len;
	memcpy(buf + o, argv, e->argv_len);
	o += e->argv_len;
	memcpy(buf + o, env, e->env_len);
	o += e->env_len;
	return o;
}

static size_t build_default(char *buf, struct cw_exec_event *e)
{
	*e = exec_hdr(sizeof(test_path) - 1, sizeof(test_argv), sizeof(test_env));
	return build_exec(buf, e, test_path, test_argv, test_env);
}

/* Decode a malformed record: must be -EINVAL with a reason, and no views handed out. */
static void expect_reject(const void *data, size_t sz, int line)
{
	struct cw_event ev;
	const char *why = NULL;
	int ret;

	memset(&ev, 0xA5, sizeof(ev));
	ret = cw_decode(data, sz, &ev, &why);
	if (ret != -EINVAL)
		cw_test_fail(__FILE__, line, "cw_decode accepted/ret %d, want -EINVAL", ret);
	if (!why || !*why)
		cw_test_fail(__FILE__, line, "no reason given");
	if (ev.path || ev.argv || ev.env)
		cw_test_fail(__FILE__, line, "views set on a rejected record");
	/* a NULL why is allowed */
	ret = cw_decode(data, sz, &ev, NULL);
	if (ret != -EINVAL)
		cw_test_fail(__FILE__, line, "with why NULL: ret %d", ret);
}

#define EXPECT_REJECT(data, sz) expect_reject(data, sz, __LINE__)

TEST(decoder_well_formed_exec)
{
	char buf[512];
	struct cw_exec_event e;
	struct cw_event ev;
	const char *why = NULL;
	size_t sz = build_default(buf, &e);

	CHECK_EQ_INT(sz, EXEC_HDR + 12 + 15 + 25);
	REQUIRE(cw_decode(buf, sz, &ev, &why) == 0);
	CHECK_EQ_INT(ev.type, CW_EV_EXEC);
	CHECK_EQ_INT(ev.exec.hdr.type, CW_EV_EXEC);
	CHECK_EQ_INT(ev.exec.hdr.cpu, 3);
	CHECK(ev.exec.hdr.ktime_ns == 123456789012ull);
	CHECK_EQ_INT(ev.exec.pid, 4242);
	CHECK_EQ_INT(ev.exec.tid, 4243);
	CHECK_EQ_INT(ev.exec.ppid, 1);
	CHECK_EQ_INT(ev.exec.uid, 1000);
	CHECK_EQ_INT(ev.exec.gid, 1001);
	CHECK_EQ_INT(ev.exec.flags, CW_EXEC_ENV_TRUNC);
	CHECK(ev.exec.cgroup_id == 0x1122334455667788ull);
	CHECK_EQ_INT(ev.exec.path_len, 12);
	CHECK_EQ_INT(ev.exec.argv_len, 15);
	CHECK_EQ_INT(ev.exec.env_len, 25);
	CHECK_EQ_INT(ev.exec.argv_full_len, 15);
	CHECK_EQ_INT(ev.exec.env_full_len, 125);
	CHECK_EQ_STR(ev.exec.comm, "env");
	/* the views point into the record, in order, with the right bytes */
	CHECK(ev.path == buf + EXEC_HDR);
	CHECK(ev.argv == buf + EXEC_HDR + 12);
	CHECK(ev.env == buf + EXEC_HDR + 12 + 15);
	CHECK(!memcmp(ev.path, test_path, 12));
	CHECK(!memcmp(ev.argv, test_argv, 15));
	CHECK(!memcmp(ev.env, test_env, 25));
}

TEST(decoder_exec_with_empty_and_maximal_parts)
{
	struct cw_exec_event e;
	struct cw_event ev;
	const char *why;
	size_t sz, big = EXEC_HDR + (CW_PATH_MAX - 1) + CW_ARGV_MAX + CW_ENV_MAX;
	char *buf = calloc(1, big);

	REQUIRE(buf);
	/* all three parts empty: a header-only record */
	e = exec_hdr(0, 0, 0);
	sz = build_exec(buf, &e, "", "", "");
	CHECK_EQ_INT(sz, EXEC_HDR);
	CHECK_EQ_INT(cw_decode(buf, sz, &ev, &why), 0);
	CHECK(ev.path == buf + EXEC_HDR && ev.argv == ev.path && ev.env == ev.path);

	/* every part at its largest allowed length */
	e = exec_hdr(CW_PATH_MAX - 1, CW_ARGV_MAX, CW_ENV_MAX);
	memcpy(buf, &e, sizeof(e));
	CHECK_EQ_INT(cw_decode(buf, big, &ev, &why), 0);
	CHECK(ev.argv == buf + EXEC_HDR + CW_PATH_MAX - 1);
	CHECK(ev.env == ev.argv + CW_ARGV_MAX);
	CHECK(ev.env + CW_ENV_MAX == buf + big);
	/* trailing bytes after the payload (ring buffer padding) are allowed */
	e = exec_hdr(1, 1, 1);
	memcpy(buf, &e, sizeof(e));
	CHECK_EQ_INT(cw_decode(buf, EXEC_HDR + 3 + 5, &ev, &why), 0);
	free(buf);
}

TEST(decoder_rejects_short_records)
{
	char buf[512];
	struct cw_exec_event e;
	struct cw_event_hdr h = { .type = CW_EV_EXEC };
	struct cw_exit_event x = { .hdr.type = CW_EV_EXIT };

	build_default(buf, &e);
	EXPECT_REJECT(buf, 0);
	EXPECT_REJECT(NULL, 0);
	EXPECT_REJECT(NULL, 200);
	EXPECT_REJECT(buf, 1);
	EXPECT_REJECT(buf, sizeof(struct cw_event_hdr) - 1);
	/* an exec type with only the common header, or one byte short of its own header */
	EXPECT_REJECT(&h, sizeof(h));
	EXPECT_REJECT(buf, EXEC_HDR - 1);
	EXPECT_REJECT(buf, sizeof(struct cw_event_hdr) + 1);
	/* exit records too */
	EXPECT_REJECT(&x, sizeof(x) - 1);
	EXPECT_REJECT(&x, sizeof(struct cw_event_hdr));
}

TEST(decoder_rejects_unknown_types)
{
	static const __u32 types[] = { 0, CW_EV_MAX, 3, 0x100, 0xffffffffu, 0x80000001u };
	char buf[512];
	struct cw_exec_event e;
	size_t sz = build_default(buf, &e);

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		memcpy(buf, &types[i], sizeof(types[i]));
		EXPECT_REJECT(buf, sz);
	}
}

TEST(decoder_rejects_lengths_past_bounds)
{
	size_t cap = EXEC_HDR + 2 * (CW_PATH_MAX + CW_ARGV_MAX + CW_ENV_MAX);
	char *buf = calloc(1, cap);
	struct cw_exec_event e;

	REQUIRE(buf);
	/* the buffer is always big enough: only the bound itself can reject */
	e = exec_hdr(CW_PATH_MAX, 0, 0);
	memcpy(buf, &e, sizeof(e));
	EXPECT_REJECT(buf, cap);
	e = exec_hdr(0xffffffffu, 0, 0);
	memcpy(buf, &e, sizeof(e));
	EXPECT_REJECT(buf, cap);
	e = exec_hdr(0, CW_ARGV_MAX + 1, 0);
	memcpy(buf, &e, sizeof(e));
	EXPECT_REJECT(buf, cap);
	e = exec_hdr(0, 0xffffffffu, 0);
	memcpy(buf, &e, sizeof(e));
	EXPECT_REJECT(buf, cap);
	e = exec_hdr(0, 0, CW_ENV_MAX + 1);
	memcpy(buf, &e, sizeof(e));
	EXPECT_REJECT(buf, cap);
	e = exec_hdr(0, 0, 0xffffffffu);
	memcpy(buf, &e, sizeof(e));
	EXPECT_REJECT(buf, cap);
	free(buf);
}

TEST(decoder_rejects_lengths_past_the_record)
{
	char buf[512];
	struct cw_exec_event e;
	size_t sz = build_default(buf, &e);
	struct cw_event ev;
	const char *why;

	REQUIRE(cw_decode(buf, sz, &ev, &why) == 0);
	/* one byte short, whichever part it comes out of */
	EXPECT_REJECT(buf, sz - 1);
	EXPECT_REJECT(buf, EXEC_HDR + 12 + 15);
	EXPECT_REJECT(buf, EXEC_HDR + 12);
	EXPECT_REJECT(buf, EXEC_HDR);
	/* each length grown by one past the record */
	for (int part = 0; part < 3; part++) {
		struct cw_exec_event g = e;

		if (part == 0) {
			g.path_len++;
		} else if (part == 1) {
			g.argv_len++;
			g.argv_full_len++;
		} else {
			g.env_len++;
		}
		memcpy(buf, &g, sizeof(g));
		EXPECT_REJECT(buf, sz);
	}
	/* each length within its bound, but their sum past the record */
	e = exec_hdr(CW_PATH_MAX - 1, CW_ARGV_MAX, CW_ENV_MAX);
	memcpy(buf, &e, sizeof(e));
	EXPECT_REJECT(buf, sizeof(buf));
}

TEST(decoder_rejects_capture_longer_than_the_process_had)
{
	char buf[512];
	struct cw_exec_event e;
	size_t sz = build_default(buf, &e);
	struct cw_exec_event g;

	g = e;
	g.argv_full_len = g.argv_len - 1;
	memcpy(buf, &g, sizeof(g));
	EXPECT_REJECT(buf, sz);
	g = e;
	g.argv_full_len = 0;
	memcpy(buf, &g, sizeof(g));
	EXPECT_REJECT(buf, sz);
	g = e;
	g.env_full_len = g.env_len - 1;
	memcpy(buf, &g, sizeof(g));
	EXPECT_REJECT(buf, sz);
	/* equal is fine: the whole argv was captured */
	{
		struct cw_event ev;
		const char *why;

		g = e;
		g.argv_full_len = g.argv_len;
		g.env_full_len = g.env_len;
		memcpy(buf, &g, sizeof(g));
		CHECK_EQ_INT(cw_decode(buf, sz, &ev, &why), 0);
	}
}

TEST(decoder_exit_record)
{
	struct cw_exit_event x = {
		.hdr = { .type = CW_EV_EXIT, .cpu = 1, .ktime_ns = 77 },
		.pid = 99,
		.exit_code = -2,
		.cgroup_id = 12345,
	};
	char buf[sizeof(x) + 8];
	struct cw_event ev;
	const char *why = NULL;

	CHECK_EQ_INT(cw_decode(&x, sizeof(x), &ev, &why), 0);
	CHECK_EQ_INT(ev.type, CW_EV_EXIT);
	CHECK_EQ_INT(ev.exit.pid, 99);
	CHECK_EQ_INT(ev.exit.exit_code, -2);
	CHECK(ev.exit.cgroup_id == 12345);
	CHECK(ev.exit.hdr.ktime_ns == 77);
	CHECK(!ev.path && !ev.argv && !ev.env);
	/* from an odd address, with trailing bytes */
	memset(buf, 0, sizeof(buf));
	memcpy(buf + 1, &x, sizeof(x));
	CHECK_EQ_INT(cw_decode(buf + 1, sizeof(x) + 7, &ev, &why), 0);
	CHECK_EQ_INT(ev.exit.pid, 99);
	CHECK_EQ_INT(ev.exit.exit_code, -2);
}

TEST(decoder_unaligned_exec)
{
	char *mem = malloc(512 + 8);
	struct cw_exec_event e;
	struct cw_event ev;
	const char *why;

	REQUIRE(mem);
	for (size_t off = 1; off < 8; off++) {
		char *buf = mem + off;
		size_t sz = build_default(buf, &e);

		if (cw_decode(buf, sz, &ev, &why)) {
			cw_test_fail(__FILE__, __LINE__, "offset %zu: %s", off, why);
			continue;
		}
		CHECK_EQ_INT(ev.exec.pid, 4242);
		CHECK(ev.exec.cgroup_id == 0x1122334455667788ull);
		CHECK(ev.path == buf + EXEC_HDR);
		CHECK(!memcmp(ev.argv, test_argv, sizeof(test_argv)));
		CHECK(!memcmp(ev.env, test_env, sizeof(test_env)));
	}
	free(mem);
}

static bool inside(const char *p, size_t n, const char *buf, size_t sz)
{
	return p >= buf && p <= buf + sz && n <= (size_t)(buf + sz - p);
}

TEST(decoder_fuzz_garbled_records)
{
	int accepted_exec = 0, accepted_exit = 0, rejected = 0;

	tu_seed(0x646563);
	for (int it = 0; it < 20000; it++) {
		size_t sz = tu_below(EXEC_HDR + 400);
		/* exactly sz bytes on the heap: ASan sees any read past the record */
		char *buf = malloc(sz ? sz : 1);
		struct cw_event ev;
		const char *why = NULL;
		int ret;

		REQUIRE(buf);
		tu_rand_bytes(buf, sz);
		/* Most records get a plausible type and small lengths, so some are accepted. */
		if (sz >= EXEC_HDR && tu_below(4)) {
			struct cw_exec_event e;

			memcpy(&e, buf, sizeof(e));
			e.hdr.type = tu_below(8) ? CW_EV_EXEC : (__u32)tu_rand();
			if (tu_below(4)) {
				e.path_len = (__u32)tu_below(200);
				e.argv_len = (__u32)tu_below(200);
				e.env_len = (__u32)tu_below(200);
				e.argv_full_len = e.argv_len + (__u32)tu_below(3) - 1;
				e.env_full_len = tu_below(2) ? e.env_len : (__u32)tu_rand();
			}
			memcpy(buf, &e, sizeof(e));
		} else if (sz >= 4 && tu_below(2)) {
			__u32 t = tu_below(2) ? CW_EV_EXIT : CW_EV_EXEC;

			memcpy(buf, &t, sizeof(t));
		}
		ret = cw_decode(buf, sz, &ev, &why);
		if (ret == 0) {
			if (ev.type == CW_EV_EXEC) {
				const struct cw_exec_event *e = &ev.exec;

				accepted_exec++;
				CHECK(inside(ev.path, e->path_len, buf, sz));
				CHECK(inside(ev.argv, e->argv_len, buf, sz));
				CHECK(inside(ev.env, e->env_len, buf, sz));
				CHECK(ev.argv == ev.path + e->path_len);
				CHECK(ev.env == ev.argv + e->argv_len);
				CHECK(e->path_len < CW_PATH_MAX && e->argv_len <= CW_ARGV_MAX &&
				      e->env_len <= CW_ENV_MAX);
				CHECK(e->argv_len <= e->argv_full_len);
				CHECK(e->env_len <= e->env_full_len);
				/* touch every byte of every view */
				for (size_t i = 0; i < e->path_len + e->argv_len + e->env_len; i++)
					(void)*(volatile const char *)(ev.path + i);
			} else {
				accepted_exit++;
				CHECK_EQ_INT(ev.type, CW_EV_EXIT);
				CHECK(sz >= sizeof(struct cw_exit_event));
			}
		} else {
			rejected++;
			CHECK_EQ_INT(ret, -EINVAL);
			CHECK(why && *why);
		}
		free(buf);
		if (cw_test_failed)
			break;
	}
	CHECK(accepted_exec > 100);
	CHECK(accepted_exit > 100);
	CHECK(rejected > 1000);
}

TEST(decoder_file_open_record_bounds)
{
	struct cw_file_open_event e;
	struct cw_event ev;
	const char *why = NULL;

	memset(&e, 0, sizeof(e));
	e.hdr.type = CW_EV_FILE_OPEN;
	memcpy(e.path, "token", 5);
	e.path_len = 5;
	CHECK_EQ_INT(cw_decode(&e, sizeof(e), &ev, &why), 0);
	CHECK_EQ_INT((int)ev.file_open.path_len, 5);
	CHECK(cw_decode(&e, sizeof(e) - 1, &ev, &why) != 0);
	e.path_len = 0;
	CHECK(cw_decode(&e, sizeof(e), &ev, &why) != 0);
	e.path_len = CW_FILE_PATH_MAX;
	CHECK(cw_decode(&e, sizeof(e), &ev, &why) != 0);
	e.path_len = 5;
	e.path[2] = '\0'; /* a NUL inside the path */
	CHECK(cw_decode(&e, sizeof(e), &ev, &why) != 0);
	e.path[2] = 'k';
	e.flags = CW_FILE_CWD;
	e.cwd_len = 0;
	CHECK(cw_decode(&e, sizeof(e), &ev, &why) != 0);
	e.cwd_len = CW_FILE_PATH_MAX;
	CHECK(cw_decode(&e, sizeof(e), &ev, &why) != 0);
	memcpy(e.cwd, "/run/secrets", 12);
	e.cwd_len = 12;
	CHECK_EQ_INT(cw_decode(&e, sizeof(e), &ev, &why), 0);
	e.cwd[3] = '\0';
	CHECK(cw_decode(&e, sizeof(e), &ev, &why) != 0);
}
