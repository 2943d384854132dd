// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The matcher in block mode: every rule against its examples, offsets, overlaps, filters. */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "detect/example_gen.h"
#include "detect/matcher.h"
#include "detect/rules.h"
#include "test.h"
#include "testutil.h"

/* The embedded rules and the shared matcher (see tu_embedded). */
struct env {
	const struct cw_ruleset *rs;
	struct cw_matcher *m;
};

static bool setup(struct env *e)
{
	char err[1024];

	if (tu_embedded(&e->rs, &e->m, err, sizeof(err))) {
		cw_test_fail(__FILE__, __LINE__, "setup: %s", err);
		return false;
	}
	return true;
}

static void teardown(struct env *e)
{
	(void)e; /* shared: freed at exit */
}

static long rule_index(const struct env *e, const char *id)
{
	for (size_t i = 0; i < e->rs->n; i++)
		if (!strcmp(e->rs->rules[i].id, id))
			return (long)i;
	return -1;
}

#define MAX_HITS 32

struct hits {
	size_t n;
	int stop_after; /* callback returns 1 after this many calls; 0 never */
	struct {
		const char *id;
		size_t start, len;
	} h[MAX_HITS];
};

static int collect(const struct cw_match *m, void *arg)
{
	struct hits *hs = arg;

	if (hs->n < MAX_HITS) {
		hs->h[hs->n].id = m->rule->id;
		hs->h[hs->n].start = m->start;
		hs->h[hs->n].len = m->len;
	}
	hs->n++;
	return hs->stop_after && (int)hs->n >= hs->stop_after;
}

/* Scan a private heap copy of exactly len bytes (no NUL after it), so ASan sees overreads. */
static int scan(struct env *e, const char *buf, size_t len, struct hits *hs)
{
	char *copy = malloc(len ? len : 1);
	int ret;

	if (!copy)
		return -ENOMEM;
	memcpy(copy, buf, len);
	ret = cw_matcher_scan(e->m, copy, len, collect, hs);
	free(copy);
	return ret;
}

#define EXAMPLE_ROUNDS 16

/*
 * Expand example k of rule i EXAMPLE_ROUNDS times (fresh random bytes each time); returns how
 * many expansions the rule missed (positive) or matched (negative), or -1 on a bad template.
 */
static int example_misses(struct env *e, size_t i, const char *tmpl, bool neg)
{
	char err[256];
	int bad = 0;

	for (int round = 0; round < EXAMPLE_ROUNDS; round++) {
		char *ex = cw_example_expand(tmpl, err, sizeof(err));
		int hits;

		if (!ex) {
			cw_test_fail(__FILE__, __LINE__, "%s: bad template %s: %s",
				     e->rs->rules[i].id, tmpl, err);
			return -1;
		}
		hits = cw_matcher_count_rule(e->m, i, ex, strlen(ex));
		bad += neg ? hits != 0 : hits < 1;
		free(ex);
	}
	return bad;
}

/*
 * Negative examples must never match. A positive example may miss once in EXAMPLE_ROUNDS:
 * random characters sometimes fall under a rule's entropy gate (AKIA + 16 base32 drops under
 * 3 bits about once in 5000), but a rule that misses twice is broken.
 */
TEST(matcher_every_rule_finds_its_examples_and_not_its_negatives)
{
	struct env e;
	size_t checked = 0;

	if (!setup(&e))
		return;
	for (size_t i = 0; i < e.rs->n; i++) {
		const struct cw_rule *r = &e.rs->rules[i];

		for (int neg = 0; neg < 2; neg++) {
			const struct cw_strv *v = neg ? &r->negative_examples : &r->examples;

			for (size_t k = 0; k < v->n; k++) {
				int bad = example_misses(&e, i, v->v[k], neg);

				if (bad < 0 || bad > (neg ? 0 : 1))
					cw_test_fail(__FILE__, __LINE__,
						     "rule %s: %s example \"%s\": %d of %d wrong",
						     r->id, neg ? "negative" : "positive", v->v[k],
						     bad, EXAMPLE_ROUNDS);
				checked++;
			}
		}
	}
	CHECK(checked >= 2 * 20);
	CHECK_EQ_INT(cw_matcher_count_rule(e.m, e.rs->n, "x", 1), -EINVAL);
	teardown(&e);
}

