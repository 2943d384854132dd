// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The matcher. Vectorscan finds where each rule may end (exactly, or as a prefilter for
 * patterns it cannot take whole); PCRE2 (JIT) confirms in a window ending there and extracts
 * the secret. Vectorscan alone gives no start offsets or captures at speed, PCRE2 alone cannot
 * run hundreds of rules over every byte: together they do both.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>

#include <hs.h>
#include <pcre2.h>

#include <openssl/evp.h>

#include "detect/context.h"
#include "detect/dbcache.h"
#include "detect/decode.h"
#include "util/grow.h"
#include "detect/matcher.h"
#include "detect/placeholder.h"
#include "detect/validate.h"

#define CW_WINDOW_MAX (16u << 10) /* longest match a confirm window covers */
#define CW_LOOKAHEAD 256	  /* bytes past a hit the confirm may need (\b, (?!...)) */
#define CW_LINE_BACK 512	  /* how much of a secret's line ignore_lines see */
/*
 * A stream holds a confirmed hit until this much data follows it (or cw_stream_flush, or the
 * close), so that a better hit of another rule on the same bytes, confirmed a write later,
 * still wins over it as it does in a block scan.
 */
#define CW_STREAM_HOLD 1024
#define CW_RECENT 16 /* emitted hits a stream remembers, for overlaps */

struct compiled {
	const struct cw_rule *rule;
	pcre2_code *re;
	int jitted; /* JIT-compiled: on the rule's first confirmation (atomic) */
	enum cw_engine engine;
	size_t width;	 /* longest match, capped at CW_WINDOW_MAX */
	char **kw_lower; /* keywords, lower-cased */
	size_t *kw_len;
	uint32_t secret_group;	     /* the group that is the secret; 0: the whole match */
	uint32_t key_group;	     /* the group named "key"; 0: none */
	pcre2_code **ignore_re;	     /* the rule's ignore_values */
	pcre2_code **ignore_line_re; /* the rule's ignore_lines */
};

struct cand {
	uint32_t idx;
	uint64_t end;
};

/*
 * A confirmed match. A veto is a match its own rule rejects by checksum: it reports nothing
 * but still covers its bytes, so that a generic rule does not report a mistyped token.
 * A match inside a decoded region owns a copy of its secret and remembers the region (layer,
 * a number unique per matcher) and where it lies in the decoded bytes: two secrets of one
 * base64 value share its whole span in the data but do not overlap there.
 */
struct hit {
	struct cw_match m;
	bool veto;
	enum { FATE_HOLD, FATE_REPORT, FATE_DROP } fate; /* stream_emit's decision */
	char *dsecret;
	uint32_t layer;
	size_t ds, de;
};

struct hits {
	struct hit *v;
	size_t n, cap;
};

struct cw_matcher {
	const struct cw_matcher *parent; /* a clone: c, bdb, sdb, pcre_only are its parent's */
	struct compiled *c;
	size_t n;
	hs_database_t *bdb, *sdb;
	hs_scratch_t *scratch;
	size_t *pcre_only;
	size_t n_pcre;
	size_t history; /* bytes a stream keeps behind its newest data */
	pcre2_match_data *md;
	pcre2_match_data *md_aux; /* for ignore_values, while md holds a match */
	struct cand *cands;	  /* Vectorscan hits of the current scan */
	size_t ncand, capcand;
	struct hits hits;
	uint64_t *covered;  /* per rule, block scans: matches starting before are found */
	uint64_t *last_end; /* per rule, block scans: end of the last accepted match */
	char *lower;
	size_t lower_cap;
	/* Decoding layers: carriers are Vectorscan ids n.. when decode is on. */
	bool decode;
	unsigned depth;		  /* 0, or the layer a child matcher scans */
	struct cw_matcher *child; /* scans what this one decodes, made on first use */
	struct cw_decoded dec;	  /* the region being decoded */
	size_t *budget;		  /* decoded bytes left for this scan (the top matcher's) */
	size_t budget_left;	  /* the top matcher's */
	uint32_t layer_seq;	  /* the last region's number */
	uint64_t dcov[CW_CAR_N];  /* block scans, per carrier: decoded up to here */
};

struct cw_stream {
	struct cw_matcher *m;
	hs_stream_t *hs;
	char *buf; /* retained tail + newest data */
	size_t len, cap;
	uint64_t base;	      /* stream offset of buf[0] */
	struct cand *pending; /* hits not yet confirmable */
	size_t npend, cappend;
	uint64_t *covered; /* per rule, stream offsets */
	uint64_t *last_end;
	struct hits held;	      /* confirmed, not yet reported; stream offsets */
	uint64_t flushed;	      /* stream offset of the last cw_stream_flush */
	struct hit recent[CW_RECENT]; /* last reported, for overlaps (no secret) */
	size_t nrecent;
	uint64_t dcov[CW_CAR_N]; /* per carrier, stream offsets: decoded up to here */
};

/*
 * Vectorscan's databases (~1.5 MB each) and scratch space, mapped populated in one call when
 * they are large: faulting megabytes in page by page costs more than reading the compiled
 * database from the cache. A header before the block says how it was allocated; 64 bytes
 * keep Vectorscan's alignment.
 */
#define HS_HDR 64
#define HS_MAP_MIN (256u << 10)

