// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * credwatch rules profile: what each rule costs. Every rule alone is compiled and run over a
 * sample file; the slowest are listed so a rule author can see which pattern to tighten.
 * Beside the whole set it times the set's keywords alone, as one caseless literal database:
 * the least any prefilter over these rules' context words would cost on the same text.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <hs.h>

#include "cli/commands.h"
#include "util/clock.h"
#include "util/log.h"
#include "detect/matcher.h"
#include "detect/rules.h"

struct cost {
	size_t idx;
	double secs;
	int hits;
};

static int by_time(const void *a, const void *b)
{
	const struct cost *x = a, *y = b;

	return x->secs < y->secs ? 1 : x->secs > y->secs ? -1 : 0;
}

static int count_hit(unsigned id, unsigned long long from, unsigned long long to, unsigned flags,
		     void *arg)
{
	(void)id, (void)from, (void)to, (void)flags;
	(*(unsigned long long *)arg)++;
	return 0;
}

/*
 * Every rule's keywords as one caseless literal database, block mode: seconds for one scan of
 * buf (best of 3) and the keyword hits; a negative time when it cannot be built.
 */
static double time_keywords(const struct cw_ruleset *rs, const char *buf, size_t len,
			    unsigned long long *hits)
{
	const char **lits = NULL;
	size_t *lens = NULL;
	unsigned *flags = NULL, *ids = NULL, n = 0;
	hs_database_t *db = NULL;
	hs_scratch_t *scratch = NULL;
	hs_compile_error_t *cerr = NULL;
	double best = -1;

	for (size_t i = 0; i < rs->n; i++)
		n += (unsigned)rs->rules[i].keywords.n;
	lits = calloc(n + 1, sizeof(*lits));
	lens = calloc(n + 1, sizeof(*lens));
	flags = calloc(n + 1, sizeof(*flags));
	ids = calloc(n + 1, sizeof(*ids));
	if (!n || !lits || !lens || !flags || !ids)
		goto out;
	n = 0;
	for (size_t i = 0; i < rs->n; i++)
		for (size_t k = 0; k < rs->rules[i].keywords.n; k++) {
			lits[n] = rs->rules[i].keywords.v[k];
			lens[n] = strlen(lits[n]);
			flags[n] = HS_FLAG_CASELESS;
			ids[n] = n;
			n++;
		}
	if (hs_compile_lit_multi(lits, flags, ids, lens, n, HS_MODE_BLOCK, NULL, &db, &cerr) !=
	    HS_SUCCESS) {
		cw_log("keyword database: %s", cerr ? cerr->message : "cannot be built");
		hs_free_compile_error(cerr);
		goto out;
	}
	if (hs_alloc_scratch(db, &scratch) != HS_SUCCESS)
		goto out;
	for (int r = 0; r < 3; r++) {
		double t0 = cw_mono_s(), t;

		*hits = 0;
		hs_scan(db, buf, (unsigned)len, 0, scratch, count_hit, hits);
		t = cw_mono_s() - t0;
		if (best < 0 || t < best)
			best = t;
	}
out:
	hs_free_scratch(scratch);
	hs_free_database(db);
	free(lits);
	free(lens);
	free(flags);
	free(ids);
	return best;
}

/* Seconds one scan of buf takes with matcher m (best of 3), and its hit count. */
static double time_scan(struct cw_matcher *m, const char *buf, size_t len, int *hits)
{
	double best = 1e9;

	for (int r = 0; r < 3; r++) {
		double t0 = cw_mono_s();

		*hits = cw_matcher_scan(m, buf, len, NULL, NULL);
		if (cw_mono_s() - t0 < best)
			best = cw_mono_s() - t0;
	}
	return best;
}

/* The sample file, mapped: 0, or -EINVAL with the reason printed. */
static int map_sample(const char *file, char **buf, size_t *len)
{
	struct stat st;
	int fd = open(file, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st) || st.st_size <= 0) {
		cw_log("%s: cannot read a non-empty file", file);
		if (fd >= 0)
			close(fd);
		return -EINVAL;
	}
	*buf = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (*buf == MAP_FAILED) {
		cw_log("%s: cannot map it", file);
		return -EINVAL;
	}
	*len = (size_t)st.st_size;
	return 0;
}

/* The whole set over the sample, then its keywords alone. */
static int profile_all(const struct cw_ruleset *rs, const char *buf, size_t len)
{
	struct cw_matcher *m = NULL;
	char err[1024];
	double all;
	int hits;

	if (cw_matcher_new(rs, &m, err, sizeof(err))) {
		cw_log("%s", err);
		return -EINVAL;
	}
	all = time_scan(m, buf, len, &hits);
	printf("all %zu rules: %.1f MB/s, %d findings\n", rs->n, len / 1048576.0 / all, hits);
	if (len <= UINT_MAX) {
		unsigned long long kw_hits = 0;
		double kw = time_keywords(rs, buf, len, &kw_hits);

		if (kw > 0)
			printf("their keywords alone, one literal database: %.1f MB/s, %llu hits\n",
			       len / 1048576.0 / kw, kw_hits);
	}
	cw_matcher_free(m);
	return 0;
}

/* Every rule compiled alone and timed over the sample, into costs[rs->n]. */
static int profile_each(const struct cw_ruleset *rs, const char *buf, size_t len,
			struct cost *costs)
{
	char err[1024];

	for (size_t i = 0; i < rs->n; i++) {
		struct cw_ruleset one = { .rules = &rs->rules[i], .n = 1 };
		struct cw_matcher *m = NULL;

		costs[i].idx = i;
		if (cw_matcher_new(&one, &m, err, sizeof(err))) {
			cw_log("%s", err);
			return -EINVAL;
		}
		costs[i].secs = time_scan(m, buf, len, &costs[i].hits);
		cw_matcher_free(m);
	}
	return 0;
}

static void print_slowest(const struct cw_ruleset *rs, struct cost *costs, size_t len, int top)
{
	qsort(costs, rs->n, sizeof(*costs), by_time);
	printf("slowest rules alone (MB/s, findings):\n");
	for (int i = 0; i < top && (size_t)i < rs->n; i++)
		printf("  %-40s %10.1f %8d  %s:%d\n", rs->rules[costs[i].idx].id,
		       len / 1048576.0 / costs[i].secs, costs[i].hits, rs->rules[costs[i].idx].file,
		       rs->rules[costs[i].idx].line);
}

int cw_cmd_rules_profile(const char *dir, const char *file, int top)
{
	struct cw_ruleset rs = { 0 };
	struct cost *costs = NULL;
	char err[1024], *buf;
	size_t len;
	int ret = 2;

	setenv("CREDWATCH_CACHE_DIR", "", 1); /* one-rule databases are not worth caching */
	if (map_sample(file, &buf, &len))
		return 2;
	if (cw_rules_load_default(&rs, dir, err, sizeof(err))) {
		cw_log("%s", err);
		goto out;
	}
	if (profile_all(&rs, buf, len))
		goto out;
	costs = calloc(rs.n, sizeof(*costs));
	if (!costs || profile_each(&rs, buf, len, costs))
		goto out;
	print_slowest(&rs, costs, len, top);
	ret = 0;
out:
	free(costs);
	cw_rules_free(&rs);
	munmap(buf, len);
	return ret;
}
