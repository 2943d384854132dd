// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* credwatch rules check: every rule compiles, its examples match and its negatives don't. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "detect/example_gen.h"
#include "util/log.h"
#include "detect/matcher.h"
#include "detect/rules.h"
#include "judge/destinations.h"

#define EXAMPLE_DRAWS 8 /* draws of a positive example template before it fails */

/* Returns the number of problems found with rule idx, printing each. */
static int check_rule(struct cw_matcher *m, size_t idx, const struct cw_rule *r)
{
	const char *why, *bad;
	char err[256];
	int problems = 0;

	if ((why = cw_destinations_problem(&r->destinations, false, &bad))) {
		printf("%s:%d: rule '%s': destination '%s': %s\n", r->file, r->line, r->id, bad,
		       why);
		problems++;
	}
	if (!r->examples.n) {
		printf("%s:%d: rule '%s': no examples\n", r->file, r->line, r->id);
		problems++;
	}
	if (!r->negative_examples.n) {
		printf("%s:%d: rule '%s': no negative_examples\n", r->file, r->line, r->id);
		problems++;
	}
	for (int neg = 0; neg < 2; neg++) {
		const struct cw_strv *v = neg ? &r->negative_examples : &r->examples;

		for (size_t i = 0; i < v->n; i++) {
			char *ex = NULL;
			int hits = 0;

			/*
			 * A template draws random characters: now and then a draw has too little
			 * entropy or a run of one character and is rightly filtered. A positive
			 * example fails only if every one of several draws does.
			 */
			for (int try = 0; try < (neg ? 1 : EXAMPLE_DRAWS); try++) {
				free(ex);
				ex = cw_example_expand(v->v[i], err, sizeof(err));
				if (!ex)
					break;
				hits = cw_matcher_count_rule(m, idx, ex, strlen(ex));
				if (hits > 0)
					break;
			}
			if (!ex) {
				printf("%s:%d: rule '%s': %s %zu: %s\n", r->file, r->line, r->id,
				       neg ? "negative example" : "example", i + 1, err);
				problems++;
				continue;
			}
			if (neg ? hits != 0 : hits <= 0) {
				printf("%s:%d: rule '%s': %s %zu %s: %s\n", r->file, r->line, r->id,
				       neg ? "negative example" : "example", i + 1,
				       neg ? "matches" : "does not match", v->v[i]);
				problems++;
			}
			free(ex);
		}
	}
	return problems;
}

static void rules_usage(FILE *f)
{
	fprintf(f,
		"usage: credwatch rules check [DIR]\n"
		"       credwatch rules profile FILE [DIR]\n"
		"\n"
		"Validate rules (DIR, or the embedded set): each pattern compiles, each example\n"
		"matches its rule and each negative example does not. Examples may use "
		"%%{CLASS:N}\n"
		"for N random characters of CLASS (alnum, upper, lower, digit, hex, HEX,\n"
		"upperdigit, lowerdigit, base64, base64url, base32).\n"
		"\n"
		"'profile' runs every rule alone over FILE and lists the 40 slowest, for rule\n"
		"authors tightening patterns. It also times the rules' keywords alone, as one\n"
		"literal database: the least a keyword prefilter over these rules would cost.\n"
		"\n"
		"Exit status: 0 all good, 1 problems found, 2 rules could not be loaded.\n"
		"\n"
		"EXAMPLES\n"
		"  credwatch rules check            the embedded rules\n"
		"  credwatch rules check ./rules    a rules directory\n"
		"  credwatch rules profile big.log  the costliest embedded rules on big.log\n");
}

int cw_cmd_rules(int argc, char **argv)
{
	struct cw_ruleset rs = { 0 };
	struct cw_matcher *m = NULL;
	size_t examples = 0, negatives = 0, engines[3] = { 0 };
	const char *dir;
	char err[1024];
	int problems = 0;

	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		rules_usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (!strcmp(argv[1], "profile")) {
		if (argc < 3 || argc > 4) {
			rules_usage(stderr);
			return 2;
		}
		return cw_cmd_rules_profile(argc == 4 ? argv[3] : NULL, argv[2], 40);
	}
	if (strcmp(argv[1], "check") || argc > 3) {
		rules_usage(stderr);
		return 2;
	}
	dir = argc == 3 ? argv[2] : NULL;
	if (cw_rules_load_default(&rs, dir, err, sizeof(err)) ||
	    cw_matcher_new(&rs, &m, err, sizeof(err))) {
		cw_log("%s", err);
		cw_rules_free(&rs);
		return 2;
	}
	for (size_t i = 0; i < rs.n; i++) {
		enum cw_engine e = cw_matcher_engine(m, i);

		problems += check_rule(m, i, &rs.rules[i]);
		examples += rs.rules[i].examples.n;
		negatives += rs.rules[i].negative_examples.n;
		engines[e]++;
		/* Say which rules leave the fast path, and why it matters. */
		if (e != CW_ENGINE_VECTORSCAN)
			printf("%s:%d: rule '%s': matched by %s%s\n", rs.rules[i].file,
			       rs.rules[i].line, rs.rules[i].id, cw_engine_name(e),
			       e == CW_ENGINE_PCRE2
				       ? " only (Vectorscan cannot compile it: slow path)"
				       : " (confirmed by PCRE2)");
	}
	printf("%zu rules (%zu vectorscan, %zu vectorscan-prefilter, %zu pcre2-only), "
	       "%zu examples, %zu negative examples: %s (%d problems)\n",
	       rs.n, engines[CW_ENGINE_VECTORSCAN], engines[CW_ENGINE_PREFILTER],
	       engines[CW_ENGINE_PCRE2], examples, negatives, problems ? "FAILED" : "ok", problems);
	cw_matcher_free(m);
	cw_rules_free(&rs);
	return problems ? 1 : 0;
}