static void *hs_block_alloc(size_t n)
{
	size_t total = n + HS_HDR;
	char *p;

	if (total < HS_MAP_MIN) {
		void *q;

		if (posix_memalign(&q, HS_HDR, total))
			return NULL;
		p = q;
		*(size_t *)p = 0;
	} else {
		p = mmap(NULL, total, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
		if (p == MAP_FAILED)
			return NULL;
		*(size_t *)p = total;
	}
	return p + HS_HDR;
}

static void hs_block_free(void *q)
{
	char *p;

	if (!q)
		return;
	p = (char *)q - HS_HDR;
	if (*(size_t *)p)
		munmap(p, *(size_t *)p);
	else
		free(p);
}

/* Before main: every database and scratch, however made, is freed by the matching free. */
__attribute__((constructor)) static void hs_allocators(void)
{
	hs_set_database_allocator(hs_block_alloc, hs_block_free);
	hs_set_scratch_allocator(hs_block_alloc, hs_block_free);
}

const char *cw_engine_name(enum cw_engine e)
{
	switch (e) {
	case CW_ENGINE_VECTORSCAN: return "vectorscan";
	case CW_ENGINE_PREFILTER: return "vectorscan-prefilter";
	default: return "pcre2";
	}
}

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
	if (m->parent)
		goto own;
	for (size_t i = 0; i < m->n; i++) {
		pcre2_code_free(m->c[i].re);
		if (m->c[i].kw_lower)
			for (size_t k = 0; k < m->c[i].rule->keywords.n; k++)
				free(m->c[i].kw_lower[k]);
		free(m->c[i].kw_lower);
		free(m->c[i].kw_len);
		if (m->c[i].ignore_re)
			for (size_t k = 0; k < m->c[i].rule->ignore_values.n; k++)
				pcre2_code_free(m->c[i].ignore_re[k]);
		free(m->c[i].ignore_re);
		if (m->c[i].ignore_line_re)
			for (size_t k = 0; k < m->c[i].rule->ignore_lines.n; k++)
				pcre2_code_free(m->c[i].ignore_line_re[k]);
		free(m->c[i].ignore_line_re);
	}
	free(m->c);
	hs_free_database(m->bdb);
	hs_free_database(m->sdb);
	free(m->pcre_only);
own:
	cw_matcher_free(m->child);
	cw_decoded_free(&m->dec);
	hs_free_scratch(m->scratch);
	pcre2_match_data_free(m->md);
	pcre2_match_data_free(m->md_aux);
	free(m->cands);
	free(m->hits.v);
	free(m->covered);
	free(m->last_end);
	free(m->lower);
	free(m);
}

enum cw_engine cw_matcher_engine(const struct cw_matcher *m, size_t idx)
{
	return idx < m->n ? m->c[idx].engine : CW_ENGINE_PCRE2;
}

/* Which engine takes this pattern, and the longest match it can have. */
static void classify_pattern(struct compiled *c)
{
	hs_expr_info_t *info = NULL;
	hs_compile_error_t *cerr = NULL;

	c->engine = CW_ENGINE_PCRE2;
	c->width = CW_WINDOW_MAX;
	if (hs_expression_info(c->rule->pattern, 0, &info, &cerr) == HS_SUCCESS) {
		c->engine = CW_ENGINE_VECTORSCAN;
	} else {
		hs_free_compile_error(cerr);
		cerr = NULL;
		if (hs_expression_info(c->rule->pattern, HS_FLAG_PREFILTER, &info, &cerr) ==
		    HS_SUCCESS)
			c->engine = CW_ENGINE_PREFILTER;
		else
			hs_free_compile_error(cerr);
	}
	if (info) {
		if (info->max_width != UINT_MAX && info->max_width < CW_WINDOW_MAX)
			c->width = info->max_width;
		free(info);
	}
}

static int compile_keywords(struct compiled *c)
{
	const struct cw_strv *kw = &c->rule->keywords;

	c->kw_lower = calloc(kw->n + 1, sizeof(char *));
	c->kw_len = calloc(kw->n + 1, sizeof(size_t));
	if (!c->kw_lower || !c->kw_len)
		return -ENOMEM;
	for (size_t k = 0; k < kw->n; k++) {
		char *s = strdup(kw->v[k]);

		if (!s)
			return -ENOMEM;
		for (char *p = s; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		c->kw_lower[k] = s;
		c->kw_len[k] = strlen(s);
	}
	return 0;
}

/* Scratch space big enough for both databases (none without them). */
static int alloc_scratch(struct cw_matcher *m, char *err, size_t errlen)
{
	if (m->bdb && (hs_alloc_scratch(m->bdb, &m->scratch) != HS_SUCCESS ||
		       hs_alloc_scratch(m->sdb, &m->scratch) != HS_SUCCESS)) {
		snprintf(err, errlen, "cannot allocate Vectorscan scratch space");
		return -ENOMEM;
	}
	return 0;
}

/*
 * One database per mode over every rule Vectorscan takes, and the decoding carriers (ids n..).
 * A rule it rejects in combination (rare: resource limits) moves to the PCRE2 path and the
 * build is retried.
 */
static int build_databases(struct cw_matcher *m, char *err, size_t errlen)
{
	const char **exprs = calloc(m->n + CW_CAR_N + 1, sizeof(char *));
	unsigned *flags = calloc(m->n + CW_CAR_N + 1, sizeof(unsigned));
	unsigned *ids = calloc(m->n + CW_CAR_N + 1, sizeof(unsigned));
	hs_compile_error_t *cerr = NULL;
	int ret = -ENOMEM;

	if (!exprs || !flags || !ids)
		goto out;
	for (;;) {
		unsigned k = 0;
		hs_error_t rc;

		for (size_t i = 0; i < m->n; i++) {
			if (m->c[i].engine == CW_ENGINE_PCRE2)
				continue;
			exprs[k] = m->c[i].rule->pattern;
			flags[k] = m->c[i].engine == CW_ENGINE_PREFILTER ? HS_FLAG_PREFILTER : 0;
			ids[k++] = (unsigned)i;
		}
		for (size_t i = 0; m->decode && k && i < CW_CAR_N; i++) {
			exprs[k] = cw_carrier_pattern[i];
			flags[k] = 0;
			ids[k++] = (unsigned)(m->n + i);
		}
		ret = 0;
		if (!k)
			break;
		rc = hs_compile_multi(exprs, flags, ids, k, HS_MODE_BLOCK, NULL, &m->bdb, &cerr);
		if (rc == HS_SUCCESS)
			rc = hs_compile_multi(exprs, flags, ids, k, HS_MODE_STREAM, NULL, &m->sdb,
					      &cerr);
		if (rc == HS_SUCCESS)
			break;
		hs_free_database(m->bdb);
		m->bdb = NULL;
		if (cerr && cerr->expression >= 0 && (unsigned)cerr->expression < k &&
		    ids[cerr->expression] < m->n) {
			m->c[ids[cerr->expression]].engine = CW_ENGINE_PCRE2;
			hs_free_compile_error(cerr);
			cerr = NULL;
			continue;
		}
		snprintf(err, errlen, "cannot build the Vectorscan database: %s",
			 cerr ? cerr->message : "unknown error");
		hs_free_compile_error(cerr);
		ret = -EINVAL;
		break;
	}
	if (!ret)
		ret = alloc_scratch(m, err, errlen);
out:
	free(exprs);
	free(flags);
	free(ids);
	return ret;
}

/* SHA-256 of the Vectorscan version and every pattern, in order, carriers included. */
static void cache_key(const struct cw_ruleset *rs, bool decode,
		      unsigned char key[CW_DBCACHE_KEY_LEN])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned int len = 0;
	const char *ver = hs_version();

	memset(key, 0, CW_DBCACHE_KEY_LEN);
	if (!ctx)
		return;
	EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	EVP_DigestUpdate(ctx, ver, strlen(ver) + 1);
	for (size_t i = 0; i < rs->n; i++)
		EVP_DigestUpdate(ctx, rs->rules[i].pattern, strlen(rs->rules[i].pattern) + 1);
	for (size_t i = 0; decode && i < CW_CAR_N; i++)
		EVP_DigestUpdate(ctx, cw_carrier_pattern[i], strlen(cw_carrier_pattern[i]) + 1);
	EVP_DigestFinal_ex(ctx, key, &len);
	EVP_MD_CTX_free(ctx);
}

