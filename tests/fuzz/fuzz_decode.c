// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * libFuzzer target: bytes a process writes or sends, through the matcher with the embedded
 * rules, so the decoding layers (detect/decode.c: Basic, base64, percent, JSON escapes,
 * userinfo, layers inside layers) run on carriers Vectorscan really finds, with the checksum
 * validators and the JWT parser behind them. Once as a block, once as a stream cut where
 * byte 0 says. Every match must lie inside the data, its secret readable for its length.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "detect/decode.h"
#include "detect/matcher.h"
#include "detect/rules.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct cw_ruleset rs;
static struct cw_matcher *mt;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char err[512];

	(void)argc;
	(void)argv;
	if (cw_rules_load_embedded(&rs, err, sizeof(err)) ||
	    cw_matcher_new(&rs, &mt, err, sizeof(err))) {
		fprintf(stderr, "fuzz_decode: %s\n", err);
		abort();
	}
	return 0;
}

struct seen {
	size_t size; /* bytes scanned */
	volatile unsigned sum;
};

static int on_match(const struct cw_match *m, void *arg)
{
	struct seen *s = arg;
	size_t span = m->span ? m->span : m->len;

	if (!m->rule || !m->rule->id || !m->len || m->start > s->size || span > s->size - m->start)
		abort();
	for (size_t i = 0; i < m->len; i++)
		s->sum += (uint8_t)m->secret[i];
	for (unsigned i = 0; cw_enc_step(m->encoding, i); i++)
		s->sum += (unsigned)cw_enc_name(cw_enc_step(m->encoding, i))[0];
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data + 1;
	struct seen s = { 0 };
	struct cw_stream *st;
	size_t cut;

	if (size < 1)
		return 0;
	s.size = size - 1;
	cut = s.size * data[0] / 255;
	cw_matcher_scan(mt, p, s.size, on_match, &s);
	st = cw_stream_open(mt);
	if (!st)
		abort();
	cw_stream_write(st, p, cut, on_match, &s);
	cw_stream_write(st, p + cut, s.size - cut, on_match, &s);
	cw_stream_close(st, on_match, &s);
	return 0;
}
