// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * First matcher: one PCRE2 (JIT) program per rule behind a case-insensitive keyword prefilter.
 * Group 1 of a pattern is the secret; without groups the whole match is.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcre2.h>

#include "matcher.h"

struct compiled {
	const struct cw_rule *rule;
	pcre2_code *re;
	char **kw_lower;	/* keywords, lower-cased */
	size_t *kw_len;
};

struct cw_matcher {
	struct compiled *c;
	size_t n;
	pcre2_match_data *md;
	struct cw_match *hits;
	size_t nhits, caphits;
	char *lower;		/* lower-cased copy of the buffer, for the prefilter */
	size_t lower_cap;
};

double cw_entropy(const char *s, size_t n)
{
	size_t count[256] = { 0 };
	double h = 0;

	if (!n)
		return 0;
	for (size_t i = 0; i < n; i++)
		count[(unsigned char)s[i]]++;
	for (int i = 0; i < 256; i++) {
		if (count[i]) {
			double p = (double)count[i] / (double)n;

			h -= p * log2(p);
		}
	}
	return h;
}

void cw_matcher_free(struct cw_matcher *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n; i++) {
		pcre2_code_free(m->c[i].re);
		for (size_t k = 0; k < m->c[i].rule->keywords.n; k++)
			free(m->c[i].kw_lower[k]);
		free(m->c[i].kw_lower);
		free(m->c[i].kw_len);
	}
	free(m->c);
	pcre2_match_data_free(m->md);
	free(m->hits);
	free(m->lower);
	free(m);
}

