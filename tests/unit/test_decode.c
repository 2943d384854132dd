// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Decoding layers: a credential inside an HTTP Basic header, a base64 value, a percent-encoded
 * query, a JSON string with escapes or a URL's userinfo is found as the credential it is, with
 * its decoding path, located on the encoded bytes; in block scans and in streams cut anywhere.
 */
#include <stdint.h>
#include <stdlib.h>

#include "detect/decode.h"
#include "detect/example_gen.h"
#include "detect/matcher.h"
#include "detect/redact.h"
#include "detect/rules.h"
#include "output/finding.h"
#include "util/codec.h"
#include "test.h"

#define MAX_FOUND 16

struct found {
	size_t n;
	struct {
		char rule[64];
		uint64_t start, span;
		char secret[256];
		char path[64]; /* the decoding path, names joined by ',' */
	} v[MAX_FOUND];
};

static void path_str(uint32_t enc, char *out, size_t cap)
{
	out[0] = '\0';
	for (unsigned i = 0; cw_enc_step(enc, i); i++)
		snprintf(out + strlen(out), cap - strlen(out), "%s%s", i ? "," : "",
			 cw_enc_name(cw_enc_step(enc, i)));
}

static int collect(const struct cw_match *m, void *arg)
{
	struct found *f = arg;

	if (f->n < MAX_FOUND) {
		snprintf(f->v[f->n].rule, sizeof(f->v[f->n].rule), "%s", m->rule->id);
		f->v[f->n].start = m->start;
		f->v[f->n].span = m->span ? m->span : m->len;
		snprintf(f->v[f->n].secret, sizeof(f->v[f->n].secret), "%.*s", (int)m->len,
			 m->secret);
		path_str(m->encoding, f->v[f->n].path, sizeof(f->v[f->n].path));
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

static void scan(const char *text, struct found *f)
{
	memset(f, 0, sizeof(*f));
	cw_matcher_scan(mt, text, strlen(text), collect, f);
}

/* The same text through a stream, cut at `cut`. */
static __attribute__((unused)) void stream_cut(const char *text, size_t cut, struct found *f)
{
	struct cw_stream *s = cw_stream_open(mt);
	size_t len = strlen(text);

	memset(f, 0, sizeof(*f));
	if (!s)
		return;
	if (cut > len)
		cut = len;
	cw_stream_write(s, text, cut, collect, f);
	cw_stream_write(s, text + cut, len - cut, collect, f);
	cw_stream_close(s, collect, f);
}

static __attribute__((unused)) char *gen(const char *tmpl)
{
	char err[256];

	return cw_example_expand(tmpl, err, sizeof(err));
}

static __attribute__((unused)) char *b64(const char *s)
{
	static const char tab[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t n = strlen(s), o = 0;
	char *out = malloc(4 * (n + 2) / 3 + 4);

	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)(unsigned char)s[i] << 16;

		v |= i + 1 < n ? (uint32_t)(unsigned char)s[i + 1] << 8 : 0;
		v |= i + 2 < n ? (uint32_t)(unsigned char)s[i + 2] : 0;
		out[o++] = tab[v >> 18 & 63];
		out[o++] = tab[v >> 12 & 63];
		out[o++] = i + 1 < n ? tab[v >> 6 & 63] : '=';
		out[o++] = i + 2 < n ? tab[v & 63] : '=';
	}
	out[o] = '\0';
	return out;
}

TEST(decode_debug)
{
	struct found f;
	char *tok = strdup("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");
	char text[256];

	REQUIRE(!setup() && tok);
	snprintf(text, sizeof(text), "git clone https://me:%s%%20@github.com/a/b\n", tok);
	scan(text, &f);
	for (size_t i = 0; i < f.n; i++)
		fprintf(stderr, "%s %lu %lu %s\n", f.v[i].rule, (unsigned long)f.v[i].start,
			(unsigned long)f.v[i].span, f.v[i].path);
	CHECK_EQ_INT(f.n, 1);
	stream_cut(text, 500, &f);
	for (size_t i = 0; i < f.n; i++)
		fprintf(stderr, "S %s %lu %lu %s\n", f.v[i].rule, (unsigned long)f.v[i].start,
			(unsigned long)f.v[i].span, f.v[i].path);
	CHECK_EQ_INT(f.n, 1);
	free(tok);
}