static void store_cache(const struct cw_matcher *m, const unsigned char key[CW_DBCACHE_KEY_LEN])
{
	struct cw_dbcache_entry e = { .bdb = m->bdb, .sdb = m->sdb, .n = m->n };

	e.engine = calloc(m->n + 1, 1);
	e.width = calloc(m->n + 1, sizeof(uint32_t));
	if (e.engine && e.width) {
		for (size_t i = 0; i < m->n; i++) {
			e.engine[i] = (uint8_t)m->c[i].engine;
			e.width[i] = (uint32_t)m->c[i].width;
		}
		cw_dbcache_store(key, &e);
	}
	free(e.engine);
	free(e.width);
}

/* A matcher with room for n rules (at least one), nothing compiled yet. */
static struct cw_matcher *alloc_matcher(size_t n)
{
	struct cw_matcher *m = calloc(1, sizeof(*m));

	if (!n)
		n = 1;
	if (!m || !(m->c = calloc(n, sizeof(*m->c))) ||
	    !(m->pcre_only = calloc(n, sizeof(size_t))) ||
	    !(m->covered = calloc(n, sizeof(uint64_t))) ||
	    !(m->last_end = calloc(n, sizeof(uint64_t)))) {
		cw_matcher_free(m);
		return NULL;
	}
	m->budget = &m->budget_left;
	return m;
}

/* One PCRE2 pattern of rule r (what says which: "pattern", "ignore_values"). */
static pcre2_code *compile_one(const struct cw_rule *r, const char *what, const char *pattern,
			       char *err, size_t errlen)
{
	PCRE2_SIZE eoff;
	int ecode;
	pcre2_code *re =
		pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, 0, &ecode, &eoff, NULL);

	if (!re) {
		PCRE2_UCHAR msg[256];

		pcre2_get_error_message(ecode, msg, sizeof(msg));
		snprintf(err, errlen, "%s:%d: rule '%s': %s does not compile at offset %zu: %s",
			 r->file, r->line, r->id, what, (size_t)eoff, msg);
	}
	return re;
}

/* The secret's group: the one named "secret", else the first, else none (the whole match). */
static void find_groups(struct compiled *c)
{
	uint32_t ncap = 0;
	int g;

	pcre2_pattern_info(c->re, PCRE2_INFO_CAPTURECOUNT, &ncap);
	g = pcre2_substring_number_from_name(c->re, (PCRE2_SPTR) "secret");
	c->secret_group = g > 0 ? (uint32_t)g : ncap ? 1 : 0;
	g = pcre2_substring_number_from_name(c->re, (PCRE2_SPTR) "key");
	c->key_group = g > 0 ? (uint32_t)g : 0;
}

/* Each pattern of a list field of rule r, into *out (NULL for an empty list). */
static int compile_list(const struct cw_rule *r, const char *what, const struct cw_strv *v,
			pcre2_code ***out, char *err, size_t errlen)
{
	if (!v->n)
		return 0;
	if (!(*out = calloc(v->n, sizeof(**out))))
		return -ENOMEM;
	for (size_t k = 0; k < v->n; k++)
		if (!((*out)[k] = compile_one(r, what, v->v[k], err, errlen)))
			return -EINVAL;
	return 0;
}

static int compile_pattern(struct compiled *c, char *err, size_t errlen)
{
	const struct cw_rule *r = c->rule;
	int ret;

	if (!(c->re = compile_one(r, "pattern", r->pattern, err, errlen)))
		return -EINVAL;
	find_groups(c);
	if (r->ignore_keys.n && !c->key_group) {
		snprintf(err, errlen,
			 "%s:%d: rule '%s': ignore_keys needs a group named key in the pattern: "
			 "(?<key>...)",
			 r->file, r->line, r->id);
		return -EINVAL;
	}
	ret = compile_list(r, "ignore_values", &r->ignore_values, &c->ignore_re, err, errlen);
	if (!ret)
		ret = compile_list(r, "ignore_lines", &r->ignore_lines, &c->ignore_line_re, err,
				   errlen);
	return ret;
}

/*
 * Every rule's PCRE2 pattern and keywords; its engine and width from the cache when it has
 * them, else worked out. m->n counts the rules with something to free.
 */
static int compile_rules(struct cw_matcher *m, const struct cw_ruleset *rs,
			 const struct cw_dbcache_entry *cached, char *err, size_t errlen)
{
	int ret = 0;

	for (size_t i = 0; i < rs->n && !ret; i++) {
		struct compiled *c = &m->c[i];

		c->rule = &rs->rules[i];
		m->n = i + 1;
		ret = compile_pattern(c, err, errlen);
		if (ret)
			break;
		if (cached) {
			c->engine = cached->engine[i];
			c->width = cached->width[i];
		} else {
			classify_pattern(c);
		}
		ret = compile_keywords(c);
	}
	return ret;
}

/* The cached databases become m's: freed with it whatever happens next. */
static void take_cached(struct cw_matcher *m, struct cw_dbcache_entry *cached)
{
	m->bdb = cached->bdb;
	m->sdb = cached->sdb;
	free(cached->engine);
	free(cached->width);
}

/* The PCRE2-only rules, and how much a stream keeps for the widest rule. */
static void index_rules(struct cw_matcher *m)
{
	for (size_t i = 0; i < m->n; i++) {
		if (m->c[i].engine == CW_ENGINE_PCRE2)
			m->pcre_only[m->n_pcre++] = i;
		if (m->c[i].width + CW_LOOKAHEAD + 1 > m->history)
			m->history = m->c[i].width + CW_LOOKAHEAD + 1;
	}
}

