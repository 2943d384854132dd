// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Streaming matcher: whatever the write boundaries, a stream finds what a block scan finds. */
#include <stdint.h>
#include <stdlib.h>

#include "detect/example_gen.h"
#include "detect/matcher.h"
#include "detect/rules.h"
#include "test.h"

#define MAX_FOUND 64

struct found {
	size_t n;
	struct {
		const struct cw_rule *rule;
		uint64_t start;
		size_t len;
		char head[8]; /* first bytes of the secret, to check the pointer is right */
	} v[MAX_FOUND];
};

static int collect(const struct cw_match *m, void *arg)
{
	struct found *f = arg;

	if (f->n < MAX_FOUND) {
		f->v[f->n].rule = m->rule;
		f->v[f->n].start = m->start;
		f->v[f->n].len = m->len;
		memcpy(f->v[f->n].head, m->secret, m->len < 8 ? m->len : 8);
		f->n++;
	}
	return 0;
}

static struct cw_ruleset rs;
static struct cw_matcher *mt;

static int setup(void)
{
	char err[512];

	if (mt)
		return 0;
	if (cw_rules_load_embedded(&rs, err, sizeof(err)) ||
	    cw_matcher_new(&rs, &mt, err, sizeof(err))) {
		fprintf(stderr, "    setup: %s\n", err);
		return -1;
	}
	return 0;
}

static bool same(const struct found *a, const struct found *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (a->v[i].rule != b->v[i].rule || a->v[i].start != b->v[i].start ||
		    a->v[i].len != b->v[i].len || memcmp(a->v[i].head, b->v[i].head, 8))
			return false;
	return true;
}

static void stream_pieces(const char *buf, size_t len, const size_t *cuts, size_t ncuts,
			  struct found *out)
{
	struct cw_stream *s = cw_stream_open(mt);
	size_t prev = 0;

	memset(out, 0, sizeof(*out));
	if (!s)
		return;
	for (size_t i = 0; i <= ncuts; i++) {
		size_t end = i < ncuts ? cuts[i] : len;

		cw_stream_write(s, buf + prev, end - prev, collect, out);
		prev = end;
	}
	cw_stream_close(s, collect, out);
}

/* Every rule's first example, split in two at every byte offset, in a line of context. */
TEST(stream_secret_split_at_every_offset_is_found_like_a_block_scan)
{
	char err[256];
	size_t checked = 0;

	REQUIRE(setup() == 0);
	for (size_t r = 0; r < rs.n; r++) {
		char buf[4096];
		struct found block, st;
		size_t len = sizeof(buf);

		/*
		 * An example draws random characters, and now and then a draw is rightly filtered
		 * (too little entropy, a run of one character): draw again, as `rules check` does.
		 * What is tested here is that the stream finds what the block scan finds.
		 */
		memset(&block, 0, sizeof(block));
		for (int draw = 0; draw < 8 && !block.n; draw++) {
			char *ex = cw_example_expand(rs.rules[r].examples.v[0], err, sizeof(err));

			REQUIRE(ex);
			len = (size_t)snprintf(buf, sizeof(buf), "lead text\n%s\ntrailing text\n",
					       ex);
			free(ex);
			if (len >= sizeof(buf))
				break;
			REQUIRE(cw_matcher_scan(mt, buf, len, collect, &block) >= 0);
		}
		if (len >= sizeof(buf))
			continue;
		if (!block.n) {
			cw_test_fail(__FILE__, __LINE__, "rule %s: block scan finds nothing",
				     rs.rules[r].id);
			continue;
		}
		for (size_t cut = 0; cut <= len; cut++) {
			stream_pieces(buf, len, &cut, 1, &st);
			if (!same(&block, &st)) {
				cw_test_fail(__FILE__, __LINE__,
					     "rule %s split at %zu: stream found %zu, block %zu",
					     rs.rules[r].id, cut, st.n, block.n);
				break;
			}
			checked++;
		}
	}
	CHECK(checked > 1000);
}

TEST(stream_one_byte_writes_find_every_secret)
{
	char err[256];
	char *a = cw_example_expand("GITHUB_TOKEN=%{gen:github:ghp_}\n", err, sizeof(err));
	char *b = cw_example_expand("aws_secret_access_key = %{alnum:40}\n", err, sizeof(err));
	char buf[512];
	size_t len, cuts[512];
	struct found block = { 0 }, st;

	REQUIRE(setup() == 0);
	REQUIRE(a && b);
	len = (size_t)snprintf(buf, sizeof(buf), "x=1\n%sy=2\n%s", a, b);
	free(a);
	free(b);
	for (size_t i = 0; i + 1 < len; i++)
		cuts[i] = i + 1;
	REQUIRE(cw_matcher_scan(mt, buf, len, collect, &block) == 2);
	stream_pieces(buf, len, cuts, len - 1, &st);
	CHECK(same(&block, &st));
	CHECK_EQ_INT(st.n, 2);
}

/*
 * A long stream: megabytes of filler with secrets at known offsets, in uneven writes. The
 * stream must keep finding them after its history has been trimmed many times, with their
 * offsets in the whole stream.
 */