TEST(matcher_github_classic_token_exact_offset_and_length)
{
	static const char *const before[] = { "clone with ", "TOKEN=", "x\0y ", "", "'", "\n\n" };
	static const size_t before_len[] = { 11, 6, 4, 0, 1, 2 };
	struct env e;
	char *tok = tu_github_token();
	char buf[256];

	if (!setup(&e)) {
		free(tok);
		return;
	}
	REQUIRE(strlen(tok) == 40);
	for (size_t i = 0; i < sizeof(before) / sizeof(before[0]); i++) {
		struct hits hs = { 0 };
		size_t len = 0;

		memcpy(buf, before[i], before_len[i]);
		len += before_len[i];
		memcpy(buf + len, tok, 40);
		len += 40;
		/* the last case ends the buffer right after the token */
		if (i + 1 < sizeof(before) / sizeof(before[0])) {
			memcpy(buf + len, " now.\n", 6);
			len += 6;
		}
		CHECK_EQ_INT(scan(&e, buf, len, &hs), 1);
		if (hs.n != 1) {
			cw_test_fail(__FILE__, __LINE__, "case %zu: %zu matches", i, hs.n);
			continue;
		}
		CHECK_EQ_STR(hs.h[0].id, "github-pat-classic");
		CHECK_EQ_INT(hs.h[0].start, before_len[i]);
		CHECK_EQ_INT(hs.h[0].len, 40);
	}
	/* "TOKEN=ghp_..." also fits the generic assignment rule: the provider rule wins */
	{
		long g = rule_index(&e, "generic-secret-assignment");
		char s[64];

		snprintf(s, sizeof(s), "TOKEN=%s", tok);
		REQUIRE(g >= 0);
		CHECK_EQ_INT(cw_matcher_count_rule(e.m, (size_t)g, s, strlen(s)), 1);
	}
	teardown(&e);
	free(tok);
}

TEST(matcher_aws_key_pair_overlap_resolved_by_priority)
{
	struct env e;
	char *id = tu_strong("AKIA%{base32:16}", 3.4);
	char *secret = tu_strong("%{base64:40}", 4.4);
	char buf[256];
	struct hits hs = { 0 };
	int len;
	long g;

	if (!setup(&e))
		goto out;
	len = snprintf(buf, sizeof(buf), "AWS_ACCESS_KEY_ID=%s\nAWS_SECRET_ACCESS_KEY=%s\n", id,
		       secret);
	CHECK_EQ_INT(scan(&e, buf, (size_t)len, &hs), 2);
	REQUIRE(hs.n == 2);
	CHECK_EQ_STR(hs.h[0].id, "aws-access-key-id");
	CHECK_EQ_INT(hs.h[0].start, 18);
	CHECK_EQ_INT(hs.h[0].len, 20);
	CHECK_EQ_STR(hs.h[1].id, "aws-secret-access-key");
	CHECK_EQ_INT(hs.h[1].start, 18 + 20 + 1 + 22);
	CHECK_EQ_INT(hs.h[1].len, 40);
	CHECK(!memcmp(buf + hs.h[1].start, secret, 40));
	/* the generic rule does match those bytes on its own: it lost on priority */
	g = rule_index(&e, "generic-secret-assignment");
	REQUIRE(g >= 0);
	CHECK(cw_matcher_count_rule(e.m, (size_t)g, buf, (size_t)len) >= 1);
	CHECK(e.rs->rules[g].priority < CW_RULE_DEFAULT_PRIORITY);
	teardown(&e);
out:
	free(id);
	free(secret);
}