int cw_matcher_new(const struct cw_ruleset *rs, struct cw_matcher **out, char *err, size_t errlen)
{
	struct cw_matcher *m = alloc_matcher(rs->n);
	unsigned char key[CW_DBCACHE_KEY_LEN];
	struct cw_dbcache_entry cached;
	bool hit;
	int ret;

	if (!m) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	m->decode = !getenv("CREDWATCH_DECODE") || strcmp(getenv("CREDWATCH_DECODE"), "0");
	cache_key(rs, m->decode, key);
	hit = cw_dbcache_load(key, rs->n, &cached) == 0;
	ret = compile_rules(m, rs, hit ? &cached : NULL, err, errlen);
	if (hit) {
		take_cached(m, &cached);
		if (!ret)
			ret = alloc_scratch(m, err, errlen);
	} else if (!ret) {
		ret = build_databases(m, err, errlen);
		if (!ret)
			store_cache(m, key);
	}
	if (!ret && (!(m->md = pcre2_match_data_create(16, NULL)) ||
		     !(m->md_aux = pcre2_match_data_create(1, NULL))))
		ret = -ENOMEM;
	if (ret) {
		if (ret == -ENOMEM)
			snprintf(err, errlen, "out of memory");
		cw_matcher_free(m);
		return ret;
	}
	index_rules(m);
	*out = m;
	return 0;
}

int cw_matcher_clone(const struct cw_matcher *m, struct cw_matcher **out)
{
	struct cw_matcher *c = calloc(1, sizeof(*c));
	size_t n = m->n ? m->n : 1;

	if (!c)
		return -ENOMEM;
	c->parent = m;
	c->c = m->c;
	c->n = m->n;
	c->bdb = m->bdb;
	c->sdb = m->sdb;
	c->pcre_only = m->pcre_only;
	c->n_pcre = m->n_pcre;
	c->history = m->history;
	c->decode = m->decode;
	c->budget = &c->budget_left;
	if (!(c->covered = calloc(n, sizeof(uint64_t))) ||
	    !(c->last_end = calloc(n, sizeof(uint64_t))) ||
	    !(c->md = pcre2_match_data_create(16, NULL)) ||
	    !(c->md_aux = pcre2_match_data_create(1, NULL)) ||
	    (m->scratch && hs_clone_scratch(m->scratch, &c->scratch) != HS_SUCCESS)) {
		cw_matcher_free(c);
		return -ENOMEM;
	}
	*out = c;
	return 0;
}

static int on_hs_match(unsigned int id, unsigned long long from, unsigned long long to,
		       unsigned int flags, void *ctx)
{
	struct cw_matcher *m = ctx;

	(void)from;
	(void)flags;
	if (cw_grow((void **)&m->cands, &m->capcand, m->ncand + 1, sizeof(*m->cands)))
		return 1; /* stop: out of memory is reported by the caller */
	m->cands[m->ncand++] = (struct cand){ .idx = id, .end = to };
	return 0;
}

static int cand_cmp(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;

	if (x->idx != y->idx)
		return x->idx < y->idx ? -1 : 1;
	return x->end < y->end ? -1 : (x->end > y->end);
}

enum verdict { REJECT, ACCEPT, VETO };

struct subject {
	const char *p;
	size_t len;
	bool notbol;   /* p[0] is not the start of the data */
	bool eof;      /* nothing follows p[len - 1] */
	uint64_t base; /* offset of p[0] in the data */
};

/* Where a confirmed match lies in its subject: the secret's bytes and the key's, if any. */
struct span {
	size_t ss, se; /* the secret */
	size_t ks, ke; /* the key: ks == ke when the pattern has none or it did not take part */
};

/* The secret begins with one of the rule's keywords: a provider prefix (ghp_, fw_, AKIA). */
static bool starts_with_keyword(const struct compiled *c, const char *s, size_t n)
{
	for (size_t k = 0; k < c->rule->keywords.n; k++)
		if (c->kw_len[k] <= n && !strncasecmp(s, c->kw_lower[k], c->kw_len[k]))
			return true;
	return false;
}

/* Does one of n patterns match s? */
static bool any_matches(struct cw_matcher *m, pcre2_code *const *re, size_t n, const char *s,
			size_t len)
{
	for (size_t k = 0; k < n; k++)
		if (pcre2_match(re[k], (PCRE2_SPTR)s, len, 0, 0, m->md_aux, NULL) >= 0)
			return true;
	return false;
}

/* The rule's ignore_values on the secret, its ignore_lines on the line up to the secret. */
static bool ignored(struct cw_matcher *m, const struct compiled *c, const struct subject *sj,
		    size_t ss, size_t se)
{
	const struct cw_rule *r = c->rule;
	size_t ls;

	if (any_matches(m, c->ignore_re, r->ignore_values.n, sj->p + ss, se - ss))
		return true;
	if (!r->ignore_lines.n)
		return false;
	ls = cw_line_start(sj->p, ss, CW_LINE_BACK);
	return any_matches(m, c->ignore_line_re, r->ignore_lines.n, sj->p + ls, ss - ls);
}

/*
 * Is this a secret worth reporting? Its entropy, placeholders, the name it is assigned to,
 * the rule's ignored values and lines, a provider prefix that only sits inside an encoded run,
 * and the checksum.
 */
static enum verdict accept(struct cw_matcher *m, const struct compiled *c, const struct subject *sj,
			   const struct span *sp, enum cw_checksum *sum)
{
	const struct cw_rule *r = c->rule;
	const char *s = sj->p + sp->ss;
	size_t n = sp->se - sp->ss;

	*sum = CW_CHECKSUM_NONE;
	if (r->entropy > 0 && cw_entropy(s, n) < r->entropy)
		return REJECT;
	if (!r->no_placeholder && cw_is_placeholder(s, n))
		return REJECT;
	if (sp->ke > sp->ks && cw_key_listed(&r->ignore_keys, sj->p + sp->ks, sp->ke - sp->ks))
		return REJECT;
	if (ignored(m, c, sj, sp->ss, sp->se))
		return REJECT;
	if (starts_with_keyword(c, s, n) && cw_in_encoded_run(sj->p, sp->ss))
		return REJECT;
	if (r->validate) {
		*sum = cw_validate(r->validate, s, n) ? CW_CHECKSUM_VALID : CW_CHECKSUM_INVALID;
		if (*sum == CW_CHECKSUM_INVALID && !r->demote_invalid)
			return VETO;
	}
	return ACCEPT;
}

