// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* detect/jwt: a token's claims, read from its base64url JSON parts. */
#include <stdio.h>
#include <stdlib.h>

#include "detect/jwt.h"
#include "detect/validate.h"
#include "util/codec.h"
#include "test.h"
#include "testutil.h"

TEST(jwt_parse_and_lifetime)
{
	char *t = tu_secret("%{gen:jwt:7200}");
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

/* header.payload.sig from two JSON texts. */
static char *token(const char *header, const char *payload)
{
	size_t hl = strlen(header), pl = strlen(payload);
	char *t = malloc(4 * ((hl + 2) / 3) + 4 * ((pl + 2) / 3) + 8);
	size_t o;

	if (!t)
		return NULL;
	o = cw_base64url_encode((const unsigned char *)header, hl, t);
	t[o++] = '.';
	o += cw_base64url_encode((const unsigned char *)payload, pl, t + o);
	memcpy(t + o, ".sig", 5);
	return t;
}

static int parse(const char *header, const char *payload, struct cw_jwt *j)
{
	char *t = token(header, payload);
	int ret = t ? cw_jwt_parse(t, strlen(t), j) : -1;

	free(t);
	return ret;
}

#define HDR "{\"alg\":\"HS256\"}"

TEST(jwt_claims_as_json_says_them)
{
	struct cw_jwt j;

	/* escapes decoded, numbers in any JSON form, other members of any type skipped */
	REQUIRE(parse(HDR,
		      "{\"iss\":\"a\\/b\\\"c\\u00e9\",\"sub\":\"s\",\"iat\":1.7e9,"
		      "\"exp\":1700003600,\"nbf\":-5,\"aud\":[\"x\",{\"y\":null}],\"n\":true}",
		      &j) == 0);
	CHECK_EQ_STR(j.alg, "HS256");
	CHECK_EQ_STR(j.iss, "a/b\"c\xc3\xa9");
	CHECK_EQ_STR(j.sub, "s");
	CHECK(j.has_iat && j.iat == 1700000000);
	CHECK(j.has_exp && j.exp == 1700003600);
	CHECK(j.has_nbf && j.nbf == -5);
	CHECK_EQ_INT(cw_jwt_lifetime(&j), 3600);
	CHECK(!j.kubernetes);
	/* a claim of the wrong type is not had */
	REQUIRE(parse(HDR, "{\"iss\":1,\"exp\":\"1700003600\",\"nbf\":1}", &j) == 0);
	CHECK_EQ_STR(j.iss, "");
	CHECK(!j.has_exp && !j.has_iat && j.has_nbf);
	CHECK_EQ_INT(cw_jwt_lifetime(&j), -1);
	/* the last of a repeated claim counts */
	REQUIRE(parse(HDR, "{\"sub\":\"a\",\"sub\":\"b\"}", &j) == 0);
	CHECK_EQ_STR(j.sub, "b");
	/* a long claim is cut to fit */
	{
		char p[600];

		snprintf(p, sizeof(p), "{\"sub\":\"%0400d\"}", 7);
		REQUIRE(parse(HDR, p, &j) == 0);
		CHECK_EQ_INT(strlen(j.sub), sizeof(j.sub) - 1);
	}
}

TEST(jwt_kubernetes_service_account_tokens)
{
	struct cw_jwt j;

	REQUIRE(parse(HDR, "{\"iss\":\"kubernetes/serviceaccount\"}", &j) == 0);
	CHECK(j.kubernetes);
	REQUIRE(parse(HDR, "{\"sub\":\"system:serviceaccount:ns:app\"}", &j) == 0);
	CHECK(j.kubernetes);
	REQUIRE(parse(HDR, "{\"kubernetes.io\":{\"namespace\":\"ns\"}}", &j) == 0);
	CHECK(j.kubernetes);
	REQUIRE(parse(HDR, "{\"sub\":\"system:serviceaccounts\"}", &j) == 0);
	CHECK(!j.kubernetes);
}

TEST(jwt_not_a_token)
{
	struct cw_jwt j;

	CHECK(parse("{\"typ\":\"JWT\"}", "{}", &j) != 0); /* no alg */
	CHECK(parse("{\"alg\":\"\"}", "{}", &j) != 0);	  /* an empty one */
	CHECK(parse("{\"alg\":256}", "{}", &j) != 0);	  /* not a string */
	CHECK(parse("[\"alg\"]", "{}", &j) != 0);	  /* not an object */
	CHECK(parse(HDR, "[]", &j) != 0);		  /* payload not an object */
	CHECK(parse(HDR, "{\"a\":1} x", &j) != 0);	  /* trailing bytes */
	CHECK(parse(HDR, "{\"a\":1", &j) != 0);		  /* cut short */
	CHECK(parse(HDR, "{\"a\":\"\xff\"}", &j) != 0);	  /* not UTF-8 */
	CHECK(parse(HDR, "", &j) != 0);			  /* empty */
	CHECK(parse(HDR, " {} ", &j) == 0);		  /* space around is fine */
}
