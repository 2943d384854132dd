// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* detect/classify: a match's kind, provider and lifetime. */
#include <stdlib.h>

#include "detect/classify.h"
#include "test.h"
#include "testutil.h"

TEST(classify_jwt_lifetime_and_kubernetes)
{
	struct cw_rule r = { .id = "jwt", .kind = "jwt", .lifetime = CW_LIFETIME_UNKNOWN };
	struct cw_match m = { .rule = &r };
	struct cw_class c;
	char *shortj = tu_secret("%{gen:jwt:3600}"), *longj = tu_secret("%{gen:jwt:2592000}");
	char *k8s = tu_secret("%{gen:k8s-jwt:3607}");

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