TEST(stream_long_stream_reports_stream_offsets)
{
	const size_t total = 3u << 20, nsec = 12;
	char *buf = malloc(total), err[256];
	uint64_t where[12];
	struct found st;
	size_t cuts[4096], ncuts = 0, pos = 0;

	REQUIRE(setup() == 0);
	REQUIRE(buf);
	for (size_t i = 0; i < total; i++)
		buf[i] = "lorem ipsum dolor sit amet\n"[i % 27];
	for (size_t k = 0; k < nsec; k++) {
		char *t = cw_example_expand(" %{gen:github:ghp_} ", err, sizeof(err));

		REQUIRE(t);
		where[k] = (total / nsec) * k + 1000 + 37 * k;
		memcpy(buf + where[k], t, strlen(t));
		where[k] += 1; /* the token follows the leading space */
		free(t);
	}
	while (pos < total && ncuts < 4096) {
		pos += 1 + (pos * 7919 + 13) % 4001; /* uneven write sizes */
		if (pos < total)
			cuts[ncuts++] = pos;
	}
	stream_pieces(buf, total, cuts, ncuts, &st);
	REQUIRE(st.n == nsec);
	for (size_t k = 0; k < nsec; k++) {
		CHECK_EQ_INT(st.v[k].start, where[k]);
		CHECK_EQ_INT(st.v[k].len, 40);
		CHECK(!memcmp(st.v[k].head, "ghp_", 4));
	}
	free(buf);
}

/* Two streams interleaved do not see each other's data. */
TEST(stream_interleaved_streams_are_independent)
{
	char err[256];
	char *t = cw_example_expand("%{gen:github:ghp_}", err, sizeof(err));
	struct cw_stream *s1, *s2;
	struct found f1 = { 0 }, f2 = { 0 };

	REQUIRE(setup() == 0);
	REQUIRE(t);
	s1 = cw_stream_open(mt);
	s2 = cw_stream_open(mt);
	REQUIRE(s1 && s2);
	cw_stream_write(s1, "k=", 2, collect, &f1);
	cw_stream_write(s2, "k=", 2, collect, &f2);
	cw_stream_write(s1, t, 20, collect, &f1);      /* first half to stream 1 */
	cw_stream_write(s2, t + 20, 20, collect, &f2); /* second half to stream 2 */
	cw_stream_write(s1, t + 20, 20, collect, &f1);
	cw_stream_write(s2, "\n", 1, collect, &f2);
	cw_stream_close(s1, collect, &f1);
	cw_stream_close(s2, collect, &f2);
	CHECK_EQ_INT(f1.n, 1);
	CHECK_EQ_INT(f1.v[0].start, 2);
	CHECK_EQ_INT(f2.n, 0);
	free(t);
}

/* A stream sent the example, expanded (NULL on a failure, counted); nothing reported yet. */
static struct cw_stream *stream_sent(const char *example, struct found *f)
{
	char err[256];
	char *t = setup() ? NULL : cw_example_expand(example, err, sizeof(err));
	struct cw_stream *s = t ? cw_stream_open(mt) : NULL;

	CHECK(s);
	if (s)
		cw_stream_write(s, t, strlen(t), collect, f);
	CHECK_EQ_INT(f->n, 0);
	free(t);
	return s;
}

/* A match that could still grow is not reported before the close. */
TEST(stream_match_at_the_end_waits_for_more_data)
{
	struct found f = { 0 };
	struct cw_stream *s = stream_sent("pw: postgres://app:%{alnum:20}@db", &f);

	REQUIRE(s);
	cw_stream_write(s, ".internal:5432/app\n", 19, collect, &f);
	cw_stream_close(s, collect, &f);
	CHECK_EQ_INT(f.n, 1);
	if (f.n)
		CHECK_EQ_STR(f.v[0].rule->id, "uri-password");
}

/*
 * A connection that goes quiet right after a request: a secret near the end of what it sent
 * (less than the look-ahead follows it) is reported by the quiet flush, once, not only when
 * the connection closes.
 */
TEST(stream_flush_reports_a_secret_waiting_for_more_data_once)
{
	static const char pad[] = "x-padding: 0123456789abcdef0123456789abcdef0123456789abcdef\r\n";
	struct found f = { 0 };
	struct cw_stream *s = stream_sent("Authorization: token ghp_%{alnum:36}\r\n\r\n", &f);

	REQUIRE(s); /* 4 bytes follow the token: the look-ahead is not there yet */
	CHECK(cw_stream_flush(s, collect, &f) >= 0);
	CHECK_EQ_INT(f.n, 1);
	if (f.n)
		CHECK_EQ_STR(f.v[0].rule->id, "github-pat-classic");
	CHECK(cw_stream_flush(s, collect, &f) >= 0);
	cw_stream_write(s, "GET /next HTTP/1.1\r\n", 20, collect, &f);
	for (int i = 0; i < 8; i++)
		cw_stream_write(s, pad, strlen(pad), collect, &f);
	cw_stream_close(s, collect, &f);
	CHECK_EQ_INT(f.n, 1); /* not again */
}