int cw_matcher_new(const struct cw_ruleset *rs, struct cw_matcher **out, char *err, size_t errlen)
{
	struct cw_matcher *m = calloc(1, sizeof(*m));
	int ret = 0;

	if (!m || !(m->c = calloc(rs->n ? rs->n : 1, sizeof(*m->c)))) {
		free(m);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (size_t i = 0; i < rs->n; i++) {
		const struct cw_rule *r = &rs->rules[i];
		struct compiled *c = &m->c[i];
		PCRE2_SIZE eoff;
		int ecode;

		c->rule = r;
		c->re = pcre2_compile((PCRE2_SPTR)r->pattern, PCRE2_ZERO_TERMINATED, 0, &ecode,
				      &eoff, NULL);
		if (!c->re) {
			PCRE2_UCHAR msg[256];

			pcre2_get_error_message(ecode, msg, sizeof(msg));
			snprintf(err, errlen, "%s:%d: rule '%s': pattern does not compile at "
				 "offset %zu: %s", r->file, r->line, r->id, (size_t)eoff, msg);
			ret = -EINVAL;
			break;
		}
		m->n = i + 1;
		/* JIT is an optimisation: without it (e.g. W^X policies) matching still works. */
		pcre2_jit_compile(c->re, PCRE2_JIT_COMPLETE);
		c->kw_lower = calloc(r->keywords.n + 1, sizeof(char *));
		c->kw_len = calloc(r->keywords.n + 1, sizeof(size_t));
		if (!c->kw_lower || !c->kw_len) {
			ret = -ENOMEM;
			break;
		}
		for (size_t k = 0; k < r->keywords.n; k++) {
			char *s = strdup(r->keywords.v[k]);

			if (!s) {
				ret = -ENOMEM;
				break;
			}
			for (char *p = s; *p; p++)
				*p = (char)tolower((unsigned char)*p);
			c->kw_lower[k] = s;
			c->kw_len[k] = strlen(s);
		}
		if (ret)
			break;
	}
	if (!ret && !(m->md = pcre2_match_data_create(16, NULL)))
		ret = -ENOMEM;
	if (ret) {
		if (ret == -ENOMEM)
			snprintf(err, errlen, "out of memory");
		cw_matcher_free(m);
		return ret;
	}
	*out = m;
	return 0;
}

static bool keyword_hit(const struct compiled *c, const char *lower, size_t len)
{
	if (!c->rule->keywords.n)
		return true;
	for (size_t k = 0; k < c->rule->keywords.n; k++)
		if (memmem(lower, len, c->kw_lower[k], c->kw_len[k]))
			return true;
	return false;
}

static int add_hit(struct cw_matcher *m, const struct cw_rule *r, size_t start, size_t len)
{
	if (m->nhits == m->caphits) {
		size_t ncap = m->caphits ? m->caphits * 2 : 16;
		struct cw_match *nh = realloc(m->hits, ncap * sizeof(*nh));

		if (!nh)
			return -ENOMEM;
		m->hits = nh;
		m->caphits = ncap;
	}
	m->hits[m->nhits++] = (struct cw_match){ .rule = r, .start = start, .len = len };
	return 0;
}

static int scan_rule(struct cw_matcher *m, const struct compiled *c, const char *buf, size_t len)
{
	PCRE2_SIZE off = 0, *ov;
	int rc, ret;

	while (off <= len) {
		rc = pcre2_match(c->re, (PCRE2_SPTR)buf, len, off, 0, m->md, NULL);
		if (rc == PCRE2_ERROR_NOMATCH)
			return 0;
		if (rc < 0)	/* match limit or similar: the buffer is skipped for this rule */
			return 0;
		ov = pcre2_get_ovector_pointer(m->md);
		size_t s = ov[0], e = ov[1];

		if (rc >= 2 && ov[2] != PCRE2_UNSET) {
			s = ov[2];
			e = ov[3];
		}
		if (e > s && (c->rule->entropy <= 0 ||
			      cw_entropy(buf + s, e - s) >= c->rule->entropy)) {
			ret = add_hit(m, c->rule, s, e - s);
			if (ret)
				return ret;
		}
		off = ov[1] > ov[0] ? ov[1] : ov[0] + 1;
	}
	return 0;
}

static int hit_cmp(const void *a, const void *b)
{
	const struct cw_match *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	if (x->rule->priority != y->rule->priority)
		return x->rule->priority > y->rule->priority ? -1 : 1;
	return x->rule < y->rule ? -1 : (x->rule > y->rule);
}

static bool overlaps(const struct cw_match *a, const struct cw_match *b)
{
	return a->start < b->start + b->len && b->start < a->start + a->len;
}

int cw_matcher_scan(struct cw_matcher *m, const char *buf, size_t len, cw_match_cb cb, void *arg)
{
	size_t i, j, kept = 0;
	int ret;

	if (m->lower_cap < len + 1) {
		char *nl = realloc(m->lower, len + 1);

		if (!nl)
			return -ENOMEM;
		m->lower = nl;
		m->lower_cap = len + 1;
	}
	for (i = 0; i < len; i++)
		m->lower[i] = (char)tolower((unsigned char)buf[i]);
	m->nhits = 0;
	for (i = 0; i < m->n; i++) {
		if (!keyword_hit(&m->c[i], m->lower, len))
			continue;
		ret = scan_rule(m, &m->c[i], buf, len);
		if (ret)
			return ret;
	}
	if (m->nhits > 1)
		qsort(m->hits, m->nhits, sizeof(*m->hits), hit_cmp);
	/* Resolve overlaps: a hit survives unless a better one already covers its bytes. */
	for (i = 0; i < m->nhits; i++) {
		bool beaten = false;

		for (j = 0; j < m->nhits && !beaten; j++) {
			const struct cw_match *o = &m->hits[j];

			if (j == i || !overlaps(&m->hits[i], o))
				continue;
			if (o->rule->priority > m->hits[i].rule->priority ||
			    (o->rule->priority == m->hits[i].rule->priority &&
			     (o->len > m->hits[i].len ||
			      (o->len == m->hits[i].len && j < i))))
				beaten = true;
		}
		if (beaten)
			continue;
		kept++;
		if (cb && cb(&m->hits[i], arg))
			break;
	}
	return (int)kept;
}

int cw_matcher_count_rule(struct cw_matcher *m, size_t idx, const char *buf, size_t len)
{
	int ret;

	if (idx >= m->n)
		return -EINVAL;
	m->nhits = 0;
	ret = scan_rule(m, &m->c[idx], buf, len);
	return ret ? ret : (int)m->nhits;
}