/*
 * JIT-compile a rule's pattern on its first confirmation, not at start: most rules never
 * fire on a given input, and compiling all of them would slow every start. Matchers
 * cloned for other threads share the pattern, so the first one compiles it under a lock and
 * the others wait (PCRE2 must not match with a pattern while it is being JIT-compiled). JIT is
 * an optimisation: without it (W^X policies) matching still works.
 */
static void jit_once(struct compiled *c)
{
	static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

	if (__atomic_load_n(&c->jitted, __ATOMIC_ACQUIRE))
		return;
	pthread_mutex_lock(&mu);
	if (!c->jitted) {
		pcre2_jit_compile(c->re, PCRE2_JIT_COMPLETE);
		__atomic_store_n(&c->jitted, 1, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&mu);
}

/*
 * Confirm rule idx for a hit ending at `end` (subject offset): find with PCRE2 every match
 * that starts in [max(end - width, *covered), end]. *covered and *last_end are subject-base
 * independent offsets (base + position) kept per scan or per stream.
 */
static int confirm(struct cw_matcher *m, size_t idx, const struct subject *sj, size_t end,
		   size_t from, uint64_t *covered, uint64_t *last_end)
{
	struct compiled *c = &m->c[idx];
	size_t sublen = end + CW_LOOKAHEAD < sj->len ? end + CW_LOOKAHEAD : sj->len;
	PCRE2_SIZE *ov = pcre2_get_ovector_pointer(m->md);

	jit_once(c);

	if (*covered > sj->base + from)
		from = (size_t)(*covered - sj->base);
	while (from <= end) {
		uint32_t opts = (sj->notbol ? PCRE2_NOTBOL : 0) |
				(sublen < sj->len || !sj->eof ? PCRE2_NOTEOL : 0);
		int rc = pcre2_match(c->re, (PCRE2_SPTR)sj->p, sublen, from, opts, m->md, NULL);
		size_t ms, me;
		struct span sp = { 0 };
		enum cw_checksum sum;
		enum verdict v;

		if (rc < 0)
			break; /* no match, or a match limit: nothing more here */
		ms = ov[0];
		me = ov[1];
		if (ms > end)
			break;
		if (me == sublen && sublen < sj->len) {
			sublen = sj->len; /* cut short by the window: look again in full */
			continue;
		}
		if (me == sj->len && !sj->eof)
			return -EAGAIN; /* it runs to the end of the data: it may still grow */
		sp.ss = ms;
		sp.se = me;
		if (c->secret_group && (uint32_t)rc > c->secret_group &&
		    ov[2 * c->secret_group] != PCRE2_UNSET) {
			sp.ss = ov[2 * c->secret_group];
			sp.se = ov[2 * c->secret_group + 1];
		}
		if (c->key_group && (uint32_t)rc > c->key_group &&
		    ov[2 * c->key_group] != PCRE2_UNSET) {
			sp.ks = ov[2 * c->key_group];
			sp.ke = ov[2 * c->key_group + 1];
		}
		if (sp.se > sp.ss && sj->base + sp.ss >= *last_end &&
		    (v = accept(m, c, sj, &sp, &sum)) != REJECT) {
			if (cw_grow((void **)&m->hits.v, &m->hits.cap, m->hits.n + 1,
				    sizeof(*m->hits.v)))
				return -ENOMEM;
			m->hits.v[m->hits.n++] = (struct hit){ .m = { .rule = c->rule,
								      .start = sp.ss,
								      .len = sp.se - sp.ss,
								      .checksum = sum },
							       .veto = v == VETO };
			*last_end = sj->base + sp.se;
		}
		from = me > ms ? me : ms + 1;
	}
	if (*covered < sj->base + end + 1)
		*covered = sj->base + end + 1;
	return 0;
}

/* Confirm a run of candidates (sorted by rule, then end) against one subject. */
static int confirm_cands(struct cw_matcher *m, const struct cand *cv, size_t n,
			 const struct subject *sj, uint64_t *covered, uint64_t *last_end)
{
	for (size_t i = 0; i < n; i++) {
		const struct compiled *c = &m->c[cv[i].idx];
		size_t end = (size_t)(cv[i].end - sj->base);
		int ret;

		if (sj->base + end < covered[cv[i].idx])
			continue;
		ret = confirm(m, cv[i].idx, sj, end, end > c->width ? end - c->width : 0,
			      &covered[cv[i].idx], &last_end[cv[i].idx]);
		if (ret)
			return ret;
	}
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

static int hit_cmp(const void *a, const void *b)
{
	const struct cw_match *x = &((const struct hit *)a)->m, *y = &((const struct hit *)b)->m;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	if (x->rule->priority != y->rule->priority)
		return x->rule->priority > y->rule->priority ? -1 : 1;
	return x->rule < y->rule ? -1 : (x->rule > y->rule);
}

/* The bytes of the data a match covers: the secret's, or its encoded span's. */
static uint64_t span_of(const struct cw_match *m)
{
	return m->span ? m->span : m->len;
}

/* Two hits of one decoded region overlap in its decoded bytes; others in the data's. */
static bool overlaps(const struct hit *a, const struct hit *b)
{
	if (a->layer && a->layer == b->layer)
		return a->ds < b->de && b->ds < a->de;
	return a->m.start < b->m.start + span_of(&b->m) && b->m.start < a->m.start + span_of(&a->m);
}

static unsigned enc_steps(uint32_t path)
{
	unsigned n = 0;

	while (n < CW_ENC_STEPS && cw_enc_step(path, n))
		n++;
	return n;
}

/* o was decoded out of exactly the bytes h reports as its secret (a Basic header's value). */
static bool wraps(const struct hit *o, const struct hit *h)
{
	return o->m.encoding && !h->m.encoding && o->m.start == h->m.start && o->m.span == h->m.len;
}

/*
 * Does hit o win over hit h on the bytes they share? What is inside an encoded value over
 * the rule that reports the value itself (http-basic-auth, docker-config-auth,
 * kubeconfig-client-key-data), then the higher priority, then the longer secret, then the
 * earlier. One rule's same secret seen as is and through a decoding (a token in a query
 * string that also holds a %XX) is reported as is.
 */
static bool beats(const struct hit *o, size_t oi, const struct hit *h, size_t hi)
{
	if (wraps(o, h) || wraps(h, o))
		return wraps(o, h);
	if (o->m.rule == h->m.rule && o->m.len == h->m.len && o->m.encoding != h->m.encoding &&
	    o->m.secret && h->m.secret && !memcmp(o->m.secret, h->m.secret, o->m.len))
		return enc_steps(o->m.encoding) < enc_steps(h->m.encoding);
	if (o->m.rule->priority != h->m.rule->priority)
		return o->m.rule->priority > h->m.rule->priority;
	if (o->m.len != h->m.len)
		return o->m.len > h->m.len;
	return oi < hi;
}

/* A decoded secret's copy is wiped as soon as it has been reported or dropped. */
static void hit_release(struct hit *h)
{
	if (h->dsecret) {
		explicit_bzero(h->dsecret, h->m.len);
		free(h->dsecret);
		h->dsecret = NULL;
	}
}

static void hits_clear(struct hits *h)
{
	for (size_t i = 0; i < h->n; i++)
		hit_release(&h->v[i]);
	h->n = 0;
}

/* Sort the hits, drop those a better overlapping hit covers, report the rest. */
static int emit(struct cw_matcher *m, const struct subject *sj, cw_match_cb cb, void *arg)
{
	struct hits *h = &m->hits;
	int kept = 0;

	if (h->n > 1)
		qsort(h->v, h->n, sizeof(*h->v), hit_cmp);
	for (size_t i = 0; i < h->n; i++)
		h->v[i].m.secret = h->v[i].dsecret ? h->v[i].dsecret : sj->p + h->v[i].m.start;
	for (size_t i = 0; i < h->n; i++) {
		struct cw_match out = h->v[i].m;
		bool beaten = h->v[i].veto;

		for (size_t j = 0; j < h->n && !beaten; j++)
			beaten = j != i && overlaps(&h->v[i], &h->v[j]) &&
				 beats(&h->v[j], j, &h->v[i], i);
		if (beaten)
			continue;
		kept++;
		out.start += sj->base;
		if (cb && cb(&out, arg))
			break;
	}
	hits_clear(h);
	return kept;
}

static int lower_copy(struct cw_matcher *m, const char *buf, size_t len)
{
	if (cw_grow((void **)&m->lower, &m->lower_cap, len + 1, 1))
		return -ENOMEM;
	for (size_t i = 0; i < len; i++)
		m->lower[i] = (char)tolower((unsigned char)buf[i]);
	return 0;
}

static int block_hits(struct cw_matcher *m, const struct subject *sj, size_t only);

/*
 * A secret found in m->dec, the region just decoded, as a hit of m's subject: located on the
 * region's bytes (or the escaped form of the secret), its path the region's then its own.
 */
static int adopt(struct cw_matcher *m, struct hit *in, uint32_t layer)
{
	const struct cw_decoded *d = &m->dec;
	size_t ds = (size_t)in->m.start, de = ds + (size_t)span_of(&in->m), os, oe;
	char *sec = in->dsecret;
	struct hit *h;

	if (!sec) {
		if (!(sec = malloc(in->m.len ? in->m.len : 1)))
			return -ENOMEM;
		memcpy(sec, d->buf + in->m.start, in->m.len);
	}
	in->dsecret = NULL; /* it is the new hit's now */
	if (cw_grow((void **)&m->hits.v, &m->hits.cap, m->hits.n + 1, sizeof(*m->hits.v))) {
		explicit_bzero(sec, in->m.len);
		free(sec);
		return -ENOMEM;
	}
	cw_decoded_span(d, ds, de, &os, &oe);
	h = &m->hits.v[m->hits.n++];
	*h = (struct hit){
		.m = in->m, .veto = in->veto, .dsecret = sec, .layer = layer, .ds = ds, .de = de
	};
	h->m.start = os;
	h->m.span = oe - os;
	h->m.secret = NULL;
	h->m.encoding = cw_enc_join(d->path, in->m.encoding);
	return 0;
}

/* Match every rule on m->dec with the child matcher; what it finds joins m's hits. */
static int scan_layer(struct cw_matcher *m)
{
	struct subject dj = { .p = m->dec.buf, .len = m->dec.len, .eof = true };
	struct cw_matcher *c = m->child;
	int ret;

	if (!c) {
		if (cw_matcher_clone(m, &m->child))
			return -ENOMEM;
		c = m->child;
		c->depth = m->depth + 1;
	}
	c->budget = m->budget;
	if (!++m->layer_seq)
		m->layer_seq = 1;
	ret = block_hits(c, &dj, c->n);
	for (size_t i = 0; !ret && i < c->hits.n; i++)
		ret = adopt(m, &c->hits.v[i], m->layer_seq);
	hits_clear(&c->hits);
	return ret;
}

/*
 * Carrier hits (sorted by kind, then end): decode each region once (a percent-encoded query
 * has a hit per escape), within the budget, and match inside. dcov[k]: subject-base
 * independent offset up to which carrier k's regions were decoded. -EAGAIN from a region that
 * may run past the data: the caller keeps that hit for the next write.
 */
static int decode_one(struct cw_matcher *m, const struct subject *sj, const struct cand *cd,
		      uint64_t *dcov)
{
	enum cw_carrier k = (enum cw_carrier)(cd->idx - m->n);
	size_t end = (size_t)(cd->end - sj->base);
	size_t from = dcov[k] > sj->base ? (size_t)(dcov[k] - sj->base) : 0;
	int ret;

	if (m->depth >= CW_DECODE_DEPTH || cd->end <= dcov[k])
		return 0;
	ret = cw_decode_carrier(k, sj->p, sj->len, from, end, sj->eof, &m->dec);
	if (ret <= 0)
		return ret;
	dcov[k] = sj->base + m->dec.re;
	if (m->dec.len > *m->budget)
		return 0; /* over the budget: this region goes unread, as the README says */
	*m->budget -= m->dec.len;
	return scan_layer(m);
}

static int decode_cands(struct cw_matcher *m, const struct cand *cv, size_t n,
			const struct subject *sj, uint64_t *dcov)
{
	for (size_t i = 0; i < n; i++) {
		int ret = decode_one(m, sj, &cv[i], dcov);

		if (ret)
			return ret;
	}
	return 0;
}

/* Collect and confirm every hit in buf; only rule `only` when it is < m->n. */
static int block_hits(struct cw_matcher *m, const struct subject *sj, size_t only)
{
	size_t i;
	int ret;

	m->ncand = 0;
	hits_clear(&m->hits);
	memset(m->covered, 0, m->n * sizeof(*m->covered));
	memset(m->last_end, 0, m->n * sizeof(*m->last_end));
	if (m->bdb && (only >= m->n || m->c[only].engine != CW_ENGINE_PCRE2)) {
		hs_error_t rc =
			hs_scan(m->bdb, sj->p, (unsigned)sj->len, 0, m->scratch, on_hs_match, m);

		if (rc != HS_SUCCESS && rc != HS_SCAN_TERMINATED)
			return -EIO;
		if (rc == HS_SCAN_TERMINATED)
			return -ENOMEM;
	}
	if (only < m->n) {
		size_t k = 0;

		for (i = 0; i < m->ncand; i++)
			if (m->cands[i].idx == only)
				m->cands[k++] = m->cands[i];
		m->ncand = k;
	}
	if (m->ncand > 1)
		qsort(m->cands, m->ncand, sizeof(*m->cands), cand_cmp);
	for (i = 0; i < m->ncand && m->cands[i].idx < m->n; i++)
		; /* the carriers sort after the rules */
	ret = confirm_cands(m, m->cands, i, sj, m->covered, m->last_end);
	if (!ret && i < m->ncand) {
		memset(m->dcov, 0, sizeof(m->dcov));
		ret = decode_cands(m, m->cands + i, m->ncand - i, sj, m->dcov);
	}
	if (ret || !m->n_pcre)
		return ret;
	if (lower_copy(m, sj->p, sj->len))
		return -ENOMEM;
	for (i = 0; i < m->n_pcre; i++) {
		size_t idx = m->pcre_only[i];

		if ((only < m->n && idx != only) || !keyword_hit(&m->c[idx], m->lower, sj->len))
			continue;
		ret = confirm(m, idx, sj, sj->len ? sj->len - 1 : 0, 0, &m->covered[idx],
			      &m->last_end[idx]);
		if (ret)
			return ret;
	}
	return 0;
}

int cw_matcher_scan(struct cw_matcher *m, const char *buf, size_t len, cw_match_cb cb, void *arg)
{
	struct subject sj = { .p = buf, .len = len, .eof = true };
	int ret;

	if (len > UINT32_MAX)
		return -E2BIG;
	m->budget_left = CW_DECODE_BUDGET;
	ret = block_hits(m, &sj, m->n);
	if (ret) {
		hits_clear(&m->hits);
		return ret;
	}
	return emit(m, &sj, cb, arg);
}

int cw_matcher_count_rule(struct cw_matcher *m, size_t idx, const char *buf, size_t len)
{
	struct subject sj = { .p = buf, .len = len, .eof = true };
	int ret;

	if (idx >= m->n)
		return -EINVAL;
	ret = block_hits(m, &sj, idx);
	if (!ret) {
		/* A demoted hit (checksum invalid) is not a confident match of the rule. */
		for (size_t i = 0; i < m->hits.n; i++)
			ret += !m->hits.v[i].veto && m->hits.v[i].m.checksum != CW_CHECKSUM_INVALID;
	}
	hits_clear(&m->hits);
	return ret;
}

struct cw_stream *cw_stream_open(struct cw_matcher *m)
{
	struct cw_stream *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->m = m;
	s->covered = calloc(m->n ? m->n : 1, sizeof(uint64_t));
	s->last_end = calloc(m->n ? m->n : 1, sizeof(uint64_t));
	if (!s->covered || !s->last_end ||
	    (m->sdb && hs_open_stream(m->sdb, 0, &s->hs) != HS_SUCCESS)) {
		free(s->covered);
		free(s->last_end);
		free(s);
		return NULL;
	}
	return s;
}

/*
 * Report the held hits that are final (CW_STREAM_HOLD bytes follow them, or all when `all`),
 * in stream order, unless a better overlapping hit, held or already reported, covers them.
 */
static int stream_emit(struct cw_stream *s, bool all, cw_match_cb cb, void *arg)
{
	struct hits *h = &s->held;
	uint64_t data_end = s->base + s->len;
	size_t i, j, k = 0;
	int kept = 0;

	if (h->n > 1)
		qsort(h->v, h->n, sizeof(*h->v), hit_cmp);
	for (i = 0; i < h->n; i++) /* a held hit's bytes are kept (stream_trim) */
		h->v[i].m.secret =
			h->v[i].dsecret ? h->v[i].dsecret : s->buf + (h->v[i].m.start - s->base);
	/* Decide for every hit first: a decided one's secret is wiped below. */
	for (i = 0; i < h->n; i++) {
		struct hit *x = &h->v[i];
		bool beaten = false,
		     final = all || x->m.start + span_of(&x->m) + CW_STREAM_HOLD <= data_end;

		for (j = 0; j < h->n && !beaten; j++)
			beaten = j != i && overlaps(x, &h->v[j]) && beats(&h->v[j], j, x, i);
		for (j = 0; j < s->nrecent && j < CW_RECENT && !beaten; j++)
			beaten = overlaps(x, &s->recent[j]) &&
				 s->recent[j].m.rule->priority >= x->m.rule->priority;
		x->fate = beaten ? FATE_DROP : final ? FATE_REPORT : FATE_HOLD;
	}
	for (i = 0; i < h->n; i++) {
		struct hit *x = &h->v[i];

		if (x->fate == FATE_HOLD) {
			h->v[k++] = *x; /* keep it: a better one may still come */
			continue;
		}
		if (x->fate == FATE_REPORT && !x->veto) {
			struct hit *r = &s->recent[s->nrecent++ % CW_RECENT];

			*r = *x;
			r->dsecret = NULL;
			r->m.secret = NULL;
			kept++;
			if (cb && cb(&x->m, arg))
				cb = NULL; /* the caller stops listening; keep the state right */
		}
		hit_release(x);
	}
	h->n = k;
	return kept;
}

/*
 * Confirm what can be confirmed: hits with enough data after them (or all, at the close),
 * and the PCRE2-only rules over the data they have not covered yet. The confirmed hits join
 * the held ones; the final ones are reported.
 */
static int stream_confirm(struct cw_stream *s, bool eof, cw_match_cb cb, void *arg)
{
	struct cw_matcher *m = s->m;
	struct subject sj = {
		.p = s->buf, .len = s->len, .notbol = s->base > 0, .eof = eof, .base = s->base
	};
	uint64_t data_end = s->base + s->len;
	size_t i, k = 0;
	int ret = 0;

	hits_clear(&m->hits);
	m->budget_left = CW_DECODE_BUDGET;
	if (s->npend > 1)
		qsort(s->pending, s->npend, sizeof(*s->pending), cand_cmp);
	/* Confirm the ready ones in place, keep the others; carriers decode when complete. */
	for (i = 0; i < s->npend; i++) {
		ret = -EAGAIN;
		if (s->pending[i].idx >= m->n)
			ret = decode_one(m, &sj, &s->pending[i], s->dcov);
		else if (eof || s->pending[i].end + CW_LOOKAHEAD <= data_end)
			ret = confirm_cands(m, &s->pending[i], 1, &sj, s->covered, s->last_end);
		if (ret == -EAGAIN)
			s->pending[k++] = s->pending[i]; /* not yet: more data first */
		else if (ret)
			goto fail;
	}
	s->npend = k;
	for (i = 0; i < m->n_pcre && s->len; i++) {
		size_t idx = m->pcre_only[i];
		uint64_t upto = eof			  ? data_end
				: data_end > CW_LOOKAHEAD ? data_end - CW_LOOKAHEAD
							  : 0;
		uint64_t from = s->covered[idx] > s->base ? s->covered[idx] : s->base;

		if (upto <= from)
			continue;
		ret = confirm(m, idx, &sj, (size_t)(upto - 1 - s->base), (size_t)(from - s->base),
			      &s->covered[idx], &s->last_end[idx]);
		if (ret && ret != -EAGAIN)
			goto fail;
	}
	ret = -ENOMEM;
	if (cw_grow((void **)&s->held.v, &s->held.cap, s->held.n + m->hits.n, sizeof(*s->held.v)))
		goto fail;
	for (i = 0; i < m->hits.n; i++) {
		s->held.v[s->held.n] = m->hits.v[i];
		s->held.v[s->held.n++].m.start += s->base;
	}
	m->hits.n = 0; /* the held ones own their secrets now */
	return stream_emit(s, eof, cb, arg);
fail:
	hits_clear(&m->hits);
	return ret;
}

uint64_t cw_stream_base(const struct cw_stream *s)
{
	return s->base;
}

int cw_stream_flush(struct cw_stream *s, cw_match_cb cb, void *arg)
{
	uint64_t end = s->base + s->len;

	if (end == s->flushed && !s->held.n)
		return 0; /* nothing came since the last time */
	s->flushed = end;
	return stream_confirm(s, true, cb, arg);
}

/* Drop the bytes no match can still need: older than the history and than pending hits. */
static void stream_trim(struct cw_stream *s)
{
	uint64_t keep_from =
		s->base + s->len > s->m->history ? s->base + s->len - s->m->history : 0;
	size_t drop;

	for (size_t i = 0; i < s->npend; i++) {
		size_t w = s->pending[i].idx < s->m->n ? s->m->c[s->pending[i].idx].width
						       : CW_DECODE_BACK + 16;
		uint64_t need = s->pending[i].end > w ? s->pending[i].end - w : 0;

		if (need < keep_from)
			keep_from = need;
	}
	for (size_t i = 0; i < s->held.n; i++) /* their bytes are reported later */
		if (s->held.v[i].m.start < keep_from)
			keep_from = s->held.v[i].m.start;
	if (keep_from <= s->base)
		return;
	drop = (size_t)(keep_from - s->base);
	/* Move memory only when it is worth it: half the buffer is dead. */
	if (drop < s->len / 2 && s->len < 4 * s->m->history)
		return;
	memmove(s->buf, s->buf + drop, s->len - drop);
	s->len -= drop;
	s->base += drop;
}

int cw_stream_write(struct cw_stream *s, const char *buf, size_t len, cw_match_cb cb, void *arg)
{
	struct cw_matcher *m = s->m;
	int ret;

	if (!len)
		return 0;
	if (len > UINT32_MAX)
		return -E2BIG;
	if (cw_grow((void **)&s->buf, &s->cap, s->len + len, 1))
		return -ENOMEM;
	memcpy(s->buf + s->len, buf, len);
	s->len += len;
	if (s->hs) {
		hs_error_t rc;

		m->ncand = 0;
		rc = hs_scan_stream(s->hs, buf, (unsigned)len, 0, m->scratch, on_hs_match, m);
		if (rc != HS_SUCCESS)
			return rc == HS_SCAN_TERMINATED ? -ENOMEM : -EIO;
		if (cw_grow((void **)&s->pending, &s->cappend, s->npend + m->ncand,
			    sizeof(*s->pending)))
			return -ENOMEM;
		if (m->ncand)
			memcpy(s->pending + s->npend, m->cands, m->ncand * sizeof(*m->cands));
		s->npend += m->ncand;
	}
	ret = stream_confirm(s, false, cb, arg);
	stream_trim(s);
	return ret;
}

int cw_stream_close(struct cw_stream *s, cw_match_cb cb, void *arg)
{
	struct cw_matcher *m;
	int ret = 0;

	if (!s)
		return 0;
	m = s->m;
	if (s->hs) {
		m->ncand = 0;
		if (hs_close_stream(s->hs, m->scratch, on_hs_match, m) != HS_SUCCESS)
			ret = -EIO;
		s->hs = NULL;
		if (!ret && m->ncand &&
		    !cw_grow((void **)&s->pending, &s->cappend, s->npend + m->ncand,
			     sizeof(*s->pending))) {
			memcpy(s->pending + s->npend, m->cands, m->ncand * sizeof(*m->cands));
			s->npend += m->ncand;
		}
	}
	if (!ret)
		ret = stream_confirm(s, true, cb, arg);
	free(s->buf);
	free(s->pending);
	free(s->covered);
	free(s->last_end);
	hits_clear(&s->held);
	free(s->held.v);
	free(s);
	return ret;
}

const struct cw_rule *cw_matcher_rules(const struct cw_matcher *m, size_t *n)
{
	const struct compiled *c = m->parent ? m->parent->c : m->c;

	*n = m->parent ? m->parent->n : m->n;
	return *n ? c[0].rule : NULL;
}
