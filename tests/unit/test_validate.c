// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* detect/validate: the offline checksums of credential formats. */
#include <ctype.h>
#include <stdlib.h>

#include "detect/validate.h"
#include "util/codec.h"
#include "test.h"
#include "testutil.h"

/* Valid tokens pass; changing any one character of the token breaks the checksum. */
static void check_validator(enum cw_validator v, const char *tmpl, size_t first_mutable)
{
	for (int round = 0; round < 20; round++) {
		char *t = tu_secret(tmpl);
		size_t n;

		if (!t) {
			cw_test_fail(__FILE__, __LINE__, "generator %s failed", tmpl);
			return;
		}
		n = strlen(t);
		if (!cw_validate(v, t, n))
			cw_test_fail(__FILE__, __LINE__, "%s: valid token rejected",
				     cw_validator_name(v));
		for (size_t i = first_mutable; i < n; i++) {
			char saved = t[i];

			t[i] = tolower((unsigned char)saved) == 'a' ? 'B' : 'A';
			if (cw_validate(v, t, n))
				cw_test_fail(__FILE__, __LINE__, "%s: corrupt byte %zu accepted",
					     cw_validator_name(v), i);
			t[i] = saved;
		}
		free(t);
	}
}

TEST(validate_github_crc32)
{
	check_validator(CW_VALIDATE_GITHUB_CRC32, "%{gen:github:ghp_}", 4);
	check_validator(CW_VALIDATE_GITHUB_CRC32, "%{gen:github:ghs_}", 4);
	CHECK(!cw_validate(CW_VALIDATE_GITHUB_CRC32, "ghp_", 4));
	CHECK(!cw_validate(CW_VALIDATE_GITHUB_CRC32, "ghp_!!!!!!", 10));
}

TEST(validate_github_crc32_known_answer)
{
	/* The checksum digits from util/codec (CRC-32 checked in test_codec.c). */
	char t[64];
	uint32_t crc = cw_crc32("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 30);
	char digits[7] = { 0 };

	cw_base62_encode(crc, digits, 6);
	snprintf(t, sizeof(t), "ghp_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa%s", digits);
	CHECK(cw_validate(CW_VALIDATE_GITHUB_CRC32, t, strlen(t)));
}

TEST(validate_npm_grafana_atlassian_age)
{
	check_validator(CW_VALIDATE_NPM_CRC32, "%{gen:npm}", 4);
	check_validator(CW_VALIDATE_GRAFANA_CRC32, "%{gen:grafana}", 5);
	check_validator(CW_VALIDATE_ATLASSIAN_CRC32, "%{gen:atlassian:ATATT3xFfGF0}", 0);
	check_validator(CW_VALIDATE_AGE_BECH32, "%{gen:age}", 16);
}

TEST(validate_age_bech32_rejects_mixed_case_and_bad_chars)
{
	char *t = tu_secret("%{gen:age}");
	size_t n;

	REQUIRE(t);
	n = strlen(t);
	CHECK(cw_validate(CW_VALIDATE_AGE_BECH32, t, n));
	t[n - 1] = (char)tolower((unsigned char)t[n - 1]); /* mixed case */
	if (t[n - 1] >= 'a')
		CHECK(!cw_validate(CW_VALIDATE_AGE_BECH32, t, n));
	t[20] = 'B'; /* 'b' is not in the bech32 alphabet */
	CHECK(!cw_validate(CW_VALIDATE_AGE_BECH32, t, n));
	free(t);
}

/*
 * An empty string is no token, and no validator reads a byte of it (found by fuzz_codec: the
 * age validator read s[0] first; make asan sees such a read past the buffer).
 */
TEST(validate_empty_reads_nothing)
{
	char *buf = malloc(1);

	REQUIRE(buf);
	for (int v = CW_VALIDATE_NONE + 1; v < CW_VALIDATE_MAX; v++)
		CHECK(!cw_validate((enum cw_validator)v, buf + 1, 0));
	free(buf);
}

TEST(validator_lookup_names)
{
	CHECK_EQ_INT(cw_validator_lookup("github-crc32"), CW_VALIDATE_GITHUB_CRC32);
	CHECK_EQ_INT(cw_validator_lookup("age-bech32"), CW_VALIDATE_AGE_BECH32);
	CHECK_EQ_INT(cw_validator_lookup("nope"), -1);
	CHECK_EQ_STR(cw_validator_name(CW_VALIDATE_JWT), "jwt");
}
