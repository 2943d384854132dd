// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * libFuzzer target: a credential file as any user may write it. Byte 0 picks where it was
 * found (credfile_paths.h); its kind comes from that name and its first bytes
 * (cw_credfile_sniff), as the agent finds it, then its parser reads the rest, with the
 * matcher of the embedded rules for provider tokens. Every finding must lie inside the file,
 * its secret readable for its length, and the text-match filter runs on what was seen.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "credfile_paths.h"
#include "detect/credfile.h"
#include "detect/matcher.h"
#include "detect/rules.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct cw_ruleset rs;
static struct cw_matcher *mt;
static struct cw_credfiles *cf;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char err[512];

	(void)argc;
	(void)argv;
	if (cw_rules_load_embedded(&rs, err, sizeof(err)) ||
	    cw_matcher_new(&rs, &mt, err, sizeof(err)) || cw_credfiles_new(&rs, &cf) || !cf) {
		fprintf(stderr, "fuzz_credfile: cannot set up: %s\n", err);
		abort();
	}
	return 0;
}

struct seen {
	size_t size;
	volatile unsigned sum;
};

static int on_match(const struct cw_match *m, void *arg)
{
	struct seen *s = arg;

	if (!m->rule || !m->rule->id || m->start > s->size)
		abort();
	for (size_t i = 0; i < m->len; i++)
		s->sum += (uint8_t)m->secret[i];
	for (const char *f = m->field; f && *f; f++)
		s->sum += (uint8_t)*f;
	if (cw_strength_name(m->strength)) /* NULL: no strength class (not a password) */
		s->sum += (unsigned)cw_strength_name(m->strength)[0];
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cw_credfile_seen seen = { 0 };
	struct seen s = { 0 };
	const char *path, *p = (const char *)data + 1;
	enum cw_credfile_kind k;
	int n;

	if (size < 1)
		return 0;
	path = credfile_paths[data[0] % CREDFILE_PATHS];
	s.size = size - 1;
	k = cw_credfile_sniff(path, p, s.size);
	if (k >= CW_CF_COUNT)
		abort();
	n = cw_credfile_scan(cf, mt, k, p, s.size, path, &seen, on_match, &s);
	if (n < 0 && n != -ENOMEM)
		abort();
	for (size_t i = 0; i < seen.n; i++) {
		struct cw_match m = { .rule = seen.v[i].rule, .start = seen.v[i].start, .len = 1 };

		if (seen.v[i].start > seen.v[i].end || seen.v[i].end > s.size)
			abort();
		s.sum += cw_credfile_covers(&seen, &m);
	}
	cw_credfile_seen_free(&seen);
	return 0;
}
