// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Rules Vectorscan cannot take whole still match, in block and stream mode alike. */
#include <stdlib.h>

#include "detect/matcher.h"
#include "detect/rules.h"
#include "test.h"

static const char rules_yaml[] =
	"rules:\n"
	/* exact in Vectorscan */
	"  - id: plain\n    name: Plain\n    pattern: '\\b(zzk_[a-z0-9]{16})\\b'\n"
	/* a lookahead: Vectorscan prefilter, PCRE2 decides */
	"  - id: look\n    name: Lookahead\n    pattern: '(qqk_[a-z0-9]{16})(?![a-z0-9])'\n"
	/* a branch reset group: Vectorscan cannot compile it at all */
	"  - id: cond\n    name: Branch reset\n"
	"    pattern: '\\b(?|wwk_([0-9]{12})|wwq_([a-z]{8}))\\b'\n"
	"    keywords: [wwk_, wwq_]\n";

struct hits {
	int n;
	const char *ids[8];
	unsigned long long starts[8];
};

static int collect(const struct cw_match *m, void *arg)
{
	struct hits *h = arg;

	if (h->n < 8) {
		h->ids[h->n] = m->rule->id;
		h->starts[h->n] = m->start;
	}
	h->n++;
	return 0;
}

TEST(engines_exact_prefilter_and_pcre2_only_rules_all_match)
{
	/* (no runs or sequences here: the placeholder filter would drop them) */
	const char *text = "a zzk_q7w3e9r1t5y2u8i4 b qqk_p0o9i8u7y6t5r4e3 c wwk_730194628501 d "
			   "qqk_p0o9i8u7y6t5r4e3x wwk_short";
	struct cw_ruleset rs = { 0 };
	struct cw_matcher *m = NULL;
	struct hits block = { 0 }, stream = { 0 };
	char err[512];

	REQUIRE(cw_rules_load_buf(&rs, "engines.yaml", rules_yaml, sizeof(rules_yaml) - 1, err,
				  sizeof(err)) == 0);
	REQUIRE(cw_matcher_new(&rs, &m, err, sizeof(err)) == 0);
	CHECK_EQ_INT(cw_matcher_engine(m, 0), CW_ENGINE_VECTORSCAN);
	CHECK_EQ_INT(cw_matcher_engine(m, 1), CW_ENGINE_PREFILTER);
	CHECK_EQ_INT(cw_matcher_engine(m, 2), CW_ENGINE_PCRE2);
	CHECK_EQ_STR(cw_engine_name(CW_ENGINE_PCRE2), "pcre2");

	CHECK_EQ_INT(cw_matcher_scan(m, text, strlen(text), collect, &block), 3);
	CHECK_EQ_STR(block.ids[0], "plain");
	CHECK_EQ_INT(block.starts[0], 2);
	CHECK_EQ_STR(block.ids[1], "look");
	CHECK_EQ_INT(block.starts[1], 25);
	CHECK_EQ_STR(block.ids[2], "cond");
	CHECK_EQ_INT(block.starts[2], 52); /* group 1: the digits after wwk_ */

	/* The same text through a stream, in 5-byte writes. */
	struct cw_stream *s = cw_stream_open(m);

	REQUIRE(s);
	for (size_t off = 0; off < strlen(text); off += 5) {
		size_t n = strlen(text) - off < 5 ? strlen(text) - off : 5;

		cw_stream_write(s, text + off, n, collect, &stream);
	}
	cw_stream_close(s, collect, &stream);
	CHECK_EQ_INT(stream.n, 3);
	for (int i = 0; i < 3 && i < stream.n; i++) {
		CHECK_EQ_STR(stream.ids[i], block.ids[i]);
		CHECK_EQ_INT(stream.starts[i], block.starts[i]);
	}
	cw_matcher_free(m);
	cw_rules_free(&rs);
}
