// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "detect/matcher.h"
#include "detect/rules.h"
#include "test.h"
#include "testutil.h"

static const char full_yaml[] =
	"# a comment line\n"							  /* 1 */
	"rules:\n"								  /* 2 */
	"  - id: demo-token\n"							  /* 3 */
	"    name: Demo service token\n"					  /* 4 */
	"    description: ignored by the loader\n"				  /* 5 */
	"    provider: demo\n"							  /* 6 */
	"    kind: demo-kind\n"							  /* 7 */
	"    pattern: '\\b(dmo_[a-z0-9]{20})\\b'\n"				  /* 8 */
	"    keywords: [dmo_, DMO-]\n"						  /* 9 */
	"    entropy: 3.25\n"							  /* 10 */
	"    priority: 70\n"							  /* 11 */
	"    lifetime: short-lived\n"						  /* 12 */
	"    destinations: [demo.example, '*.demo.example']\n"			  /* 13 */
	"    examples: ['X=dmo_%{lowerdigit:20}', \"y: dmo_%{lowerdigit:20}\"]\n" /* 14 */
	"    negative_examples:\n"						  /* 15 */
	"      - 'dmo_%{lowerdigit:5}'\n"					  /* 16 */
	"\n"									  /* 17 */
	"  - id: minimal_rule-2\n"						  /* 18 */
	"    name: \"Minimal\"\n"						  /* 19 */
	"    pattern: abc\n"							  /* 20 */
	"    keywords: single\n"						  /* 21 */
	"    lifetime: long-lived\n";						  /* 22 */

static int load(struct cw_ruleset *rs, const char *file, const char *yaml, char *err, size_t errlen)
{
	err[0] = '\0';
	return cw_rules_load_buf(rs, file, yaml, strlen(yaml), err, errlen);
}