TEST(matcher_entropy_gate)
{
	struct cw_ruleset rs = { 0 };
	struct cw_matcher *m = NULL;
	struct env e;
	char err[512], buf[64];
	long gh;

	/* the shipped rule: the right shape, but one repeated letter (also a placeholder) */
	if (!setup(&e))
		return;
	gh = rule_index(&e, "github-pat-classic");
	REQUIRE(gh >= 0);
	CHECK(e.rs->rules[gh].entropy == 3.0);
	memcpy(buf, "ghp_", 4);
	memset(buf + 4, 'a', 36);
	CHECK_EQ_INT(cw_matcher_count_rule(e.m, (size_t)gh, buf, 40), 0);
	{
		struct hits hs = { 0 };

		CHECK_EQ_INT(scan(&e, buf, 40, &hs), 0);
	}
	teardown(&e);

	/* the same pattern with and without a gate */
	{
		static const char y[] =
			"rules:\n"
			"  - {id: gated, name: G, pattern: '\\b(zq_[a-z]{16})\\b', entropy: 3.0}\n"
			"  - {id: open, name: O, pattern: '\\b(zq_[a-z]{16})\\b'}\n";

		REQUIRE(cw_rules_load_buf(&rs, "e.yaml", y, sizeof(y) - 1, err, sizeof(err)) == 0);
	}
	REQUIRE(cw_matcher_new(&rs, &m, err, sizeof(err)) == 0);
	/*
	 * Low entropy, but no placeholder (no run of 6, no "abcdefgh"): only the gate drops it.
	 * z, q, _ once and a, b eight times each: about 1.72 bits.
	 */
	CHECK(cw_entropy("zq_aabbaabbaabbaabb", 19) < 2.0);
	CHECK_EQ_INT(cw_matcher_count_rule(m, 0, "zq_aabbaabbaabbaabb", 19), 0);
	CHECK_EQ_INT(cw_matcher_count_rule(m, 1, "zq_aabbaabbaabbaabb", 19), 1);
	/* 19 distinct bytes: log2(19) = 4.25 bits */
	CHECK_EQ_INT(cw_matcher_count_rule(m, 0, "zq_qwfpgjluyrstdhne", 19), 1);
	CHECK_EQ_INT(cw_matcher_count_rule(m, 1, "zq_qwfpgjluyrstdhne", 19), 1);
	/* repeats are fine while the entropy stays above the gate: about 3.2 bits here */
	CHECK(cw_entropy("zq_qwfpgjluqwfpgjlu", 19) > 3.0);
	CHECK_EQ_INT(cw_matcher_count_rule(m, 0, "zq_qwfpgjluqwfpgjlu", 19), 1);
	cw_matcher_free(m);
	cw_rules_free(&rs);
}

TEST(matcher_entropy_exact_values)
{
	unsigned char all[256];

	for (int i = 0; i < 256; i++)
		all[i] = (unsigned char)i;
	CHECK(cw_entropy("", 0) == 0.0);
	CHECK(cw_entropy("aaaa", 4) == 0.0);
	CHECK(cw_entropy("a", 1) == 0.0);
	CHECK(cw_entropy("ab", 2) == 1.0);
	CHECK(cw_entropy("aabb", 4) == 1.0);
	CHECK(cw_entropy("abcd", 4) == 2.0);
	CHECK(cw_entropy("abcdefgh", 8) == 3.0);
	CHECK(cw_entropy((const char *)all, 256) == 8.0);
	/* only n bytes count */
	CHECK(cw_entropy("abcd", 2) == 1.0);
	/* 3/4 * log2(4/3) + 1/4 * 2 = 0.811278... */
	{
		double h = cw_entropy("aaab", 4);

		CHECK(h > 0.8112781 && h < 0.8112782);
	}
}

