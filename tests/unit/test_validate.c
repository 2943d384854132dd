// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Offline checksums, placeholders and JWT classification. */
#include <ctype.h>
#include <stdlib.h>

#include "detect/classify.h"
#include "detect/example_gen.h"
#include "detect/jwt.h"
#include "detect/placeholder.h"
#include "detect/validate.h"
#include "util/codec.h"
#include "test.h"

static char *gen(const char *tmpl)
{
	char err[256];
	char *s = cw_example_expand(tmpl, err, sizeof(err));

	if (!s)
		fprintf(stderr, "    %s: %s\n", tmpl, err);
	return s;
}

/* Valid tokens pass; changing any one character of the token breaks the checksum. */
static void check_validator(enum cw_validator v, const char *tmpl, size_t first_mutable)
{
	for (int round = 0; round < 20; round++) {
		char *t = gen(tmpl);
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
	char *t = gen("%{gen:age}");
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

TEST(validator_lookup_names)
{
	CHECK_EQ_INT(cw_validator_lookup("github-crc32"), CW_VALIDATE_GITHUB_CRC32);
	CHECK_EQ_INT(cw_validator_lookup("age-bech32"), CW_VALIDATE_AGE_BECH32);
	CHECK_EQ_INT(cw_validator_lookup("nope"), -1);
	CHECK_EQ_STR(cw_validator_name(CW_VALIDATE_JWT), "jwt");
}

TEST(placeholder_filter)
{
	static const char *const yes[] = {
		"${GITHUB_TOKEN}",	"{{ .Values.token }}",
		"<your-api-key>",	"%(password)s",
		"$(cat /run/secret)",	"xxxxxxxxxxxxxxxx",
		"AKIAIOSFODNN7EXAMPLE", "sk_live_****abcd",
		"your_token_here",	"changeme",
		"REPLACE_ME_PLEASE",	"$API_TOKEN",
		"%API_TOKEN%",		"aaaaaa",
		"1234567890ab",		"abcdefghijkl",
		"dummy-secret-value",
	};
	static const char *const no[] = {
		"Xk29fLq0ZpW8vN3sTb7Y", "9f86d081884c7d659a2f", "hunter2-Correct-Horse",
		"$2y$10$abcXYZ",	"p4ss$Word!",		"aaaaabbbbbccccc",
	};

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		if (!cw_is_placeholder(yes[i], strlen(yes[i])))
			cw_test_fail(__FILE__, __LINE__, "not a placeholder: %s", yes[i]);
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		if (cw_is_placeholder(no[i], strlen(no[i])))
			cw_test_fail(__FILE__, __LINE__, "wrongly a placeholder: %s", no[i]);
}

TEST(jwt_parse_and_lifetime)
{
	char *t = gen("%{gen:jwt:7200}");
	struct cw_jwt j;

	REQUIRE(t);
	REQUIRE(cw_jwt_parse(t, strlen(t), &j) == 0);
	CHECK_EQ_STR(j.alg, "RS256");
	CHECK_EQ_STR(j.iss, "https://auth.acme.test");
	CHECK(!strncmp(j.sub, "user-", 5));
	CHECK(j.has_iat && j.has_exp);
	CHECK_EQ_INT(cw_jwt_lifetime(&j), 7200);
	CHECK(!j.kubernetes);
	CHECK(cw_validate(CW_VALIDATE_JWT, t, strlen(t)));
	t[3] = '!';
	CHECK(cw_jwt_parse(t, strlen(t), &j) != 0);
	free(t);
	CHECK(cw_jwt_parse("eyJ.eyJ", 7, &j) != 0);
	CHECK(cw_jwt_parse("a.b.c.d", 7, &j) != 0);
}

TEST(classify_jwt_lifetime_and_kubernetes)
{
	struct cw_rule r = { .id = "jwt", .kind = "jwt", .lifetime = CW_LIFETIME_UNKNOWN };
	struct cw_match m = { .rule = &r };
	struct cw_class c;
	char *shortj = gen("%{gen:jwt:3600}"), *longj = gen("%{gen:jwt:2592000}");
	char *k8s = gen("%{gen:k8s-jwt:3607}");

	REQUIRE(shortj && longj && k8s);
	m.secret = shortj;
	m.len = strlen(shortj);
	cw_classify(&m, &c);
	CHECK(c.is_jwt);
	CHECK_EQ_INT(c.lifetime, CW_LIFETIME_SHORT);
	CHECK_EQ_INT(c.jwt_lifetime, 3600);
	CHECK_EQ_STR(c.kind, "jwt");
	m.secret = longj;
	m.len = strlen(longj);
	cw_classify(&m, &c);
	CHECK_EQ_INT(c.lifetime, CW_LIFETIME_LONG);
	m.secret = k8s;
	m.len = strlen(k8s);
	cw_classify(&m, &c);
	CHECK_EQ_STR(c.kind, "kubernetes-service-account-token");
	CHECK_EQ_STR(c.provider, "kubernetes");
	CHECK(!strncmp(c.jwt.sub, "system:serviceaccount:default:app-", 34));
	free(shortj);
	free(longj);
	free(k8s);
}