static bool strv_is(const struct cw_strv *s, size_t n, const char *const *want)
{
	if (s->n != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (strcmp(s->v[i], want[i]))
			return false;
	return true;
}

TEST(rules_load_every_field)
{
	static const char *const kw[] = { "dmo_", "DMO-" };
	static const char *const dst[] = { "demo.example", "*.demo.example" };
	static const char *const ex[] = { "X=dmo_%{lowerdigit:20}", "y: dmo_%{lowerdigit:20}" };
	static const char *const neg[] = { "dmo_%{lowerdigit:5}" };
	static const char *const single[] = { "single" };
	struct cw_ruleset rs = { 0 };
	const struct cw_rule *r;
	char err[512];

	REQUIRE(load(&rs, "mem.yaml", full_yaml, err, sizeof(err)) == 0);
	REQUIRE(rs.n == 2);
	r = &rs.rules[0];
	CHECK_EQ_STR(r->id, "demo-token");
	CHECK_EQ_STR(r->name, "Demo service token");
	CHECK_EQ_STR(r->pattern, "\\b(dmo_[a-z0-9]{20})\\b");
	CHECK_EQ_STR(r->kind, "demo-kind");
	CHECK_EQ_STR(r->provider, "demo");
	CHECK(strv_is(&r->keywords, 2, kw));
	CHECK(r->entropy == 3.25);
	CHECK_EQ_INT(r->priority, 70);
	CHECK_EQ_INT(r->lifetime, CW_LIFETIME_SHORT);
	CHECK(strv_is(&r->destinations, 2, dst));
	CHECK(strv_is(&r->examples, 2, ex));
	CHECK(strv_is(&r->negative_examples, 1, neg));
	CHECK_EQ_STR(r->file, "mem.yaml");
	CHECK_EQ_INT(r->line, 3);

	/* defaults */
	r = &rs.rules[1];
	CHECK_EQ_STR(r->id, "minimal_rule-2");
	CHECK_EQ_STR(r->name, "Minimal");
	CHECK_EQ_STR(r->pattern, "abc");
	CHECK_EQ_STR(r->kind, "minimal_rule-2"); /* kind defaults to the id */
	CHECK(r->provider == NULL);
	CHECK(strv_is(&r->keywords, 1, single)); /* a scalar is a list of one */
	CHECK(r->entropy == 0);
	CHECK_EQ_INT(r->priority, CW_RULE_DEFAULT_PRIORITY);
	CHECK_EQ_INT(CW_RULE_DEFAULT_PRIORITY, 50);
	CHECK_EQ_INT(r->lifetime, CW_LIFETIME_LONG);
	CHECK_EQ_INT(r->destinations.n, 0);
	CHECK_EQ_INT(r->examples.n, 0);
	CHECK_EQ_INT(r->negative_examples.n, 0);
	CHECK_EQ_STR(r->file, "mem.yaml");
	CHECK_EQ_INT(r->line, 18);

	CHECK_EQ_STR(cw_lifetime_name(CW_LIFETIME_LONG), "long-lived");
	CHECK_EQ_STR(cw_lifetime_name(CW_LIFETIME_SHORT), "short-lived");
	CHECK_EQ_STR(cw_lifetime_name(CW_LIFETIME_UNKNOWN), "unknown");
	cw_rules_free(&rs);
	CHECK(rs.n == 0 && rs.rules == NULL);
}

TEST(rules_lifetime_default_is_unknown_and_empty_list_loads)
{
	struct cw_ruleset rs = { 0 };
	char err[512];

	REQUIRE(load(&rs, "a.yaml", "rules:\n- {id: x, name: X, pattern: 'y'}\n", err,
		     sizeof(err)) == 0);
	REQUIRE(rs.n == 1);
	CHECK_EQ_INT(rs.rules[0].lifetime, CW_LIFETIME_UNKNOWN);
	CHECK_EQ_INT(rs.rules[0].line, 2);
	CHECK_EQ_INT(load(&rs, "b.yaml", "rules: []\n", err, sizeof(err)), 0);
	CHECK_EQ_INT(rs.n, 1);
	cw_rules_free(&rs);
}

struct bad_case {
	const char *yaml;
	int line;	  /* the line the message must name */
	const char *what; /* and a part of the message */
};

/*
 * Each malformed file must fail with -EINVAL and "bad.yaml:LINE: ...", and add nothing: the
 * set already holds one good rule before, and holds exactly that rule after.
 */
static void check_bad(const struct bad_case *c, size_t idx)
{
	struct cw_ruleset rs = { 0 };
	char err[1024], prefix[64];
	int ret;

	if (load(&rs, "good.yaml", "rules:\n  - id: kept\n    name: K\n    pattern: k\n", err,
		 sizeof(err)) ||
	    rs.n != 1) {
		cw_test_fail(__FILE__, __LINE__, "case %zu: setup failed: %s", idx, err);
		cw_rules_free(&rs);
		return;
	}
	ret = load(&rs, "bad.yaml", c->yaml, err, sizeof(err));
	snprintf(prefix, sizeof(prefix), "bad.yaml:%d: ", c->line);
	if (ret != -EINVAL)
		cw_test_fail(__FILE__, __LINE__, "case %zu: ret %d, want -EINVAL (err \"%s\")", idx,
			     ret, err);
	if (strncmp(err, prefix, strlen(prefix)))
		cw_test_fail(__FILE__, __LINE__, "case %zu: \"%s\" does not start with \"%s\"", idx,
			     err, prefix);
	if (!strstr(err, c->what))
		cw_test_fail(__FILE__, __LINE__, "case %zu: \"%s\" does not mention \"%s\"", idx,
			     err, c->what);
	if (rs.n != 1 || strcmp(rs.rules[0].id, "kept"))
		cw_test_fail(__FILE__, __LINE__, "case %zu: the set changed: %zu rules", idx, rs.n);
	cw_rules_free(&rs);
}

#define RULE_HEAD "rules:\n  - id: a\n    name: A\n    pattern: x\n" /* lines 1-4 */

static const struct bad_case bad_cases[] = {
	/* 0: YAML syntax: a field indented less than its rule, after a complete rule */
	{ RULE_HEAD "   keywords: [k]\n", 5, "YAML syntax error" },
	/* 1: YAML syntax: a tab for indentation */
	{ "rules:\n\t- id: a\n", 2, "YAML syntax error" },
	/* 2: YAML syntax: a field indented deeper than its siblings */
	{ RULE_HEAD "      keywords: [k]\n", 5, "YAML syntax error" },
	/* 3: unknown field, named */
	{ RULE_HEAD "    colour: red\n", 5, "unknown field 'colour'" },
	/* 4-7: missing id, name, pattern; an empty pattern */
	{ "rules:\n  - id: ok\n    name: O\n    pattern: o\n  - name: A\n    pattern: x\n", 5,
	  "no 'id'" },
	{ "rules:\n\n  - id: a\n    pattern: x\n", 3, "no 'name'" },
	{ "rules:\n  - id: a\n    name: A\n", 2, "no 'pattern'" },
	{ "rules:\n  - id: a\n    name: A\n    pattern: ''\n", 2, "no 'pattern'" },
	/* 8: lifetime not one of the three */
	{ RULE_HEAD "    lifetime: forever\n", 5, "lifetime" },
	/* 9-13: entropy not a number, or out of [0, 8] */
	{ RULE_HEAD "    entropy: high\n", 5, "not a number" },
	{ RULE_HEAD "    entropy: 3.0x\n", 5, "not a number" },
	{ RULE_HEAD "    entropy: ''\n", 5, "not a number" },
	{ RULE_HEAD "    entropy: 8.5\n", 5, "out of range" },
	{ RULE_HEAD "    entropy: -1\n", 5, "out of range" },
	/* 14: priority out of [0, 100] */
	{ RULE_HEAD "    priority: 101\n", 5, "out of range" },
	/* 15-16: duplicate id, in the same file; the message says where it was first defined */
	{ RULE_HEAD "  - id: a\n    name: B\n    pattern: y\n", 5, "first defined at bad.yaml:2" },
	{ "rules:\n  - id: kept\n    name: K2\n    pattern: k\n", 2,
	  "first defined at good.yaml:2" },
	/* 17-19: rules not a list */
	{ "rules: {a: b}\n", 1, "'rules' must be a list" },
	{ "\nrules: just-a-string\n", 2, "'rules' must be a list" },
	{ "rules: [x]\n", 1, "each rule must be a mapping" },
	/* 20-23: no top-level rules key */
	{ "", 1, "no top-level 'rules:'" },
	{ "# nothing here\n", 2, "no top-level 'rules:'" },
	{ "# c\nrule:\n  - id: a\n", 2, "unknown top-level field 'rule'" },
	{ "- id: a\n  name: A\n  pattern: x\n", 1, "expected a mapping with a 'rules:' list" },
	/* 24-27: bad id characters */
	{ "rules:\n  - id: Bad.Id\n    name: A\n    pattern: x\n", 2, "rule id 'Bad.Id'" },
	{ "rules:\n  - id: 'a b'\n    name: A\n    pattern: x\n", 2, "rule id 'a b'" },
	{ "rules:\n  - id: ''\n    name: A\n    pattern: x\n", 2, "rule id ''" },
	{ "rules:\n  - id: caf\xc3\xa9\n    name: A\n    pattern: x\n", 2, "use only a-z" },
	/* 28-30: wrong types, fields given twice, empty keyword */
	{ RULE_HEAD "    examples: {a: b}\n", 5, "must be a list of strings" },
	{ "rules:\n  - id: a\n    name: [A]\n    pattern: x\n", 3, "'name' must be a string" },
	{ RULE_HEAD "    name: B\n", 5, "'name' given twice" },
	{ RULE_HEAD "    keywords: ['']\n", 5, "empty keyword" },
	/* 32: the error is found in a later rule: the whole file still adds nothing */
	{ RULE_HEAD "  - id: b\n    name: B\n    pattern: y\n  - id: c\n    name: C\n", 8,
	  "no 'pattern'" },
};

TEST(rules_malformed_files_name_file_line_and_problem)
{
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++)
		check_bad(&bad_cases[i], i);
}