TEST(matcher_matches_in_increasing_offset_order)
{
	struct env e;
	char *npm = tu_npm_token();
	char *gh = tu_github_token();
	char *gl = tu_strong("glpat-%{alnum:20}", 3.8);
	char *aws = tu_strong("AKIA%{base32:16}", 3.4);
	char *gh2 = tu_github_token();
	char buf[512];
	struct hits hs = { 0 };
	size_t off[5];
	int len = 0;

	if (!setup(&e))
		goto out;
	/* Deliberately not in rule order: later rules' secrets come first. */
	len += snprintf(buf + len, sizeof(buf) - len, "first ");
	off[0] = (size_t)len;
	len += snprintf(buf + len, sizeof(buf) - len, "%s then ", aws);
	off[1] = (size_t)len;
	len += snprintf(buf + len, sizeof(buf) - len, "%s, ", npm);
	off[2] = (size_t)len;
	len += snprintf(buf + len, sizeof(buf) - len, "%s ", gl);
	off[3] = (size_t)len;
	len += snprintf(buf + len, sizeof(buf) - len, "%s ", gh);
	off[4] = (size_t)len;
	len += snprintf(buf + len, sizeof(buf) - len, "%s.", gh2);
	CHECK_EQ_INT(scan(&e, buf, (size_t)len, &hs), 5);
	REQUIRE(hs.n == 5);
	for (size_t i = 0; i < 5; i++)
		CHECK_EQ_INT(hs.h[i].start, off[i]);
	CHECK_EQ_STR(hs.h[0].id, "aws-access-key-id");
	CHECK_EQ_STR(hs.h[1].id, "npm-access-token");
	CHECK_EQ_STR(hs.h[2].id, "gitlab-pat");
	CHECK_EQ_STR(hs.h[3].id, "github-pat-classic");
	CHECK_EQ_STR(hs.h[4].id, "github-pat-classic");
	CHECK_EQ_INT(hs.h[0].len, 20);
	CHECK_EQ_INT(hs.h[1].len, 40);
	CHECK_EQ_INT(hs.h[2].len, 26);
	CHECK_EQ_INT(hs.h[3].len, 40);
	CHECK_EQ_INT(hs.h[4].len, 40);

	/* random filler around secrets: offsets still strictly increasing */
	tu_seed(0x6d61746368);
	for (int it = 0; it < 200; it++) {
		struct hits h2 = { 0 };
		size_t n = 0;

		while (n < 400) {
			size_t k = tu_below(4);

			if (k == 0 && n + 41 < sizeof(buf)) {
				buf[n++] = ' ';
				memcpy(buf + n, tu_below(2) ? gh : gh2, 40);
				n += 40;
			} else {
				buf[n++] = " \n=:-_aZ9\"'"[tu_below(11)];
			}
		}
		CHECK(scan(&e, buf, n, &h2) >= 0);
		for (size_t i = 1; i < h2.n && i < MAX_HITS; i++)
			if (h2.h[i].start <= h2.h[i - 1].start)
				cw_test_fail(__FILE__, __LINE__,
					     "iteration %d: match %zu at %zu after %zu", it, i,
					     h2.h[i].start, h2.h[i - 1].start);
	}
	teardown(&e);
out:
	free(npm);
	free(gh);
	free(gl);
	free(aws);
	free(gh2);
}

