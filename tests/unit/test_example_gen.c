// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Rule example templates: classes, generators, text around them, and the errors. */
#include <stdlib.h>
#include <string.h>

#include "detect/example_gen.h"
#include "detect/validate.h"
#include "test.h"

static bool all_in(const char *s, size_t n, const char *chars)
{
	for (size_t i = 0; i < n; i++)
		if (!s[i] || !strchr(chars, s[i]))
			return false;
	return true;
}

TEST(example_gen_classes_and_text_around_them)
{
	char err[256], *s = cw_example_expand("key=%{HEX:8}-%{digit:3};", err, sizeof(err));

	REQUIRE(s);
	CHECK_EQ_INT(strlen(s), 4 + 8 + 1 + 3 + 1);
	CHECK(!strncmp(s, "key=", 4));
	CHECK(all_in(s + 4, 8, "0123456789ABCDEF"));
	CHECK_EQ_INT(s[12], '-');
	CHECK(all_in(s + 13, 3, "0123456789"));
	CHECK_EQ_STR(s + 16, ";");
	free(s);
	s = cw_example_expand("", err, sizeof(err));
	CHECK_EQ_STR(s, "");
	free(s);
	s = cw_example_expand("100% plain {text}", err, sizeof(err));
	CHECK_EQ_STR(s, "100% plain {text}");
	free(s);
}

TEST(example_gen_largest_class_count)
{
	char err[256], *s = cw_example_expand("%{base32:256}", err, sizeof(err));

	REQUIRE(s);
	CHECK_EQ_INT(strlen(s), 256);
	CHECK(all_in(s, 256, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"));
	free(s);
}

/* A token much longer than its directive, then long text: all of it, in order. */
TEST(example_gen_generated_token_then_long_text)
{
	char tmpl[600], err[256], *s;

	memset(tmpl, 'x', sizeof(tmpl));
	memcpy(tmpl, "%{gen:jwt:60}", 13);
	tmpl[sizeof(tmpl) - 1] = '\0';
	s = cw_example_expand(tmpl, err, sizeof(err));
	REQUIRE(s);
	CHECK(!strncmp(s, "eyJ", 3));
	CHECK(strlen(s) > 586 + 100);
	CHECK(all_in(s + strlen(s) - 586, 586, "x"));
	free(s);
}

TEST(example_gen_generators_have_valid_checksums)
{
	char err[256], *s = cw_example_expand("%{gen:github:ghp_}", err, sizeof(err));

	REQUIRE(s);
	CHECK_EQ_INT(strlen(s), 40);
	CHECK(!strncmp(s, "ghp_", 4));
	CHECK(cw_validate(CW_VALIDATE_GITHUB_CRC32, s, strlen(s)));
	free(s);
	s = cw_example_expand("%{gen:npm}", err, sizeof(err));
	REQUIRE(s);
	CHECK(!strncmp(s, "npm_", 4));
	CHECK_EQ_INT(strlen(s), 40);
	free(s);
}

TEST(example_gen_errors_name_the_place)
{
	static const struct {
		const char *tmpl, *err;
	} bad[] = {
		{ "a %{gen:nosuch}", "bad template at '%{gen:nosuch}': unknown generator" },
		{ "%{gen:github}", "bad template at '%{gen:github}': unknown generator" },
		{ "x%{alnum}", "bad template at '%{alnum}': want %{CLASS:N}" },
		{ "%{alnum:4", "bad template at '%{alnum:4': want %{CLASS:N}" },
		{ "%{nosuch:4}", "bad template at '%{nosuch:4}': unknown class or count" },
		{ "%{alnum:0}", "bad template at '%{alnum:0}': unknown class or count" },
		{ "%{alnum:257}", "bad template at '%{alnum:257}': unknown class or count" },
		{ "%{alnum:4x}", "bad template at '%{alnum:4x}': unknown class or count" },
		{ "%{alnum:4} then %{upper}", "bad template at '%{upper}': want %{CLASS:N}" },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char err[256] = "";

		CHECK(cw_example_expand(bad[i].tmpl, err, sizeof(err)) == NULL);
		CHECK_EQ_STR(err, bad[i].err);
	}
}