/*
 * Bad indentation in the middle of a rule. libyaml reports it at line 4 ("pattern" is
 * indented by 3); the message must point there, not blame line 2 for a missing pattern.
 */
TEST(rules_syntax_error_mid_rule_names_its_line)
{
	static const struct bad_case c = { "rules:\n  - id: a\n    name: A\n   pattern: x\n", 4,
					   "YAML syntax error" };

	check_bad(&c, 0);
}

/*
 * An unclosed quote or flow list: libyaml only notices at the end of the stream. The line to
 * fix is the one where the quote or list opens, not the (empty) line after the last one.
 */
TEST(rules_unclosed_quote_or_list_names_the_opening_line)
{
	static const struct bad_case cases[] = {
		{ "rules:\n  - id: a\n    name: 'A\n    pattern: x\n\n\n", 3, "YAML syntax error" },
		{ "rules:\n  - id: a\n    name: \"A\n    pattern: x\n", 3, "YAML syntax error" },
		{ RULE_HEAD "    keywords: [k\n", 5, "YAML syntax error" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_bad(&cases[i], i);
}

/* NaN is not a number: strtod() accepts "nan", and every range check on NaN is false. */
TEST(rules_nan_is_not_a_number)
{
	static const struct bad_case cases[] = {
		{ RULE_HEAD "    entropy: nan\n", 5, "entropy" },
		{ RULE_HEAD "    entropy: NaN\n", 5, "entropy" },
		{ RULE_HEAD "    priority: nan\n", 5, "priority" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_bad(&cases[i], i);
}

/*
 * A priority past what an int holds is refused like any out of range, and never converted
 * (found by fuzz_yaml: the value was cast to int before the range check's error was returned,
 * which UBSan reports).
 */
TEST(rules_priority_far_out_of_range)
{
	static const struct bad_case cases[] = {
		{ RULE_HEAD "    priority: 1e300\n", 5, "out of range" },
		{ RULE_HEAD "    priority: -4888888888888888888888\n", 5, "out of range" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_bad(&cases[i], i);
}

/* The loader rejects a string or list field given twice; number and enum fields likewise. */
TEST(rules_any_field_given_twice_is_an_error)
{
	static const struct bad_case cases[] = {
		{ RULE_HEAD "    keywords: [k]\n    keywords: [j]\n", 6, "given twice" },
		{ RULE_HEAD "    entropy: 1\n    entropy: 2\n", 6, "given twice" },
		{ RULE_HEAD "    priority: 1\n    priority: 2\n", 6, "given twice" },
		{ RULE_HEAD "    lifetime: unknown\n    lifetime: long-lived\n", 6, "given twice" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_bad(&cases[i], i);
}

TEST(rules_duplicate_id_across_files)
{
	struct cw_ruleset rs = { 0 };
	char err[512];

	REQUIRE(load(&rs, "one.yaml", "rules:\n\n  - id: shared\n    name: S\n    pattern: s\n",
		     err, sizeof(err)) == 0);
	CHECK_EQ_INT(load(&rs, "two.yaml",
			  "rules:\n  - id: fine\n    name: F\n    pattern: f\n"
			  "  - id: shared\n    name: S2\n    pattern: s\n",
			  err, sizeof(err)),
		     -EINVAL);
	CHECK_EQ_STR(err, "two.yaml:5: duplicate rule id 'shared' (first defined at one.yaml:3)");
	/* "fine" came from the failed file: it is gone */
	CHECK_EQ_INT(rs.n, 1);
	cw_rules_free(&rs);
}

static int write_rules(const char *dir, const char *name, const char *yaml)
{
	char path[4200];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return tu_write_file(path, yaml, strlen(yaml), 0644);
}

TEST(rules_load_dir_in_name_order)
{
	struct cw_ruleset rs = { 0 };
	char dir[256], err[512], want[512];

	REQUIRE(tu_mkdtemp(dir, sizeof(dir)) == 0);
	/* written in the opposite order; a.yml and b.yaml both count, the rest is ignored */
	REQUIRE(write_rules(dir, "b.yaml",
			    "rules:\n  - id: from-b\n    name: B\n    pattern: b\n"
			    "  - id: from-b2\n    name: B2\n    pattern: b2\n") == 0);
	REQUIRE(write_rules(dir, "a.yml",
			    "rules:\n  - id: from-a\n    name: A\n    pattern: a\n") == 0);
	REQUIRE(write_rules(dir, "c.txt", "not: yaml: at: all: [\n") == 0);
	REQUIRE(write_rules(dir, ".hidden.yaml", "garbage: [\n") == 0);
	err[0] = '\0';
	CHECK_EQ_INT(cw_rules_load_dir(&rs, dir, err, sizeof(err)), 0);
	CHECK_EQ_STR(err, "");
	REQUIRE(rs.n == 3);
	CHECK_EQ_STR(rs.rules[0].id, "from-a");
	CHECK_EQ_STR(rs.rules[1].id, "from-b");
	CHECK_EQ_STR(rs.rules[2].id, "from-b2");
	snprintf(want, sizeof(want), "%s/a.yml", dir);
	CHECK_EQ_STR(rs.rules[0].file, want);
	snprintf(want, sizeof(want), "%s/b.yaml", dir);
	CHECK_EQ_STR(rs.rules[2].file, want);
	CHECK_EQ_INT(rs.rules[2].line, 5);
	cw_rules_free(&rs);

	/* a regular file given as the "dir" loads that file */
	snprintf(want, sizeof(want), "%s/b.yaml", dir);
	CHECK_EQ_INT(cw_rules_load_dir(&rs, want, err, sizeof(err)), 0);
	CHECK_EQ_INT(rs.n, 2);
	cw_rules_free(&rs);

	/* a bad file's error names the file's full path and line */
	REQUIRE(write_rules(dir, "c.yaml", "rules:\n  - id: c\n    name: C\n") == 0);
	CHECK_EQ_INT(cw_rules_load_dir(&rs, dir, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want), "%s/c.yaml:2: ", dir);
	CHECK(!strncmp(err, want, strlen(want)));
	cw_rules_free(&rs);
	tu_rmtree(dir);
}

TEST(rules_load_dir_without_yaml_is_an_error)
{
	struct cw_ruleset rs = { 0 };
	char dir[256], err[512], sub[300];

	REQUIRE(tu_mkdtemp(dir, sizeof(dir)) == 0);
	err[0] = '\0';
	CHECK(cw_rules_load_dir(&rs, dir, err, sizeof(err)) < 0);
	CHECK_CONTAINS(err, dir);
	CHECK_CONTAINS(err, "no *.yaml");
	CHECK_EQ_INT(rs.n, 0);
	REQUIRE(write_rules(dir, "README.md", "rules:\n  - id: a\n    name: A\n    pattern: a\n") ==
		0);
	REQUIRE(write_rules(dir, ".x.yaml", "rules:\n  - id: a\n    name: A\n    pattern: a\n") ==
		0);
	err[0] = '\0';
	CHECK(cw_rules_load_dir(&rs, dir, err, sizeof(err)) < 0);
	CHECK_CONTAINS(err, "no *.yaml");
	CHECK_EQ_INT(rs.n, 0);
	/* a directory that does not exist */
	snprintf(sub, sizeof(sub), "%s/missing", dir);
	CHECK_EQ_INT(cw_rules_load_dir(&rs, sub, err, sizeof(err)), -ENOENT);
	CHECK_CONTAINS(err, sub);
	CHECK_EQ_INT(cw_rules_load_file(&rs, sub, err, sizeof(err)), -ENOENT);
	cw_rules_free(&rs);
	tu_rmtree(dir);
}

TEST(rules_embedded_set_is_complete)
{
	struct cw_ruleset rs = { 0 };
	char err[1024];

	err[0] = '\0';
	REQUIRE(cw_rules_load_embedded(&rs, err, sizeof(err)) == 0);
	CHECK_EQ_STR(err, "");
	CHECK(rs.n >= 20);
	CHECK(cw_embedded_rules_count >= 1);
	for (size_t i = 0; i < rs.n; i++) {
		const struct cw_rule *r = &rs.rules[i];

		if (r->examples.n < 1 || r->negative_examples.n < 1)
			cw_test_fail(__FILE__, __LINE__, "rule %s: %zu examples, %zu negative",
				     r->id, r->examples.n, r->negative_examples.n);
		CHECK(r->name && *r->name && r->pattern && *r->pattern && r->kind && *r->kind);
		CHECK(r->file && !strncmp(r->file, "rules/", 6) && r->line > 1);
		CHECK(r->priority >= 0 && r->priority <= 100);
		for (size_t k = 0; k < i; k++)
			if (!strcmp(rs.rules[k].id, r->id))
				cw_test_fail(__FILE__, __LINE__, "duplicate id %s", r->id);
	}
	/* a few rules later tests rely on */
	{
		static const char *const ids[] = { "github-pat-classic", "aws-access-key-id",
						   "aws-secret-access-key",
						   "generic-secret-assignment" };

		for (size_t k = 0; k < sizeof(ids) / sizeof(ids[0]); k++) {
			bool found = false;

			for (size_t i = 0; i < rs.n; i++)
				found |= !strcmp(rs.rules[i].id, ids[k]);
			if (!found)
				cw_test_fail(__FILE__, __LINE__, "no rule %s", ids[k]);
		}
	}
	/* loading it twice collides on every id, and adds nothing */
	{
		size_t n = rs.n;

		CHECK_EQ_INT(cw_rules_load_embedded(&rs, err, sizeof(err)), -EINVAL);
		CHECK_CONTAINS(err, "duplicate rule id");
		CHECK_EQ_INT(rs.n, n);
	}
	cw_rules_free(&rs);
}

TEST(rules_pattern_that_does_not_compile_names_file_and_line)
{
	struct cw_ruleset rs = { 0 };
	struct cw_matcher *m = NULL;
	char err[1024];
	const char *want = "broken.yaml:6: rule 'broken': pattern does not compile";

	REQUIRE(load(&rs, "broken.yaml",
		     "rules:\n  - id: fine\n    name: F\n    keywords: [f]\n    pattern: 'f+'\n"
		     "  - id: broken\n    name: B\n    keywords: [b]\n    pattern: '('\n"
		     "  - id: after\n    name: A\n    pattern: 'a'\n",
		     err, sizeof(err)) == 0);
	REQUIRE(rs.n == 3);
	err[0] = '\0';
	CHECK_EQ_INT(cw_matcher_new(&rs, &m, err, sizeof(err)), -EINVAL);
	CHECK(m == NULL);
	if (strncmp(err, want, strlen(want)))
		cw_test_fail(__FILE__, __LINE__, "\"%s\" does not start with \"%s\"", err, want);
	cw_rules_free(&rs);

	/* the first rule broken, and a lone ')' */
	REQUIRE(load(&rs, "b2.yaml", "rules:\n  - id: b2\n    name: B\n    pattern: 'a)'\n", err,
		     sizeof(err)) == 0);
	CHECK_EQ_INT(cw_matcher_new(&rs, &m, err, sizeof(err)), -EINVAL);
	CHECK(!strncmp(err, "b2.yaml:2: rule 'b2': pattern does not compile", 46));
	cw_rules_free(&rs);

	/* an empty rule set compiles to a matcher that finds nothing */
	CHECK_EQ_INT(cw_matcher_new(&rs, &m, err, sizeof(err)), 0);
	REQUIRE(m);
	CHECK_EQ_INT(cw_matcher_scan(m, "anything", 8, NULL, NULL), 0);
	cw_matcher_free(m);
}

/*
 * The rules loader reads values with the policy's reader (util/yaml_reader): an alias or a
 * tag is an error that says to quote the value, and an empty value is an empty list.
 */
TEST(rules_aliases_and_tags_are_errors_and_an_empty_value_is_an_empty_list)
{
	static const struct bad_case cases[] = {
		{ "rules:\n  - id: a\n    name: &n A\n    pattern: *n\n", 4,
		  "'*n' is a YAML alias, which a rules file does not take" },
		{ RULE_HEAD "    keywords: [k, *k]\n", 5, "'*k' is a YAML alias" },
		{ RULE_HEAD "    examples: [!x abc]\n", 5, "reads as a YAML tag" },
		{ RULE_HEAD "    keywords: *.pem\n", 5, "quote values that start with '*'" },
	};
	struct cw_ruleset rs = { 0 };
	char err[512];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_bad(&cases[i], i);
	REQUIRE(load(&rs, "e.yaml", RULE_HEAD "    keywords:\n    destinations: ~\n", err,
		     sizeof(err)) == 0);
	REQUIRE(rs.n == 1);
	CHECK_EQ_INT(rs.rules[0].keywords.n, 0);
	CHECK_EQ_INT(rs.rules[0].destinations.n, 0);
	cw_rules_free(&rs);
}

TEST(rules_ignore_keys_are_written_as_they_are_compared)
{
	struct cw_ruleset rs = { 0 };
	char err[512];

	CHECK_EQ_INT(load(&rs, "ik.yaml",
			  "rules:\n  - id: ik\n    name: I\n    pattern: '(?<key>a)=(b)'\n"
			  "    ignore_keys: [Next_Token]\n",
			  err, sizeof(err)),
		     -EINVAL);
	CHECK_CONTAINS(err, "ik.yaml:5:");
	CHECK_CONTAINS(err, "'Next_Token': write names in a-z and 0-9 only");
	REQUIRE(load(&rs, "ik.yaml",
		     "rules:\n  - id: ik\n    name: I\n    pattern: '(?<key>a)=(b)'\n"
		     "    ignore_keys: [nexttoken]\n    ignore_values: ['^x']\n"
		     "    ignore_lines: ['^y', '^z']\n",
		     err, sizeof(err)) == 0);
	CHECK_EQ_INT(rs.rules[0].ignore_keys.n, 1);
	CHECK_EQ_INT(rs.rules[0].ignore_values.n, 1);
	CHECK_EQ_INT(rs.rules[0].ignore_lines.n, 2);
	cw_rules_free(&rs);
}