TEST(matcher_callback_nonzero_stops_the_scan)
{
	struct env e;
	char *a = tu_github_token();
	char *b = tu_npm_token();
	char *c = tu_github_token();
	char buf[256];
	int len;

	if (!setup(&e))
		goto out;
	len = snprintf(buf, sizeof(buf), "%s %s %s", a, b, c);
	for (int stop = 1; stop <= 3; stop++) {
		struct hits hs = { .stop_after = stop };
		int ret = scan(&e, buf, (size_t)len, &hs);

		CHECK_EQ_INT(hs.n, stop);
		CHECK_EQ_INT(ret, stop);
	}
	/* without a callback: the count */
	CHECK_EQ_INT(cw_matcher_scan(e.m, buf, (size_t)len, NULL, NULL), 3);
	/* an empty buffer */
	CHECK_EQ_INT(cw_matcher_scan(e.m, "", 0, NULL, NULL), 0);
	/* the matcher is reusable after a stopped scan */
	{
		struct hits hs = { 0 };

		CHECK_EQ_INT(scan(&e, buf, (size_t)len, &hs), 3);
		CHECK_EQ_INT(hs.n, 3);
		CHECK_EQ_INT(hs.h[2].start, 82);
	}
	teardown(&e);
out:
	free(a);
	free(b);
	free(c);
}

TEST(matcher_token_boundaries)
{
	struct env e;
	char *tok = tu_github_token();
	char buf[128];
	struct hits hs;

	if (!setup(&e))
		goto out;
	/* glued to a word character on either side: not a token */
	snprintf(buf, sizeof(buf), "x%s", tok);
	hs = (struct hits){ 0 };
	CHECK_EQ_INT(scan(&e, buf, strlen(buf), &hs), 0);
	snprintf(buf, sizeof(buf), "%s9", tok);
	hs = (struct hits){ 0 };
	CHECK_EQ_INT(scan(&e, buf, strlen(buf), &hs), 0);
	/* cut short by the buffer length */
	hs = (struct hits){ 0 };
	CHECK_EQ_INT(scan(&e, tok, 39, &hs), 0);
	/* after a NUL byte, and twice in a row */
	memcpy(buf, "\0", 1);
	memcpy(buf + 1, tok, 40);
	buf[41] = ' ';
	memcpy(buf + 42, tok, 40);
	hs = (struct hits){ 0 };
	CHECK_EQ_INT(scan(&e, buf, 82, &hs), 2);
	CHECK_EQ_INT(hs.h[0].start, 1);
	CHECK_EQ_INT(hs.h[1].start, 42);
	/* the keyword prefilter is case-insensitive, the pattern is not */
	memcpy(buf, tok, 41);
	memcpy(buf, "GHP_", 4);
	hs = (struct hits){ 0 };
	CHECK_EQ_INT(scan(&e, buf, 40, &hs), 0);
	teardown(&e);
out:
	free(tok);
}

/* Per thread: a clone of one matcher scanning the same text many times. */
struct clone_run {
	struct cw_matcher *m;
	const char *buf;
	size_t len;
	struct hits first; /* the first scan's hits */
	int differing;	   /* later scans whose hits differ from the first */
	int errors;
};

static void *clone_scan(void *arg)
{
	struct clone_run *r = arg;

	for (int i = 0; i < 40; i++) {
		struct hits hs = { 0 };

		if (cw_matcher_scan(r->m, r->buf, r->len, collect, &hs) < 0)
			r->errors++;
		if (i == 0)
			r->first = hs;
		else if (hs.n != r->first.n || memcmp(hs.h, r->first.h, sizeof(hs.h)))
			r->differing++;
	}
	return NULL;
}

/*
 * Clones share one matcher's rules and databases from several threads at once: each finds
 * exactly what the matcher finds alone, including on a fresh matcher whose patterns are
 * JIT-compiled by whichever thread confirms them first, and a clone's streams work.
 */
TEST(matcher_clones_scan_from_threads_like_the_original)
{
	struct env e;
	struct cw_matcher *fresh = NULL, *cl[4] = { 0 };
	struct clone_run run[4];
	pthread_t tid[4];
	struct hits ref = { 0 }, sh = { 0 };
	char *gh = tu_github_token(), *npm = tu_npm_token();
	char *gl = tu_strong("glpat-%{alnum:20}", 3.8), *aws = tu_strong("AKIA%{base32:16}", 3.4);
	char buf[4096], err[1024];
	struct cw_stream *st;
	int len = 0;

	if (!setup(&e))
		goto out;
	REQUIRE(cw_matcher_new(e.rs, &fresh, err, sizeof(err)) == 0);
	for (int i = 0; i < 20; i++)
		len += snprintf(buf + len, sizeof(buf) - (size_t)len,
				"line %d token=%s\nnpm %s x %s aws=%s\n", i, gh, npm, gl, aws);
	for (int i = 0; i < 4; i++) {
		REQUIRE(cw_matcher_clone(fresh, &cl[i]) == 0);
		run[i] = (struct clone_run){ .m = cl[i], .buf = buf, .len = (size_t)len };
	}
	for (int i = 0; i < 4; i++)
		REQUIRE(pthread_create(&tid[i], NULL, clone_scan, &run[i]) == 0);
	for (int i = 0; i < 4; i++)
		pthread_join(tid[i], NULL);
	CHECK_EQ_INT(cw_matcher_scan(e.m, buf, (size_t)len, collect, &ref), 80);
	CHECK_EQ_INT(ref.n, 80);
	for (int i = 0; i < 4; i++) {
		CHECK_EQ_INT(run[i].errors, 0);
		CHECK_EQ_INT(run[i].differing, 0);
		CHECK_EQ_INT(run[i].first.n, ref.n);
		CHECK(!memcmp(run[i].first.h, ref.h, sizeof(ref.h)));
	}
	/* a token split across two writes of a clone's stream */
	st = cw_stream_open(cl[0]);
	REQUIRE(st != NULL);
	CHECK(cw_stream_write(st, "t=", 2, collect, &sh) >= 0);
	CHECK(cw_stream_write(st, gh, 17, collect, &sh) >= 0);
	CHECK(cw_stream_write(st, gh + 17, 23, collect, &sh) >= 0);
	CHECK(cw_stream_close(st, collect, &sh) >= 0);
	CHECK_EQ_INT(sh.n, 1);
	CHECK_EQ_INT(sh.h[0].start, 2);
	CHECK_EQ_STR(sh.h[0].id, "github-pat-classic");
	teardown(&e);
out:
	for (int i = 0; i < 4; i++)
		cw_matcher_free(cl[i]);
	cw_matcher_free(fresh);
	free(gh);
	free(npm);
	free(gl);
	free(aws);
}

/* One rule set of its own: rs and m, or a test failure. */
static bool own_rules(const char *yaml, struct cw_ruleset *rs, struct cw_matcher **m)
{
	char err[512];

	if (cw_rules_load_buf(rs, "own.yaml", yaml, strlen(yaml), err, sizeof(err)) ||
	    cw_matcher_new(rs, m, err, sizeof(err))) {
		cw_test_fail(__FILE__, __LINE__, "own rules: %s", err);
		return false;
	}
	return true;
}

static int scan_own(struct cw_matcher *m, const char *buf, struct hits *hs)
{
	*hs = (struct hits){ 0 };
	return cw_matcher_scan(m, buf, strlen(buf), collect, hs);
}

/*
 * The group named "secret" is the secret wherever it is; ignore_keys are compared with the
 * group named "key", ignore_values with the secret, ignore_lines with its line up to it.
 */
TEST(matcher_named_groups_and_ignore_fields)
{
	static const char yaml[] = "rules:\n"
				   "  - id: kv\n"
				   "    name: KV\n"
				   "    pattern: '(?<key>[A-Za-z_]+)=(?<secret>[A-Za-z0-9]{10,})'\n"
				   "    keywords: ['=']\n"
				   "    ignore_keys: [nexttoken, pagetoken]\n"
				   "    ignore_values: ['^0x']\n"
				   "    ignore_lines: ['^skip ']\n";
	struct cw_ruleset rs = { 0 };
	struct cw_matcher *m = NULL;
	struct hits hs;

	if (!own_rules(yaml, &rs, &m))
		goto out;
	CHECK_EQ_INT(scan_own(m, "api_token=Q7vX2mK9pLw", &hs), 1);
	CHECK_EQ_INT(hs.h[0].start, 10);
	CHECK_EQ_INT(hs.h[0].len, 11);
	CHECK_EQ_INT(scan_own(m, "next_token=Q7vX2mK9pLw", &hs), 0);
	CHECK_EQ_INT(scan_own(m, "NextPageToken=Q7vX2mK9pLw", &hs), 0);
	CHECK_EQ_INT(scan_own(m, "a=0xQ7vX2mK9pLw", &hs), 0);
	CHECK_EQ_INT(scan_own(m, "skip a=Q7vX2mK9pLw", &hs), 0);
	CHECK_EQ_INT(scan_own(m, "a=Q7vX2mK9pLw skip b", &hs), 1);
	CHECK_EQ_INT(scan_own(m, "skip x\na=Q7vX2mK9pLw", &hs), 1);
out:
	cw_matcher_free(m);
	cw_rules_free(&rs);
}

TEST(matcher_ignore_fields_name_their_rule_when_wrong)
{
	struct cw_ruleset rs = { 0 };
	struct cw_matcher *m = NULL;
	char err[512];
	static const char nokey[] = "rules:\n  - id: nk\n    name: N\n    pattern: 'a=(\\w+)'\n"
				    "    ignore_keys: [nexttoken]\n";
	static const char badre[] = "rules:\n  - id: br\n    name: B\n    pattern: 'a=(\\w+)'\n"
				    "    ignore_values: ['(']\n";

	REQUIRE(cw_rules_load_buf(&rs, "nk.yaml", nokey, strlen(nokey), err, sizeof(err)) == 0);
	CHECK_EQ_INT(cw_matcher_new(&rs, &m, err, sizeof(err)), -EINVAL);
	CHECK_CONTAINS(err, "nk.yaml:2: rule 'nk': ignore_keys needs a group named key");
	cw_rules_free(&rs);
	REQUIRE(cw_rules_load_buf(&rs, "br.yaml", badre, strlen(badre), err, sizeof(err)) == 0);
	CHECK_EQ_INT(cw_matcher_new(&rs, &m, err, sizeof(err)), -EINVAL);
	CHECK_CONTAINS(err, "br.yaml:2: rule 'br': ignore_values does not compile");
	cw_rules_free(&rs);
}

/* The embedded rules: a pagination token is no secret, a provider prefix in a digest no token. */
TEST(matcher_embedded_rules_skip_listed_keys_and_encoded_runs)
{
	struct env e;
	char *val = tu_strong("%{alnum:30}%{digit:2}", 3.5);
	char *tok = tu_github_token();
	char buf[256];
	struct hits hs;

	if (!setup(&e))
		goto out;
	snprintf(buf, sizeof(buf), "{\"NextToken\": \"%s\"}", val);
	hs = (struct hits){ 0 };
	CHECK_EQ_INT(scan(&e, buf, strlen(buf), &hs), 0);
	snprintf(buf, sizeof(buf), "{\"api_token\": \"%s\"}", val);
	hs = (struct hits){ 0 };
	CHECK_EQ_INT(scan(&e, buf, strlen(buf), &hs), 1);
	CHECK_EQ_STR(hs.h[0].id, "generic-secret-assignment");
	snprintf(buf, sizeof(buf), "a.py,sha256=Qa9-%s,160", tok);
	hs = (struct hits){ 0 };
	CHECK_EQ_INT(scan(&e, buf, strlen(buf), &hs), 0);
	snprintf(buf, sizeof(buf), "GITHUB_TOKEN=%s", tok);
	hs = (struct hits){ 0 };
	CHECK_EQ_INT(scan(&e, buf, strlen(buf), &hs), 1);
	teardown(&e);
out:
	free(val);
	free(tok);
}
